package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to an {@link InstallSnapshotRequest}.
 *
 * @param lastIndex the last index of the snapshot answered
 * @param received  bytes of it the receiver holds in order: where the next chunk must start (0 to start over)
 * @param installed whether the receiver now holds the state up to {@code lastIndex} (the snapshot is installed, or
 *                  it had that much already)
 * @param incarnation   the incarnation of the sender's data directory (0: it has none); only the incarnation the
 *                      configuration binds counts toward a quorum
 */
public record InstallSnapshotResponse(String group, MemberId from, MemberId to, long term, long lastIndex,
                                      long received, boolean installed, long incarnation) implements RaftMessage {

    /** An answer from a sender without an incarnation. */
    public InstallSnapshotResponse(String group, MemberId from, MemberId to, long term, long lastIndex,
                                   long received, boolean installed) {
        this(group, from, to, term, lastIndex, received, installed, 0);
    }
}
