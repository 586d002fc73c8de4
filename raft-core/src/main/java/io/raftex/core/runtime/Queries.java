package io.raftex.core.runtime;

import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.protocol.Effect;

import java.util.function.LongSupplier;

/**
 * Queries from their start to their answer: a local one runs at once (or, while the state is missing, once a
 * snapshot brings it); any other asks the core for a read index under a fresh request id per attempt, waits until
 * that index is applied, then runs. A query past its deadline fails, as a timeout if a leader was seen and as "no
 * leader" if not. Used on the group thread only, except {@link #fail}.
 */
final class Queries implements PendingWork {

    /** What queries need of the core, the log and the state machine. */
    interface Host {
        /** Whether the state machine is behind the start of the log. */
        boolean stateMissing();

        /** The index the log starts after. */
        long snapshotIndex();

        /** Whether the core knows a leader. */
        boolean leaderKnown();

        /** A request id not used before in this incarnation. */
        long nextRequestId();

        /** Asks the core for a read index under {@code requestId}. */
        void read(long requestId, ReadConsistency consistency);

        /** The index of the last entry applied to the state machine. */
        long lastApplied();

        /** The state machine, for a query to read. */
        Object machine();

        /** A query of the given consistency was answered with its value; called before its future completes. */
        void queryCompleted(ReadConsistency consistency);

        /** A query of the given consistency failed for {@code reason}; called before its future completes. */
        void queryFailed(ReadConsistency consistency, Throwable reason);
    }

    private final String group;
    private final Host host;
    private final Answers answers;
    private final LongSupplier clock;
    private final long timeoutMillis;
    private final long resendAfterMillis;
    private final long backoffMillis;
    private final ReadTracker reads = new ReadTracker();

    /**
     * @param clock             milliseconds of a monotonic clock
     * @param timeoutMillis     how long a query may take (named in the timeout's message)
     * @param resendAfterMillis how long an attempt with no answer waits before the next
     * @param backoffMillis     how long a refused attempt waits before the next
     */
    Queries(String group, Host host, Answers answers, LongSupplier clock, long timeoutMillis, long resendAfterMillis,
            long backoffMillis) {
        this.group = group;
        this.host = host;
        this.answers = answers;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.resendAfterMillis = resendAfterMillis;
        this.backoffMillis = backoffMillis;
    }

    /** Starts a query on the group thread. */
    void start(ReadTracker.PendingRead r) {
        if (r.consistency == ReadConsistency.LOCAL && host.stateMissing()) {
            reads.add(r); // the state is not there yet: wait for the snapshot that brings it
            reads.awaitApplied(r, host.snapshotIndex());
            return;
        }
        if (r.consistency == ReadConsistency.LOCAL) {
            run(r);
            return;
        }
        reads.add(r);
        attempt(r);
    }

    int size() {
        return reads.size();
    }

    private void attempt(ReadTracker.PendingRead r) {
        if (host.leaderKnown()) {
            r.sawLeader = true;
        }
        long requestId = host.nextRequestId();
        reads.attempt(r, requestId, clock.getAsLong(), resendAfterMillis);
        host.read(requestId, r.consistency);
    }

    /** The core gave a read index: run the query once it is applied. */
    void onReady(Effect.ReadReady ready) {
        ReadTracker.PendingRead r = reads.ready(ready.requestId());
        if (r == null) {
            return;
        }
        r.sawLeader = true;
        if (ready.readIndex() <= host.lastApplied()) {
            reads.remove(r);
            run(r);
        } else {
            reads.awaitApplied(r, ready.readIndex());
        }
    }

    /** The core could not give a read index: try again after a back-off. */
    void onRejected(Effect.ReadRejected rejected) {
        ReadTracker.PendingRead r = reads.rejected(rejected.requestId(), clock.getAsLong() + backoffMillis);
        if (r != null && rejected.leaderHint().isPresent()) {
            r.sawLeader = true;
        }
    }

    /** The state machine has applied up to {@code lastApplied}: runs the queries waiting for it. */
    void applied(long lastApplied) {
        for (ReadTracker.PendingRead r : reads.takeApplied(lastApplied)) {
            run(r);
        }
    }

    private void run(ReadTracker.PendingRead r) {
        Object value;
        try {
            value = r.query.apply(host.machine());
        } catch (Throwable t) {
            fail(r, t);
            return;
        }
        host.queryCompleted(r.consistency);
        answers.complete(r.future, value);
    }

    /** Fails a query unless it is answered already; from any thread (a query refused before it reached the group). */
    void fail(ReadTracker.PendingRead r, Throwable reason) {
        if (!r.future.isDone()) {
            host.queryFailed(r.consistency, reason);
            answers.fail(r.future, reason);
        }
    }

    @Override
    public void sweep(long nowMillis, boolean leaderFound) {
        if (reads.size() == 0) {
            return;
        }
        for (ReadTracker.PendingRead r : reads.all()) {
            if (nowMillis >= r.deadlineMillis) {
                reads.remove(r);
                fail(r, r.sawLeader
                        ? new QueryTimeoutException("group '" + group + "': " + r.consistency
                        + " query not served within " + timeoutMillis + " ms")
                        : new NoLeaderException(group, "group '" + group + "': no leader known for "
                        + timeoutMillis + " ms"));
            } else if (r.phase != ReadTracker.Phase.WAITING_APPLY && (nowMillis >= r.nextAttemptAtMillis
                    || (leaderFound && r.phase == ReadTracker.Phase.BACKOFF))) {
                attempt(r);
            }
        }
    }

    @Override
    public void failAll(GroupStoppedException reason) {
        for (ReadTracker.PendingRead r : reads.clear()) {
            fail(r, reason);
        }
    }
}
