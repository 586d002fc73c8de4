package io.raftex.core.message;

import io.raftex.core.MemberId;

/** Answer to a {@link VoteRequest}. */
public record VoteResponse(String group, MemberId from, MemberId to, long term, boolean granted)
        implements RaftMessage {
}
