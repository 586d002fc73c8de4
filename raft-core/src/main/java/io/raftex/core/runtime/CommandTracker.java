package io.raftex.core.runtime;

import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.protocol.Proposal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The client session of one group handle and its commands awaiting an answer. Used on the group thread only.
 *
 * <p>A command keeps its (client id, sequence) for life and may be proposed many times; each attempt gets a fresh
 * request id. It is answered when an entry carrying its (client id, sequence) is applied, whichever attempt put it
 * there: the session table makes every later copy a duplicate that applies nothing.
 */
final class CommandTracker {

    /** Where a command stands. */
    enum Phase {
        /** Proposed; no answer from the core yet. */
        SENT,
        /** Appended by a leader at some index; waiting for it to be applied. */
        ACCEPTED,
        /** Turned down; waiting before the next attempt. */
        BACKOFF
    }

    /** One command awaiting its answer: built once when submitted, numbered when the session takes it. */
    static final class Pending {
        /** Its sequence number in the session; 0 until {@link #register} takes it. */
        long sequence;
        final byte[] payload;
        final CompletableFuture<Object> future;
        final long submittedNanos;
        final long deadlineMillis;
        long requestId;
        Phase phase = Phase.BACKOFF;
        long nextAttemptAtMillis;
        int attempts;
        /** An attempt got no definite "not appended" answer, so the command may be in some leader's log. */
        boolean maybeAppended;
        boolean currentAttemptOpen;

        Pending(byte[] payload, CompletableFuture<Object> future, long submittedNanos, long deadlineMillis) {
            this.payload = payload;
            this.future = future;
            this.submittedNanos = submittedNanos;
            this.deadlineMillis = deadlineMillis;
        }
    }

    private final long clientId;
    private long nextSequence = 1;
    private boolean established;
    private final TreeMap<Long, Pending> bySequence = new TreeMap<>();
    private final Map<Long, Pending> byRequest = new HashMap<>();
    /** Commands by the index a leader said it appended them at. */
    private final Map<Long, List<Pending>> byIndex = new HashMap<>();

    CommandTracker(long clientId) {
        if (clientId == 0) {
            throw new IllegalArgumentException("client id 0 means 'no session'");
        }
        this.clientId = clientId;
    }

    int size() {
        return bySequence.size();
    }

    /** Takes a newly submitted command into the session, giving it the next sequence number. */
    Pending register(Pending p) {
        if (p.sequence != 0) {
            throw new IllegalStateException("command #" + p.sequence + " is in the session already");
        }
        p.sequence = nextSequence++;
        bySequence.put(p.sequence, p);
        return p;
    }

    /**
     * The lowest sequence number not yet answered: the session table may forget results below it. Until one of
     * the session's commands has been seen applied, 1: the group's session table treats a session it does not know
     * that claims earlier answers as evicted, and refuses its commands; but the earlier answers may all have been
     * failures of commands that never reached the log (no leader), which must not poison the session.
     */
    long ackedBelow() {
        if (!established) {
            return 1;
        }
        return bySequence.isEmpty() ? nextSequence : bySequence.firstKey();
    }

    /** One of the session's commands was applied, so the group's session table knows the session. */
    void established() {
        established = true;
    }

    /** Starts an attempt under a fresh request id and returns the proposal to hand to the core. */
    Proposal attempt(Pending p, long requestId, long nowMillis, long resendAfterMillis) {
        byRequest.remove(p.requestId);
        if (p.currentAttemptOpen) {
            p.maybeAppended = true; // the previous attempt was never answered
        }
        p.requestId = requestId;
        p.phase = Phase.SENT;
        p.nextAttemptAtMillis = nowMillis + resendAfterMillis;
        p.attempts++;
        p.currentAttemptOpen = true;
        byRequest.put(requestId, p);
        return new Proposal(requestId, clientId, p.sequence, ackedBelow(), p.payload);
    }

    /** A leader appended the attempt {@code requestId} at {@code index}; null if that command is answered already. */
    Pending accepted(long requestId, long index, long nowMillis, long acceptedWaitMillis) {
        Pending p = byRequest.get(requestId);
        if (p == null) {
            return null;
        }
        p.maybeAppended = true;
        p.currentAttemptOpen = false;
        p.phase = Phase.ACCEPTED;
        p.nextAttemptAtMillis = nowMillis + acceptedWaitMillis;
        byIndex.computeIfAbsent(index, i -> new ArrayList<>(1)).add(p);
        return p;
    }

    /**
     * The attempt {@code requestId} was turned down; null if unknown, superseded, or already accepted (an acceptance
     * is the definite answer: a refusal after it comes from a duplicate of the request). With
     * {@code mayHaveBeenAppended}, the refusal does not prove that no copy of the request was appended.
     */
    Pending rejected(long requestId, long retryAtMillis, boolean mayHaveBeenAppended) {
        Pending p = byRequest.get(requestId);
        if (p == null || p.phase == Phase.ACCEPTED) {
            return null;
        }
        byRequest.remove(requestId);
        if (mayHaveBeenAppended) {
            p.maybeAppended = true;
        }
        p.currentAttemptOpen = false;
        p.phase = Phase.BACKOFF;
        p.nextAttemptAtMillis = retryAtMillis;
        return p;
    }

    /** The command that {@code entry} answers, if it is one of ours still waiting. */
    Pending answeredBy(LogEntry entry) {
        if (entry.type() != EntryType.COMMAND || entry.clientId() != clientId) {
            return null;
        }
        return bySequence.get(entry.sequence());
    }

    /**
     * Commands that a leader appended at {@code entry}'s index but that are not what was applied there: that append
     * was lost to a change of leader. Call after answering {@code entry}.
     */
    List<Pending> displacedBy(LogEntry entry) {
        List<Pending> at = byIndex.remove(entry.index());
        if (at == null) {
            return List.of();
        }
        List<Pending> displaced = new ArrayList<>(at.size());
        for (Pending p : at) {
            if (bySequence.get(p.sequence) == p) {
                displaced.add(p);
            }
        }
        return displaced;
    }

    /**
     * Commands accepted at an index up to {@code index} that a snapshot has now covered without applying them here:
     * whether they were applied is in the snapshot's session table, so they must be proposed again to learn it.
     */
    List<Pending> coveredBySnapshot(long index) {
        List<Pending> covered = new ArrayList<>();
        byIndex.entrySet().removeIf(e -> {
            if (e.getKey() > index) {
                return false;
            }
            for (Pending p : e.getValue()) {
                if (bySequence.get(p.sequence) == p) {
                    covered.add(p);
                }
            }
            return true;
        });
        return covered;
    }

    /** Forgets that {@code p} was accepted at {@code index}. */
    void forgetAcceptance(long index, Pending p) {
        List<Pending> at = byIndex.get(index);
        if (at != null) {
            at.remove(p);
            if (at.isEmpty()) {
                byIndex.remove(index);
            }
        }
    }

    /** Forgets an answered (or failed) command. */
    void remove(Pending p) {
        bySequence.remove(p.sequence, p);
        byRequest.remove(p.requestId, p);
    }

    /** Every command still waiting, oldest first. */
    List<Pending> all() {
        return new ArrayList<>(bySequence.values());
    }

    /** Forgets everything (the group stopped); returns what was waiting. */
    List<Pending> clear() {
        List<Pending> all = all();
        bySequence.clear();
        byRequest.clear();
        byIndex.clear();
        return all;
    }
}
