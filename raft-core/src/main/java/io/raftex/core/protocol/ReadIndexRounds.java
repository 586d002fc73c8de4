package io.raftex.core.protocol;

import io.raftex.core.MemberId;
import io.raftex.core.protocol.Effect.Rejection;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The leader's ReadIndex reads (Raft thesis §6.4; etcd-raft's {@code read_only.go} does the same job): reads wait
 * until an entry of the leader's term is committed; a read that needs no confirmation of leadership is then served
 * at the commit index; the others go in rounds. A round takes the commit index of the moment it starts and a
 * number, which the leader's heartbeats carry and the followers echo; it is served once a quorum of voters has
 * echoed that round or a later one. One round is in flight at a time: reads that come meanwhile wait and go together
 * in the next round, started as soon as the one in flight is confirmed (etcd's read loop does the same), so a busy
 * leader sends one heartbeat per voter for a whole batch of reads, not per read. At most {@code maxPending} reads
 * wait at a time; more are refused as overloaded.
 */
final class ReadIndexRounds {

    /**
     * A read waiting on the leader.
     *
     * @param origin      the member that asked, or empty for a read on the leader itself
     * @param requestId   the asker's id for the read
     * @param quorumRound whether leadership must be confirmed (linearizable) or the commit index suffices
     */
    record PendingRead(Optional<MemberId> origin, long requestId, boolean quorumRound) {
    }

    /** What the rounds need of the leader they run on. */
    interface Leader {

        /** The leader's commit index now. */
        long commitIndex();

        /** The highest round a quorum of voters has echoed, the leader counting itself at {@code ownRound}. */
        long quorumRound(long ownRound);

        /** Sends every voter a heartbeat carrying the current round ({@link #currentRound()}). */
        void heartbeatVoters();

        /** Serves {@code read} at {@code readIndex}. */
        void complete(PendingRead read, long readIndex);

        /** Refuses {@code read} for {@code reason}. */
        void reject(PendingRead read, Rejection reason);
    }

    private record Round(long round, long readIndex, List<PendingRead> reads) {
    }

    private final int maxPending;
    private final Leader leader;
    private final List<PendingRead> awaitingCommit = new ArrayList<>();
    private final ArrayDeque<Round> rounds = new ArrayDeque<>();
    /** Reads that came while a round was in flight: the next round's batch. */
    private final List<PendingRead> nextRound = new ArrayList<>();
    private long lastRound;
    private int pending;

    ReadIndexRounds(int maxPending, Leader leader) {
        this.maxPending = maxPending;
        this.leader = leader;
    }

    /** The number of the newest round started (0: none yet); rounds count on across terms. */
    long currentRound() {
        return lastRound;
    }

    /** Takes a read on the leader: {@code ownTermCommitted} tells whether an entry of its term has committed. */
    void accept(PendingRead read, boolean ownTermCommitted) {
        if (pending >= maxPending) {
            leader.reject(read, Rejection.OVERLOADED);
            return;
        }
        if (!ownTermCommitted) {
            awaitingCommit.add(read); // the read index is unknown until an entry of this term commits
            pending++;
            return;
        }
        if (!read.quorumRound()) {
            leader.complete(read, leader.commitIndex());
            return;
        }
        if (!rounds.isEmpty()) {
            nextRound.add(read); // goes with the next round, once the one in flight is confirmed
            pending++;
            return;
        }
        startRound(List.of(read));
    }

    /** An entry of the leader's term has committed: the reads that waited for it proceed. */
    void ownTermCommitted() {
        List<PendingRead> quorumReads = new ArrayList<>();
        List<PendingRead> waiting = new ArrayList<>(awaitingCommit);
        awaitingCommit.clear();
        pending -= waiting.size();
        long commitIndex = leader.commitIndex();
        for (PendingRead r : waiting) {
            if (r.quorumRound()) {
                quorumReads.add(r);
            } else {
                leader.complete(r, commitIndex);
            }
        }
        startRound(quorumReads);
    }

    /**
     * Serves every round a quorum has confirmed ({@link Leader#quorumRound}); if none is in flight then, starts the
     * next round with the reads that waited for it. Called when a voter echoes a newer round.
     */
    void confirm() {
        long confirmed = leader.quorumRound(lastRound);
        while (!rounds.isEmpty() && rounds.peekFirst().round() <= confirmed) {
            Round r = rounds.pollFirst();
            pending -= r.reads().size();
            for (PendingRead read : r.reads()) {
                leader.complete(read, r.readIndex());
            }
        }
        if (rounds.isEmpty()) {
            List<PendingRead> batch = List.copyOf(nextRound);
            nextRound.clear();
            pending -= batch.size();
            startRound(batch);
        }
    }

    /** Leadership ended: every waiting read fails. */
    void failAll() {
        List<PendingRead> all = new ArrayList<>(awaitingCommit);
        rounds.forEach(r -> all.addAll(r.reads()));
        all.addAll(nextRound);
        awaitingCommit.clear();
        rounds.clear();
        nextRound.clear();
        pending = 0;
        for (PendingRead r : all) {
            leader.reject(r, Rejection.LEADERSHIP_LOST);
        }
    }

    private void startRound(List<PendingRead> batch) {
        if (batch.isEmpty()) {
            return;
        }
        lastRound++;
        rounds.addLast(new Round(lastRound, leader.commitIndex(), List.copyOf(batch)));
        pending += batch.size();
        leader.heartbeatVoters();
        confirm();
    }
}
