package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * A member asks the leader for a read index on behalf of a query (ReadIndex, Raft thesis §6.4).
 *
 * @param requestId        the asking member's id for the query
 * @param confirmLeadership whether the leader must confirm leadership with a quorum round (linearizable) or may
 *                          answer from its commit index at once (leader consistency)
 */
public record ReadIndexRequest(String group, MemberId from, MemberId to, long term, long requestId,
                               boolean confirmLeadership) implements RaftMessage {
}
