package io.raftex.core.protocol;

import java.util.ArrayDeque;

/**
 * The leader's view of one follower's replication (etcd-raft's "progress"): what matches, what to send next,
 * and what is in flight.
 */
final class Progress {

    /** How the leader sends to the follower. */
    enum State {
        /** Unsure where the logs diverge: one AppendEntries at a time until one succeeds. */
        PROBE,
        /** Logs agree up to {@code match}: send ahead optimistically, up to the in-flight limit. */
        REPLICATE,
        /** The follower needs entries the leader compacted away: a snapshot is on its way; no entries meanwhile. */
        SNAPSHOT
    }

    long match;
    long next;
    /** The follower's incarnation this progress is about: the one the configuration bound when it was made. */
    final long incarnation;
    State state = State.PROBE;
    /** In PROBE state: a probe is out and no answer or heartbeat interval has passed since. */
    boolean probeSent;
    /** Heard from since the last check-quorum round. */
    boolean recentActive;
    /** Last index of each AppendEntries in flight, oldest first. */
    final ArrayDeque<Long> inflight = new ArrayDeque<>();
    /** The commit index most recently sent to this follower. */
    long commitSent;
    /** Highest read round this follower has echoed in the current term. */
    long readRoundAcked;
    /** Match index seen at the last heartbeat, and for how many heartbeats in a row it has not moved. */
    /** In SNAPSHOT state: heartbeats since the follower last answered a snapshot chunk. */
    int heartbeatsSinceSnapshotProgress;
    private long matchAtLastHeartbeat;
    private int heartbeatsWithoutProgress;

    Progress(long next, long incarnation) {
        this.next = next;
        this.incarnation = incarnation;
    }

    void becomeProbe() {
        state = State.PROBE;
        next = Math.max(next, match + 1);
        probeSent = false;
        inflight.clear();
    }

    void becomeSnapshot() {
        state = State.SNAPSHOT;
        probeSent = false;
        inflight.clear();
        heartbeatsSinceSnapshotProgress = 0;
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        next = Math.max(next, match + 1);
        probeSent = false;
    }

    /** Records that the follower holds a durable, matching log up to {@code index}; true if it moved forward. */
    boolean acknowledge(long index) {
        while (!inflight.isEmpty() && inflight.peekFirst() <= index) {
            inflight.pollFirst();
        }
        if (index > match) {
            match = index;
            next = Math.max(next, index + 1);
            return true;
        }
        return false;
    }

    /**
     * Called at each heartbeat. A pipeline whose messages were lost would wait forever for answers that never come,
     * so after two heartbeats with entries outstanding and no progress the leader falls back to probing from match.
     */
    void checkStalled() {
        if (state == State.REPLICATE && next - 1 > match && match == matchAtLastHeartbeat) {
            if (++heartbeatsWithoutProgress >= 2) {
                becomeProbe();
                next = match + 1;
                heartbeatsWithoutProgress = 0;
            }
        } else {
            heartbeatsWithoutProgress = 0;
        }
        matchAtLastHeartbeat = match;
    }

    boolean canSend(int maxInflight) {
        return switch (state) {
            case PROBE -> !probeSent;
            case REPLICATE -> inflight.size() < maxInflight;
            case SNAPSHOT -> false;
        };
    }

    void sent(long lastIndex) {
        switch (state) {
            case PROBE -> probeSent = true;
            case REPLICATE -> {
                next = lastIndex + 1;
                inflight.addLast(lastIndex);
            }
            case SNAPSHOT -> {
            }
        }
    }

    @Override
    public String toString() {
        return state + "[match=" + match + " next=" + next + " inflight=" + inflight.size() + "]";
    }
}
