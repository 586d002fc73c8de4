package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to an {@link InstallSnapshotRequest}.
 *
 * @param lastIndex the last index of the snapshot answered
 * @param received  bytes of it the receiver holds in order: where the next chunk must start (0 to start over)
 * @param installed whether the receiver now holds the state up to {@code lastIndex} (the snapshot is installed, or
 *                  it had that much already)
 */
public record InstallSnapshotResponse(String group, MemberId from, MemberId to, long term, long lastIndex,
                                      long received, boolean installed) implements RaftMessage {
}
