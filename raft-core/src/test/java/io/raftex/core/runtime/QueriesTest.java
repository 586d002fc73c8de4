package io.raftex.core.runtime;

import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.protocol.Effect;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Queries} on a virtual clock, through a host that records the reads asked of the core. */
class QueriesTest {

    private static final long TIMEOUT = 5_000;
    private static final long RESEND = 500;
    private static final long BACKOFF = 100;

    private final RecordingHost host = new RecordingHost();
    private long now = 1_000;
    private final Queries queries = new Queries("g", host, new Answers(Runnable::run), () -> now, TIMEOUT, RESEND,
            BACKOFF);

    /** The core, the log and a state machine (a string) as a test sets them; records each read and count. */
    static final class RecordingHost implements Queries.Host {
        boolean stateMissing;
        long snapshotIndex;
        boolean leaderKnown;
        long nextRequestId = 100;
        final List<Long> reads = new ArrayList<>();
        long lastApplied;
        int completed;
        int failed;

        @Override
        public boolean stateMissing() {
            return stateMissing;
        }

        @Override
        public long snapshotIndex() {
            return snapshotIndex;
        }

        @Override
        public boolean leaderKnown() {
            return leaderKnown;
        }

        @Override
        public long nextRequestId() {
            return nextRequestId++;
        }

        @Override
        public void read(long requestId, ReadConsistency consistency) {
            reads.add(requestId);
        }

        @Override
        public long lastApplied() {
            return lastApplied;
        }

        @Override
        public Object machine() {
            return "state at " + lastApplied;
        }

        @Override
        public void queryCompleted(ReadConsistency consistency) {
            completed++;
        }

        @Override
        public void queryFailed(ReadConsistency consistency, Throwable reason) {
            failed++;
        }
    }

    private CompletableFuture<Object> start(ReadConsistency consistency) {
        return start(consistency, Object::toString);
    }

    private CompletableFuture<Object> start(ReadConsistency consistency, Function<Object, Object> query) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        queries.start(new ReadTracker.PendingRead(query, f, consistency, now + TIMEOUT));
        return f;
    }

    @Test
    void aLocalQueryRunsAtOnce() {
        host.lastApplied = 3;
        assertThat(start(ReadConsistency.LOCAL)).isCompletedWithValue("state at 3");
        assertThat(host.reads).isEmpty();
        assertThat(host.completed).isEqualTo(1);
    }

    @Test
    void aLocalQueryWaitsForTheSnapshotWhileTheStateIsMissing() {
        host.stateMissing = true;
        host.snapshotIndex = 40;
        CompletableFuture<Object> f = start(ReadConsistency.LOCAL);
        queries.applied(39);
        assertThat(f).isNotDone();
        host.lastApplied = 40;
        queries.applied(40);
        assertThat(f).isCompletedWithValue("state at 40");
    }

    @Test
    void aLinearizableQueryRunsOnceItsReadIndexIsApplied() {
        host.lastApplied = 5;
        CompletableFuture<Object> f = start(ReadConsistency.LINEARIZABLE);
        assertThat(host.reads).containsExactly(100L);
        queries.onReady(new Effect.ReadReady(100, 7));
        assertThat(f).isNotDone();
        host.lastApplied = 7;
        queries.applied(7);
        assertThat(f).isCompletedWithValue("state at 7");
        assertThat(queries.size()).isZero();
    }

    @Test
    void aRefusedReadIsAskedAgainAfterTheBackOffOrAtOnceWhenALeaderIsFound() {
        CompletableFuture<Object> f = start(ReadConsistency.LINEARIZABLE);
        queries.onRejected(new Effect.ReadRejected(100, Effect.Rejection.NO_LEADER, Optional.empty()));
        queries.sweep(now + BACKOFF - 1, false);
        assertThat(host.reads).containsExactly(100L);
        queries.sweep(now, true);
        assertThat(host.reads).containsExactly(100L, 101L);
        queries.onRejected(new Effect.ReadRejected(101, Effect.Rejection.NO_LEADER, Optional.empty()));
        queries.sweep(now + BACKOFF, false);
        assertThat(host.reads).containsExactly(100L, 101L, 102L);
        queries.onReady(new Effect.ReadReady(100, 1)); // an answer to a superseded attempt
        assertThat(f).isNotDone();
    }

    @Test
    void theDeadlineFailsAQueryAsNoLeaderUnlessALeaderWasSeen() {
        CompletableFuture<Object> noLeader = start(ReadConsistency.LINEARIZABLE);
        host.leaderKnown = true;
        CompletableFuture<Object> slow = start(ReadConsistency.LINEARIZABLE);
        host.leaderKnown = false; // the leader is gone: the retries see none
        queries.sweep(now + TIMEOUT - 1, false);
        assertThat(noLeader).isNotDone();
        queries.sweep(now + TIMEOUT, false);
        assertThat(failure(noLeader)).isInstanceOf(NoLeaderException.class);
        assertThat(failure(slow)).isInstanceOf(QueryTimeoutException.class);
        assertThat(host.failed).isEqualTo(2);
    }

    @Test
    void aQueryThatThrowsFailsWithItsException() {
        IllegalStateException boom = new IllegalStateException("boom");
        CompletableFuture<Object> f = start(ReadConsistency.LOCAL, sm -> {
            throw boom;
        });
        assertThat(failure(f)).isSameAs(boom);
        assertThat(host.failed).isEqualTo(1);
    }

    @Test
    void failAllFailsEveryQueryWaitingOnce() {
        CompletableFuture<Object> asked = start(ReadConsistency.LINEARIZABLE);
        CompletableFuture<Object> waitingApply = start(ReadConsistency.LINEARIZABLE);
        queries.onReady(new Effect.ReadReady(101, 9));
        GroupStoppedException stopped = new GroupStoppedException("stopped", null);
        queries.failAll(stopped);
        assertThat(failure(asked)).isSameAs(stopped);
        assertThat(failure(waitingApply)).isSameAs(stopped);
        queries.failAll(stopped);
        assertThat(host.failed).isEqualTo(2);
        assertThat(queries.size()).isZero();
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        return f.handle((v, t) -> t).join();
    }
}
