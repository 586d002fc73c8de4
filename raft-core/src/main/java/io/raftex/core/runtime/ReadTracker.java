package io.raftex.core.runtime;

import io.raftex.core.ReadConsistency;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Queries waiting for a read index or for the state machine to catch up with one. Used on the group thread only. */
final class ReadTracker {

    /** Where a query stands. */
    enum Phase {
        /** Asked the core for a read index; no answer yet. */
        SENT,
        /** Turned down; waiting before asking again. */
        BACKOFF,
        /** Has a read index; waiting until it is applied. */
        WAITING_APPLY
    }

    /** One query. */
    static final class PendingRead {
        final Function<Object, Object> query;
        final CompletableFuture<Object> future;
        final ReadConsistency consistency;
        final long deadlineMillis;
        long requestId;
        Phase phase = Phase.BACKOFF;
        long nextAttemptAtMillis;
        long readIndex;
        boolean sawLeader;

        PendingRead(Function<Object, Object> query, CompletableFuture<Object> future, ReadConsistency consistency,
                    long deadlineMillis) {
            this.query = query;
            this.future = future;
            this.consistency = consistency;
            this.deadlineMillis = deadlineMillis;
        }
    }

    private final Set<PendingRead> all = new LinkedHashSet<>();
    private final Map<Long, PendingRead> byRequest = new HashMap<>();
    private final PriorityQueue<PendingRead> waiting =
            new PriorityQueue<>(Comparator.comparingLong((PendingRead r) -> r.readIndex));

    void add(PendingRead r) {
        all.add(r);
    }

    int size() {
        return all.size();
    }

    /** Starts an attempt under a fresh request id. */
    void attempt(PendingRead r, long requestId, long nowMillis, long resendAfterMillis) {
        byRequest.remove(r.requestId);
        r.requestId = requestId;
        r.phase = Phase.SENT;
        r.nextAttemptAtMillis = nowMillis + resendAfterMillis;
        byRequest.put(requestId, r);
    }

    /** The read index arrived for {@code requestId}; null if that query is gone or superseded. */
    PendingRead ready(long requestId) {
        return byRequest.remove(requestId);
    }

    /** Parks a query until {@code readIndex} is applied. */
    void awaitApplied(PendingRead r, long readIndex) {
        r.phase = Phase.WAITING_APPLY;
        r.readIndex = readIndex;
        waiting.add(r);
    }

    /** Queries whose read index is now applied, removed from the tracker, lowest read index first. */
    List<PendingRead> takeApplied(long lastApplied) {
        List<PendingRead> ready = new ArrayList<>();
        while (!waiting.isEmpty() && waiting.peek().readIndex <= lastApplied) {
            PendingRead r = waiting.poll();
            if (all.remove(r)) {
                ready.add(r);
            }
        }
        return ready;
    }

    /** The attempt {@code requestId} was turned down; null if unknown or superseded. */
    PendingRead rejected(long requestId, long retryAtMillis) {
        PendingRead r = byRequest.remove(requestId);
        if (r == null) {
            return null;
        }
        r.phase = Phase.BACKOFF;
        r.nextAttemptAtMillis = retryAtMillis;
        return r;
    }

    void remove(PendingRead r) {
        all.remove(r);
        byRequest.remove(r.requestId, r);
        if (r.phase == Phase.WAITING_APPLY) {
            waiting.remove(r);
        }
    }

    List<PendingRead> all() {
        return new ArrayList<>(all);
    }

    List<PendingRead> clear() {
        List<PendingRead> result = all();
        all.clear();
        byRequest.clear();
        waiting.clear();
        return result;
    }
}
