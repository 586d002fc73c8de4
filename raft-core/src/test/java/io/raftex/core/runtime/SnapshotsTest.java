package io.raftex.core.runtime;

import io.raftex.core.ApplyContext;
import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.snapshot.InMemorySnapshotStore;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.snapshot.SnapshotStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Snapshots} over an in-memory snapshot store and a real {@link Applier}, through a host that records what it
 * is told and the tasks it is given; the background writer is a queue the test runs by hand, the clock is virtual.
 */
class SnapshotsTest {

    private static final long INTERVAL = 10;
    private static final MemberId SELF = MemberId.of("b");
    private static final MemberId LEADER = MemberId.of("a");
    private static final ClusterConfig CONFIG = ClusterConfig.ofVoters(List.of(Member.voter("a", "a:1"),
            Member.voter("b", "b:1")));

    private final Machine machine = new Machine();
    private final Applier<String, Integer> applier = new Applier<>(machine, ListMachine.COMMANDS,
            ListMachine.RESULTS, 100);
    private final InMemorySnapshotStore store = new InMemorySnapshotStore("b");
    private final RecordingHost host = new RecordingHost();
    private final List<Runnable> background = new ArrayList<>();
    private boolean backgroundRejects;
    private final Snapshots snapshots = new Snapshots("g", SELF, store, applier, new Answers(Runnable::run), task -> {
        if (backgroundRejects) {
            throw new RejectedExecutionException("shut down");
        }
        background.add(task);
    }, INTERVAL, host);

    /** A machine whose state is a counter of applied entries; captures and restores fail on demand. */
    static final class Machine implements StateMachine<String, Integer> {
        String state = "";
        RuntimeException captureFailure;
        Error captureError;
        boolean refuse;
        IOException writeFailure;
        IOException restoreFailure;

        @Override
        public Integer apply(String command, ApplyContext context) {
            return 0;
        }

        @Override
        public StateSnapshot snapshot() {
            if (captureError != null) {
                throw captureError;
            }
            if (captureFailure != null) {
                throw captureFailure;
            }
            if (refuse) {
                return null;
            }
            IOException failure = writeFailure;
            byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
            return out -> {
                if (failure != null) {
                    throw failure;
                }
                out.write(bytes);
            };
        }

        @Override
        public void restore(InputStream in) throws IOException {
            if (restoreFailure != null) {
                throw restoreFailure;
            }
            state = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Records every report; tasks for the group thread are queued until the test runs them. */
    static final class RecordingHost implements Snapshots.Host {
        long now = 1_000;
        long nanos = 5_000_000;
        final List<String> tasks = new ArrayList<>();
        final List<Runnable> queued = new ArrayList<>();
        final List<Long> newest = new ArrayList<>();
        final List<String> taken = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        final List<String> takenFor = new ArrayList<>();
        final List<Long> restored = new ArrayList<>();
        int restoreRefused;
        final List<Long> chunksStored = new ArrayList<>();
        final List<String> installed = new ArrayList<>();
        boolean stopped;

        @Override
        public long nowMillis() {
            return now;
        }

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public ClusterConfig configAt(long index) {
            return CONFIG;
        }

        @Override
        public boolean submit(String what, Runnable task) {
            if (stopped) {
                return false;
            }
            tasks.add(what);
            queued.add(task);
            return true;
        }

        @Override
        public void newestAt(long index) {
            newest.add(index);
        }

        @Override
        public void taken(SnapshotMeta meta, long compactTo, long tookNanos) {
            taken.add(meta.index() + " compact to " + compactTo);
        }

        @Override
        public void failed(long failures, int failuresInARow) {
            failed.add(failures + "/" + failuresInARow);
        }

        @Override
        public void takenFor(MemberId to, Throwable failure) {
            takenFor.add(to + (failure == null ? "" : " failed"));
        }

        @Override
        public void restored(long index, long tookNanos) {
            restored.add(index);
        }

        @Override
        public void restoreRefused() {
            restoreRefused++;
        }

        @Override
        public void chunkStored(InstallSnapshotRequest last, long received) {
            chunksStored.add(received);
        }

        @Override
        public void installed(SnapshotMeta meta, MemberId from) {
            installed.add(meta.index() + " from " + from);
        }

        /** Runs the tasks queued for the group thread, as the group thread would. */
        void runQueued() {
            List<Runnable> now = new ArrayList<>(queued);
            queued.clear();
            now.forEach(Runnable::run);
        }
    }

    private void applyUpTo(long index) {
        for (long i = applier.lastApplied() + 1; i <= index; i++) {
            applier.apply(LogEntry.noop(i, 1, 0));
        }
        machine.state = "state at " + index;
    }

    /** Runs the background writes, then the group-thread tasks they queue. */
    private void finishWrites() {
        List<Runnable> now = new ArrayList<>(background);
        background.clear();
        now.forEach(Runnable::run);
        host.runQueued();
    }

    /** A snapshot of another applier's state at {@code index}, stored in {@code into} as a leader's would be. */
    private static SnapshotMeta storedSnapshot(SnapshotStore into, long index) throws IOException {
        Machine source = new Machine();
        Applier<String, Integer> sourceApplier = new Applier<>(source, ListMachine.COMMANDS, ListMachine.RESULTS, 100);
        for (long i = 1; i <= index; i++) {
            sourceApplier.apply(LogEntry.noop(i, 1, 0));
        }
        source.state = "state at " + index;
        Applier.Capture capture = sourceApplier.capture();
        try (SnapshotStore.Sink sink = into.create(new SnapshotMeta(index, 1, CONFIG))) {
            capture.writeTo(sink.stream());
            return sink.commit();
        } finally {
            capture.release();
        }
    }

    private static InstallSnapshotRequest lastChunk(SnapshotMeta meta) {
        return new InstallSnapshotRequest("g", LEADER, SELF, 5, meta.index(), meta.term(), 0, 1, new byte[1], 0);
    }

    // ------------------------------------------------------------------ recovery

    @Test
    void atStartTheStateIsRestoredFromTheNewestSnapshotAndTheLogStartsAfterItIfItLacksItsLastEntry()
            throws IOException {
        storedSnapshot(store, 4);
        SnapshotMeta newer = storedSnapshot(store, 8);
        InMemoryGroupLog log = new InMemoryGroupLog(new PersistentState(0, Optional.empty(), CONFIG));

        assertThat(snapshots.recover(log)).isEqualTo(8);
        assertThat(applier.lastApplied()).isEqualTo(8);
        assertThat(machine.state).isEqualTo("state at 8");
        assertThat(snapshots.newest()).isEqualTo(newer);
        assertThat(host.newest).containsExactly(8L);
        assertThat(log.snapshotIndex()).isEqualTo(8);
    }

    @Test
    void aLogThatStartsAfterEverySnapshotHeldRestoresNothing() throws IOException {
        storedSnapshot(store, 4);
        InMemoryGroupLog log = new InMemoryGroupLog(new PersistentState(0, Optional.empty(), CONFIG));
        log.resetTo(7, 1);

        assertThat(snapshots.recover(log)).isZero();
        assertThat(applier.lastApplied()).isZero();
        assertThat(snapshots.newest()).isNull();
        assertThat(host.newest).isEmpty();
        assertThat(log.snapshotIndex()).as("the log stays").isEqualTo(7);
    }

    // ------------------------------------------------------------------ taking

    @Test
    void oneIsTakenEveryIntervalCapturedOnTheCallerAndWrittenInTheBackground() {
        applyUpTo(INTERVAL - 1);
        snapshots.maybeTake();
        assertThat(background).isEmpty();

        applyUpTo(INTERVAL);
        snapshots.maybeTake();
        assertThat(background).hasSize(1);
        machine.state = "changed after the capture";
        snapshots.maybeTake();
        assertThat(background).as("one write at a time").hasSize(1);
        assertThat(store.list()).isEmpty();

        background.remove(0).run();
        assertThat(store.list()).extracting(SnapshotMeta::index).containsExactly(INTERVAL);
        assertThat(host.tasks).containsExactly("snapshot written");
        assertThat(host.taken).as("the core hears of it on the group thread").isEmpty();

        host.runQueued();
        assertThat(host.taken).containsExactly(INTERVAL + " compact to 0");
        assertThat(host.newest).containsExactly(INTERVAL);
        assertThat(snapshots.newest().index()).isEqualTo(INTERVAL);
    }

    @Test
    void theLogIsCompactedToThePreviousSnapshotAndTheTwoNewestAreKept() throws IOException {
        for (long at = INTERVAL; at <= 3 * INTERVAL; at += INTERVAL) {
            applyUpTo(at);
            snapshots.maybeTake();
            finishWrites();
        }
        assertThat(host.taken).containsExactly("10 compact to 0", "20 compact to 10", "30 compact to 20");
        assertThat(store.list()).extracting(SnapshotMeta::index).containsExactlyInAnyOrder(20L, 30L);
        try (InputStream in = store.openState(store.latestValid().orElseThrow())) {
            Machine restored = new Machine();
            new Applier<>(restored, ListMachine.COMMANDS, ListMachine.RESULTS, 100).restore(30, 1, in);
            assertThat(restored.state).isEqualTo("state at 30");
        }
    }

    @Test
    void anOlderSnapshotWrittenAfterANewerWasInstalledNeverMovesTheNewestBack() throws IOException {
        applyUpTo(INTERVAL);
        snapshots.maybeTake();
        SnapshotMeta leaders = storedSnapshot(store, 50);
        snapshots.install(leaders, lastChunk(leaders), host.now);
        finishWrites();

        assertThat(snapshots.newest()).isEqualTo(leaders);
        assertThat(host.taken).containsExactly(INTERVAL + " compact to " + INTERVAL);
        assertThat(host.newest).containsExactly(50L);
    }

    @Test
    void aRequestIsAnsweredByASnapshotTakenAfterItCame() {
        CompletableFuture<SnapshotMeta> none = new CompletableFuture<>();
        snapshots.request(none);
        assertThat(none).isCompletedExceptionally();
        assertThatThrownBy(none::join).hasCauseInstanceOf(IllegalStateException.class);

        applyUpTo(3);
        CompletableFuture<SnapshotMeta> first = new CompletableFuture<>();
        snapshots.request(first);
        applyUpTo(5);
        CompletableFuture<SnapshotMeta> second = new CompletableFuture<>();
        snapshots.request(second);
        assertThat(background).as("the second waits for the first to be written").hasSize(1);

        finishWrites();
        assertThat(first.join().index()).isEqualTo(3);
        assertThat(second).isNotDone();
        assertThat(background).as("then the second is captured").hasSize(1);
        finishWrites();
        assertThat(second.join().index()).isEqualTo(5);

        CompletableFuture<SnapshotMeta> unchanged = new CompletableFuture<>();
        snapshots.request(unchanged);
        assertThat(unchanged.join().index()).as("nothing new applied: the newest answers").isEqualTo(5);
        assertThat(background).isEmpty();
    }

    @Test
    void aFailedCaptureBacksOffTheSnapshotsTakenByThemselvesButNotTheRequests() {
        applyUpTo(INTERVAL);
        machine.captureFailure = new IllegalStateException("cannot capture");
        snapshots.maybeTake();
        assertThat(host.failed).containsExactly("1/1");

        machine.captureFailure = null;
        host.now += SnapshotBackoff.INITIAL_MILLIS - 1;
        snapshots.maybeTake();
        assertThat(background).as("still backing off").isEmpty();

        CompletableFuture<SnapshotMeta> asked = new CompletableFuture<>();
        snapshots.request(asked);
        assertThat(background).as("a request does not wait").hasSize(1);
        finishWrites();
        assertThat(asked.join().index()).isEqualTo(INTERVAL);
        assertThat(host.taken).containsExactly(INTERVAL + " compact to 0");
    }

    @Test
    void aFailedWriteKeepsTheLogWholeFailsItsWaitersAndIsTriedAgainAfterTheBackOff() {
        applyUpTo(INTERVAL);
        machine.writeFailure = new IOException("disk full");
        CompletableFuture<SnapshotMeta> asked = new CompletableFuture<>();
        snapshots.request(asked);
        finishWrites();
        assertThatThrownBy(asked::join).hasRootCauseMessage("disk full");
        assertThat(host.failed).containsExactly("1/1");
        assertThat(host.taken).isEmpty();
        assertThat(store.list()).isEmpty();

        machine.writeFailure = null;
        snapshots.maybeTake();
        assertThat(background).isEmpty();
        host.now += SnapshotBackoff.INITIAL_MILLIS;
        snapshots.maybeTake();
        finishWrites();
        assertThat(host.taken).containsExactly(INTERVAL + " compact to 0");
    }

    @Test
    void aMachineThatTakesNoSnapshotsIsNotAskedAgain() {
        applyUpTo(INTERVAL);
        machine.refuse = true;
        CompletableFuture<SnapshotMeta> asked = new CompletableFuture<>();
        snapshots.request(asked);
        assertThatThrownBy(asked::join).hasCauseInstanceOf(UnsupportedOperationException.class);

        machine.refuse = false;
        snapshots.maybeTake();
        assertThat(background).isEmpty();
        assertThat(host.failed).as("a refusal is no failure").isEmpty();
    }

    @Test
    void anErrorWhileCapturingIsThrownSoThatTheGroupStops() {
        applyUpTo(INTERVAL);
        machine.captureError = new OutOfMemoryError("no room");
        assertThatThrownBy(snapshots::maybeTake).isInstanceOf(OutOfMemoryError.class);
        assertThat(host.failed).isEmpty();
    }

    @Test
    void aWriteThatCannotStartFailsItsWaiters() {
        applyUpTo(3);
        backgroundRejects = true;
        CompletableFuture<SnapshotMeta> asked = new CompletableFuture<>();
        snapshots.request(asked);
        assertThatThrownBy(asked::join).hasCauseInstanceOf(RejectedExecutionException.class);

        backgroundRejects = false;
        CompletableFuture<SnapshotMeta> again = new CompletableFuture<>();
        snapshots.request(again);
        finishWrites();
        assertThat(again.join().index()).as("no write is left marked as running").isEqualTo(3);
    }

    @Test
    void aSnapshotWrittenAfterTheGroupStoppedIsDropped() {
        applyUpTo(3);
        CompletableFuture<SnapshotMeta> asked = new CompletableFuture<>();
        snapshots.request(asked);
        snapshots.failAll(new IllegalStateException("stopped"));
        host.stopped = true;
        finishWrites();
        assertThatThrownBy(asked::join).hasRootCauseMessage("stopped");
        assertThat(host.taken).isEmpty();
    }

    @Test
    void aSnapshotForAFollowerIsTakenIfTheStateCoversWhatItNeedsAndReportedOnTheGroupThread() {
        applyUpTo(5);
        assertThat(snapshots.takeFor(LEADER, 6)).isFalse();
        assertThat(background).isEmpty();

        assertThat(snapshots.takeFor(MemberId.of("c"), 5)).isTrue();
        background.remove(0).run();
        host.runQueued(); // the write's outcome: completes the request, which queues the report
        assertThat(host.takenFor).isEmpty();
        host.runQueued();
        assertThat(host.takenFor).containsExactly("c");
        assertThat(host.tasks).containsExactly("snapshot written", "snapshot for c");
    }

    @Test
    void aSnapshotForAFollowerThatCannotBeWrittenIsReportedAsFailed() {
        applyUpTo(5);
        machine.writeFailure = new IOException("disk full");
        snapshots.takeFor(MemberId.of("c"), 5);
        finishWrites();
        host.runQueued();
        assertThat(host.takenFor).containsExactly("c failed");
    }

    // ------------------------------------------------------------------ installing

    @Test
    void aLeadersSnapshotAheadOfTheStateIsRestoredAndTheCoreTold() throws IOException {
        applyUpTo(3);
        SnapshotMeta meta = storedSnapshot(store, 40);
        host.now += 250;
        snapshots.install(meta, lastChunk(meta), host.now - 250);

        assertThat(applier.lastApplied()).isEqualTo(40);
        assertThat(machine.state).isEqualTo("state at 40");
        assertThat(host.restored).containsExactly(40L);
        assertThat(host.newest).containsExactly(40L);
        assertThat(host.installed).containsExactly("40 from a");
        assertThat(snapshots.newest()).isEqualTo(meta);
    }

    @Test
    void aLeadersSnapshotBehindTheStateIsHeldButNotRestored() throws IOException {
        applyUpTo(50);
        SnapshotMeta meta = storedSnapshot(store, 40);
        snapshots.install(meta, lastChunk(meta), host.now);

        assertThat(applier.lastApplied()).isEqualTo(50);
        assertThat(host.restored).isEmpty();
        assertThat(host.installed).containsExactly("40 from a");
        assertThat(snapshots.newest()).isEqualTo(meta);
    }

    @Test
    void aSnapshotTheMachineRefusesIsDeletedAndAskedForAgain() throws IOException {
        applyUpTo(3);
        SnapshotMeta meta = storedSnapshot(store, 40);
        machine.restoreFailure = new IOException("cannot restore");
        snapshots.install(meta, lastChunk(meta), host.now);

        assertThat(applier.lastApplied()).isEqualTo(3);
        assertThat(machine.state).isEqualTo("state at 3");
        assertThat(host.restoreRefused).isEqualTo(1);
        assertThat(host.chunksStored).containsExactly(0L);
        assertThat(store.list()).isEmpty();
        assertThat(host.installed).isEmpty();
        assertThat(snapshots.newest()).isNull();
    }

    // ------------------------------------------------------------------ stopping

    @Test
    void stoppingFailsTheRequestsWaitingAndThoseBeingWritten() {
        applyUpTo(3);
        CompletableFuture<SnapshotMeta> written = new CompletableFuture<>();
        snapshots.request(written);
        applyUpTo(4);
        CompletableFuture<SnapshotMeta> waiting = new CompletableFuture<>();
        snapshots.request(waiting);

        snapshots.failAll(new IllegalStateException("stopped"));
        assertThatThrownBy(written::join).hasRootCauseMessage("stopped");
        assertThatThrownBy(waiting::join).hasRootCauseMessage("stopped");
    }
}
