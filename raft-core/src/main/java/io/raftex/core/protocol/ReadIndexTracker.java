package io.raftex.core.protocol;

import io.raftex.core.MemberId;
import io.raftex.core.protocol.Effect.Rejection;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The leader's bookkeeping for ReadIndex (Raft thesis §6.4): reads wait until an entry of the leader's term is
 * committed, then each batch gets the commit index of that moment and a round number; the batch is served once a
 * quorum of voters has answered a message of that round or a later one. One round is in flight at a time: reads that
 * come meanwhile wait and go together in the next round, started as soon as the one in flight is confirmed (etcd's
 * read loop does the same), so a busy leader sends one heartbeat per voter for a whole batch of reads, not per read.
 */
final class ReadIndexTracker {

    /**
     * A read waiting on the leader.
     *
     * @param origin      the member that asked, or empty for a read on the leader itself
     * @param requestId   the asker's id for the read
     * @param quorumRound whether leadership must be confirmed (linearizable) or the commit index suffices
     */
    record PendingRead(Optional<MemberId> origin, long requestId, boolean quorumRound) {
    }

    private record Round(long round, long readIndex, List<PendingRead> reads) {
    }

    private final int maxPending;
    private final List<PendingRead> awaitingCommit = new ArrayList<>();
    private final ArrayDeque<Round> rounds = new ArrayDeque<>();
    /** Reads that came while a round was in flight: the next round's batch. */
    private final List<PendingRead> nextRound = new ArrayList<>();
    private long lastRound;
    private int pending;

    ReadIndexTracker(int maxPending) {
        this.maxPending = maxPending;
    }

    boolean isFull() {
        return pending >= maxPending;
    }

    long currentRound() {
        return lastRound;
    }

    void awaitCommit(PendingRead read) {
        awaitingCommit.add(read);
        pending++;
    }

    /** Called once an entry of the leader's term commits: reads that waited for it proceed. */
    void releaseAwaitingCommit(long commitIndex, Consumer<List<PendingRead>> startRound,
                               BiConsumer<PendingRead, Long> complete) {
        List<PendingRead> quorumReads = new ArrayList<>();
        List<PendingRead> waiting = new ArrayList<>(awaitingCommit);
        awaitingCommit.clear();
        pending -= waiting.size();
        for (PendingRead r : waiting) {
            if (r.quorumRound()) {
                quorumReads.add(r);
            } else {
                complete.accept(r, commitIndex);
            }
        }
        startRound.accept(quorumReads);
    }

    /** Whether a round has been started and not yet confirmed. */
    boolean roundInFlight() {
        return !rounds.isEmpty();
    }

    /** Queues a read for the round after the one in flight. */
    void awaitNextRound(PendingRead read) {
        nextRound.add(read);
        pending++;
    }

    /** Takes the reads queued for the next round (to start it). */
    List<PendingRead> takeNextRound() {
        List<PendingRead> batch = List.copyOf(nextRound);
        nextRound.clear();
        pending -= batch.size();
        return batch;
    }

    void startRound(long readIndex, List<PendingRead> reads) {
        lastRound++;
        rounds.addLast(new Round(lastRound, readIndex, List.copyOf(reads)));
        pending += reads.size();
    }

    /** The highest round that a quorum of voters (the leader counting itself) has answered. */
    long highestRoundConfirmedBy(Set<MemberId> voters, MemberId self, int quorum, ToLongFunction<MemberId> acked) {
        long[] rounds = new long[voters.size()];
        int i = 0;
        for (MemberId v : voters) {
            rounds[i++] = v.equals(self) ? lastRound : acked.applyAsLong(v);
        }
        java.util.Arrays.sort(rounds);
        return rounds[rounds.length - quorum];
    }

    void releaseUpTo(long confirmedRound, BiConsumer<PendingRead, Long> complete) {
        while (!rounds.isEmpty() && rounds.peekFirst().round() <= confirmedRound) {
            Round r = rounds.pollFirst();
            pending -= r.reads().size();
            for (PendingRead read : r.reads()) {
                complete.accept(read, r.readIndex());
            }
        }
    }

    /** Leadership ended: every waiting read fails. */
    void failAll(BiConsumer<PendingRead, Rejection> reject) {
        List<PendingRead> all = new ArrayList<>(awaitingCommit);
        rounds.forEach(r -> all.addAll(r.reads()));
        all.addAll(nextRound);
        awaitingCommit.clear();
        rounds.clear();
        nextRound.clear();
        pending = 0;
        for (PendingRead r : all) {
            reject.accept(r, Rejection.LEADERSHIP_LOST);
        }
    }
}
