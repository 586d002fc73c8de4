package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to a {@link PreVoteRequest}.
 *
 * @param term    when granted, the term of the request; otherwise the responder's current term
 * @param granted whether the responder would vote for the sender
 */
public record PreVoteResponse(String group, MemberId from, MemberId to, long term, boolean granted)
        implements RaftMessage {
}
