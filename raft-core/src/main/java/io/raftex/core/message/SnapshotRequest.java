package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * A follower asks its leader for a snapshot: its log is whole, but its state machine cannot be rebuilt from it (the
 * snapshot its log starts after was found damaged at restart).
 *
 * @param needIndex the snapshot must cover at least this index (where the follower's log starts, minus one)
 */
public record SnapshotRequest(String group, MemberId from, MemberId to, long term, long needIndex)
        implements RaftMessage {
}
