package io.raftex.core.runtime;

import io.raftex.core.LogCapture;
import io.raftex.core.CommandFailedException;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Applying} over a list of entries, through a host that records what it is told and the tasks it is given. */
class ApplyingTest {

    private static final long CLIENT = 42;

    private final ListMachine machine = new ListMachine();
    private final Applier<String, Integer> applier = new Applier<>(machine, ListMachine.COMMANDS,
            ListMachine.RESULTS, 100);
    private final CommandTracker commands = new CommandTracker(CLIENT);
    private final RecordingHost host = new RecordingHost();
    private long nanos = 1_000;
    private long nanosPerReading;
    private final Applying applying = new Applying("g", applier, commands, host, new Answers(Runnable::run), () -> {
        nanos += nanosPerReading;
        return nanos;
    });

    /** The log as a list, at most {@link #perRead} entries per read; records every report and queued task. */
    static final class RecordingHost implements Applying.Host {
        final List<LogEntry> log = new ArrayList<>();
        int perRead = Integer.MAX_VALUE;
        boolean stateMissing;
        final List<Runnable> tasks = new ArrayList<>();
        final List<Long> slices = new ArrayList<>();
        final List<List<CommandTracker.Pending>> proposedAgain = new ArrayList<>();
        int duplicates;
        final List<Long> latencies = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();

        @Override
        public boolean stateMissing() {
            return stateMissing;
        }

        @Override
        public List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes) {
            long to = Math.min(toIndex, fromIndex + perRead - 1);
            return List.copyOf(log.subList((int) fromIndex - 1, (int) to));
        }

        @Override
        public boolean submit(Runnable task) {
            tasks.add(task);
            return true;
        }

        @Override
        public void sliceApplied(long lastApplied) {
            slices.add(lastApplied);
        }

        @Override
        public void proposeAgain(List<CommandTracker.Pending> displaced) {
            proposedAgain.add(displaced);
        }

        @Override
        public void duplicateApplied() {
            duplicates++;
        }

        @Override
        public void commandCompleted(long latencyNanos) {
            latencies.add(latencyNanos);
        }

        @Override
        public void commandFailed(CommandTracker.Pending command, Throwable reason) {
            failures.add(reason);
            command.future.completeExceptionally(reason);
        }

        void noops(int count) {
            for (int i = 0; i < count; i++) {
                log.add(LogEntry.noop(log.size() + 1, 1, 0));
            }
        }

        void command(long clientId, long sequence, String command) {
            log.add(new LogEntry(log.size() + 1, 1, EntryType.COMMAND, clientId, sequence, 1, 0,
                    command.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private CommandTracker.Pending submit(String command) {
        CommandTracker.Pending p = commands.register(new CommandTracker.Pending(
                command.getBytes(StandardCharsets.UTF_8), new CompletableFuture<>(), nanos, Long.MAX_VALUE));
        commands.attempt(p, 100 + p.sequence, 0, 1_000);
        return p;
    }

    @Test
    void aLongBacklogIsAppliedInSlicesEachQueuedAsATaskOfItsOwn() {
        host.noops(1_000);
        applying.commitAdvanced(1_000);
        assertThat(applying.due()).isTrue();
        applying.applySlice();
        assertThat(host.slices).containsExactly((long) Applying.SLICE_ENTRIES);
        assertThat(host.tasks).hasSize(1);
        assertThat(applying.due()).as("the next slice is queued already").isFalse();

        host.tasks.get(0).run();
        assertThat(host.slices).containsExactly((long) Applying.SLICE_ENTRIES, 1_000L);
        assertThat(host.tasks).as("nothing left to queue").hasSize(1);
        assertThat(applying.due()).isFalse();
        assertThat(applier.lastApplied()).isEqualTo(1_000);
    }

    @Test
    void aLongBacklogLogsHowFarItIsAtMostEveryFiveSeconds() {
        try (LogCapture lines = new LogCapture(Applying.class.getName(), ch.qos.logback.classic.Level.INFO)) {
            host.noops(10_240); // 20 slices of 512
            applying.commitAdvanced(10_240);
            applying.applySlice();
            for (int i = 0; i < host.tasks.size(); i++) { // a second between slices: 19 s in all
                nanos += 1_000_000_000L;
                host.tasks.get(i).run();
            }
            assertThat(applier.lastApplied()).isEqualTo(10_240);
            List<String> progress = lines.lines();
            // at 0, 5, 10 and 15 s; the last slices leave 100 entries or fewer to go, which is caught up
            assertThat(progress).containsExactly(
                    "[g] catching up: applied 512 of 10240 committed entries, 9728 to go",
                    "[g] catching up: applied 3072 of 10240 committed entries, 7168 to go",
                    "[g] catching up: applied 5632 of 10240 committed entries, 4608 to go",
                    "[g] catching up: applied 8192 of 10240 committed entries, 2048 to go");

            lines.clear();
            host.noops(100); // a backlog of 100 is no catching up
            applying.commitAdvanced(10_340);
            applying.applySlice();
            assertThat(lines.lines()).isEmpty();
        }
    }

    @Test
    void aSlowStateMachineEndsASliceAtItsTimeBudget() {
        host.noops(100);
        host.perRead = 10;
        nanosPerReading = Applying.SLICE_NANOS;
        applying.commitAdvanced(100);
        applying.applySlice();
        assertThat(host.slices).containsExactly(10L);
        assertThat(host.tasks).hasSize(1);
    }

    @Test
    void aCommandOfThisMemberIsAnsweredWithItsValueOnce() {
        CommandTracker.Pending p = submit("x");
        host.noops(1);
        host.command(CLIENT, p.sequence, "x");
        host.command(CLIENT, p.sequence, "x"); // a second copy of the same command: a duplicate
        nanos += 500;
        applying.commitAdvanced(3);
        applying.applySlice();
        assertThat(p.future).isCompletedWithValue(1);
        assertThat(host.latencies).containsExactly(500L);
        assertThat(host.duplicates).isEqualTo(1);
        assertThat(machine.applied()).containsExactly("x");
        assertThat(commands.size()).isZero();
    }

    @Test
    void aCommandTheStateMachineRefusesFails() {
        CommandTracker.Pending p = submit("refuse me");
        host.command(CLIENT, p.sequence, "refuse me");
        applying.commitAdvanced(1);
        applying.applySlice();
        assertThat(host.failures).singleElement().isInstanceOf(CommandFailedException.class);
        assertThat(host.latencies).isEmpty();
    }

    @Test
    void aCommandWhoseAcceptedEntryWasDisplacedIsProposedAgain() {
        CommandTracker.Pending p = submit("x");
        commands.accepted(p.requestId, 2, 0, 1_000);
        host.noops(1);
        host.command(7, 1, "another leader's entry");
        applying.commitAdvanced(2);
        applying.applySlice();
        assertThat(host.proposedAgain).containsExactly(List.of(p));
        assertThat(p.future).isNotDone();
    }

    @Test
    void nothingIsAppliedWhileTheStateIsMissing() {
        host.noops(5);
        host.stateMissing = true;
        applying.commitAdvanced(5);
        assertThat(applying.due()).isFalse();
        applying.applySlice();
        assertThat(host.slices).isEmpty();
        assertThat(applier.lastApplied()).isZero();
    }
}
