package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * The leader's answer to a {@link ReadIndexRequest}.
 *
 * @param success   whether the leader could serve it
 * @param readIndex on success, the index the asking member must apply before running the query
 */
public record ReadIndexResponse(String group, MemberId from, MemberId to, long term, long requestId,
                                boolean success, long readIndex) implements RaftMessage {
}
