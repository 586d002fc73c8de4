package io.raftex.core.runtime;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.ForwardCommand;
import io.raftex.core.message.ForwardCommandResponse;
import io.raftex.core.message.ReadIndexRequest;
import io.raftex.core.message.ReadIndexResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.raftex.core.runtime.ManualGroup.G;
import static io.raftex.core.runtime.ManualGroup.N1;
import static io.raftex.core.runtime.ManualGroup.N2;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runtime shell, one task at a time on an executor the test drives ({@link ManualGroup}): how it answers
 * commands that may or may not be in the log, which answers it takes as its own, and what waits behind applying.
 */
class GroupRuntimeTest {

    private static void assertFailsWith(CompletableFuture<?> future, Class<? extends Throwable> type) {
        assertThat(future).failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause().isInstanceOf(type);
    }

    /**
     * Makes n2 the leader n1 follows and returns what n1 then forwards to it: a command submitted just before was
     * first refused here (no leader known, so certainly not appended) and goes out as soon as n2 is known.
     */
    private static ForwardCommand forwardedToN2(ManualGroup g) {
        g.heartbeatFrom(N2, 1, 0, 0, 0);
        return g.outbox.take(ForwardCommand.class).get(0);
    }

    // ------------------------------------------------------------------ outcomes a stop leaves

    @Test
    void stopAnswersAnAppendedButUncommittedCommandAsUnknownNotAsNotCarriedOut() {
        ManualGroup g = new ManualGroup(1);
        g.electN1();
        CompletableFuture<Integer> appended = g.runtime.command("a");
        g.executor.runAll();
        assertThat(g.status().lastLogIndex()).as("no-op and the command").isEqualTo(2);
        g.close();
        assertFailsWith(appended, CommandOutcomeUnknownException.class);
    }

    @Test
    void listenersHearEveryCommandAndQueryOutcomeBeforeTheFutureCompletes() {
        ManualGroup g = new ManualGroup(1);
        java.util.List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        g.runtime.addListener(new io.raftex.core.GroupListener() {
            @Override
            public void onCommandCompleted(long latencyNanos) {
                heard.add("command ok");
            }

            @Override
            public void onCommandFailed(Throwable reason) {
                heard.add("command " + reason.getClass().getSimpleName());
            }

            @Override
            public void onQueryEnded(io.raftex.core.ReadConsistency consistency, Throwable failure) {
                heard.add("query " + consistency + " " + (failure == null ? "ok" : failure.getClass().getSimpleName()));
            }
        });
        g.electN1();
        CompletableFuture<Integer> appended = g.runtime.command("a"); // one member of three: never committed here
        CompletableFuture<Integer> unencodable = g.runtime.command(null); // the codec throws
        g.executor.runAll();
        CompletableFuture<Object> read = g.runtime.query(sm -> "x", io.raftex.core.ReadConsistency.LOCAL);
        CompletableFuture<Object> broken = g.runtime.query(sm -> {
            throw new IllegalStateException("broken");
        }, io.raftex.core.ReadConsistency.LOCAL);
        g.executor.runAll();
        g.close();
        CompletableFuture<Integer> stopped = g.runtime.command("b");
        assertThat(heard).containsExactly("command NullPointerException", "query LOCAL ok",
                "query LOCAL IllegalStateException", "command CommandOutcomeUnknownException",
                "command GroupStoppedException");
        // every command submitted is counted once as failed, the one the codec refused included
        assertThat(g.runtime.metrics().commandsSubmitted()).isEqualTo(3);
        assertThat(g.runtime.metrics().commandsFailed()).isEqualTo(3);
        assertFailsWith(unencodable, NullPointerException.class);
        assertFailsWith(appended, CommandOutcomeUnknownException.class);
        assertThat(read).isCompleted();
        assertFailsWith(broken, IllegalStateException.class);
        assertFailsWith(stopped, GroupStoppedException.class);
    }

    @Test
    void stopAnswersACommandThatNeverReachedALogAsNotCarriedOut() {
        ManualGroup g = new ManualGroup(1);
        CompletableFuture<Integer> refused = g.runtime.command("a"); // no leader known: refused here, retried later
        g.executor.runAll();
        g.close();
        assertFailsWith(refused, GroupStoppedException.class);
        assertThat(refused).failsWithin(Duration.ZERO).withThrowableThat()
                .withRootCauseInstanceOf(GroupStoppedException.class)
                .matches(e -> !(e.getCause() instanceof CommandOutcomeUnknownException));
    }

    @Test
    void aForwardedCommandRefusedByTheLeaderMayStillBeInItsLogThroughADuplicate() {
        // the leader appended one copy of the ForwardCommand (its answer lost) and refused a duplicate after it
        // stepped down: the only answer n1 hears is "not accepted", yet the command may commit
        ManualGroup g = new ManualGroup(1);
        CompletableFuture<Integer> command = g.runtime.command("a");
        ForwardCommand forwarded = forwardedToN2(g);
        g.deliver(new ForwardCommandResponse(G, N2, N1, 1, forwarded.requestId(), false, 0, 0));
        g.close();
        assertFailsWith(command, CommandOutcomeUnknownException.class);
    }

    @Test
    void aLateRefusalAfterAnAcceptanceDoesNotUndoIt() {
        ManualGroup g = new ManualGroup(1);
        CompletableFuture<Integer> command = g.runtime.command("a");
        ForwardCommand forwarded = forwardedToN2(g);
        g.deliver(new ForwardCommandResponse(G, N2, N1, 1, forwarded.requestId(), true, 1, 1));
        g.deliver(new ForwardCommandResponse(G, N2, N1, 1, forwarded.requestId(), false, 0, 0));
        for (int i = 0; i < 5; i++) {
            g.tick(); // a refused command would be proposed again after a short back-off
        }
        assertThat(g.outbox.take(ForwardCommand.class)).as("still waiting for index 1, not retried").isEmpty();
        g.close();
        assertFailsWith(command, CommandOutcomeUnknownException.class);
    }

    // ------------------------------------------------------------------ request ids across incarnations

    @Test
    void aLateReadIndexAnswerToAnEarlierIncarnationDoesNotServeANewRead() {
        ManualGroup g = new ManualGroup(1);
        g.heartbeatFrom(N2, 1, 0, 0, 0);
        g.runtime.query(sm -> "first", ReadConsistency.LINEARIZABLE);
        g.executor.runAll();
        ReadIndexRequest old = g.outbox.take(ReadIndexRequest.class).get(0);
        g.close();

        g.start();
        g.heartbeatFrom(N2, 1, 0, 0, 0);
        CompletableFuture<Object> read = g.runtime.query(sm -> "second", ReadConsistency.LINEARIZABLE);
        g.executor.runAll();
        ReadIndexRequest fresh = g.outbox.take(ReadIndexRequest.class).get(0);
        g.deliver(new ReadIndexResponse(G, N2, N1, 1, old.requestId(), true, 0));
        assertThat(read).as("answered only by the leader's reply to this incarnation's request").isNotDone();
        g.deliver(new ReadIndexResponse(G, N2, N1, 1, fresh.requestId(), true, 0));
        assertThat(read).isCompletedWithValue("second");
    }

    @Test
    void aLateForwardAnswerToAnEarlierIncarnationDoesNotPlaceANewCommand() {
        ManualGroup g = new ManualGroup(1);
        g.heartbeatFrom(N2, 1, 0, 0, 0);
        g.runtime.command("first");
        g.executor.runAll();
        ForwardCommand old = g.outbox.take(ForwardCommand.class).get(0);
        g.close();

        g.start();
        g.heartbeatFrom(N2, 1, 0, 0, 0);
        CompletableFuture<Integer> command = g.runtime.command("second");
        g.executor.runAll();
        g.outbox.take(ForwardCommand.class);
        // "refused" for the old request: if taken as this command's, it would back off and be retried early
        g.deliver(new ForwardCommandResponse(G, N2, N1, 1, old.requestId(), false, 0, 0));
        g.tick();
        g.tick();
        assertThat(g.outbox.take(ForwardCommand.class)).as("no early retry").isEmpty();
        assertThat(command).isNotDone();
    }

    // ------------------------------------------------------------------ applying in slices

    @Test
    void acknowledgementsGoOutBeforeALongBacklogIsAppliedAndApplyingGoesOnInSlices() {
        ManualGroup g = new ManualGroup(1);
        int n = 20_000;
        List<LogEntry> entries = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            entries.add(new LogEntry(i, 1, EntryType.COMMAND, 0, 0, 0, 0,
                    ("c" + i).getBytes(StandardCharsets.UTF_8)));
        }
        g.deliver(new AppendEntriesRequest(G, N2, N1, 1, 0, 0, entries, 0, 0));
        g.outbox.sent.clear();

        g.runtime.receive(new AppendEntriesRequest(G, N2, N1, 1, n, 1, List.of(), n, 0));
        g.executor.runOne();
        assertThat(g.outbox.take(AppendEntriesResponse.class)).as("the answer does not wait for applying")
                .singleElement().matches(r -> r.success() && r.matchIndex() == n);
        assertThat(g.runtime.metrics().lastApplied()).as("nothing applied in the message's own task").isLessThan(n);

        int tasks = 0;
        while (g.executor.runOne()) {
            tasks++;
        }
        assertThat(g.runtime.metrics().lastApplied()).isEqualTo(n);
        assertThat(tasks).as("applied in several slices, each its own task").isGreaterThan(1);
    }

    @Test
    void aTickQueuedDuringApplyingRunsBetweenSlices() {
        ManualGroup g = new ManualGroup(1);
        int n = 20_000;
        List<LogEntry> entries = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            entries.add(new LogEntry(i, 1, EntryType.COMMAND, 0, 0, 0, 0, new byte[]{'x'}));
        }
        g.deliver(new AppendEntriesRequest(G, N2, N1, 1, 0, 0, entries, 0, 0));
        g.runtime.receive(new AppendEntriesRequest(G, N2, N1, 1, n, 1, List.of(), n, 0));
        g.executor.runOne();
        g.executor.runOne(); // the first slice
        long afterFirstSlice = g.runtime.metrics().lastApplied();
        g.nowMillis += ManualGroup.TICK_MILLIS;
        g.executor.tick();
        g.executor.runOne(); // the tick, or a slice if slices were queued ahead of it
        g.executor.runOne();
        assertThat(afterFirstSlice).isLessThan(n);
        assertThat(g.runtime.metrics().lastApplied()).as("the tick did not wait for the whole backlog").isLessThan(n);
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void aCloseThatOvertakesTheStartEndsItQuietlyAsStopped() {
        ManualGroup g = new ManualGroup(1);
        g.close();
        CompletableFuture<Void> started = g.startQueued();
        g.close(); // before the queued start ran: the executor is shut down by the time it does
        assertFailsWith(started, GroupStoppedException.class);
        assertThat(g.runtime.isRunning()).isFalse();
    }
}
