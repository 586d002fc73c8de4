package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to a {@link PreVoteRequest}.
 *
 * @param term    when granted, the term of the request; otherwise the responder's current term
 * @param granted whether the responder would vote for the sender
 * @param incarnation the incarnation of the responder's data directory (0: it has none); the candidate counts the
 *                    answer only if its configuration binds that incarnation
 */
public record PreVoteResponse(String group, MemberId from, MemberId to, long term, boolean granted, long incarnation)
        implements RaftMessage {

    /** An answer from a responder without an incarnation. */
    public PreVoteResponse(String group, MemberId from, MemberId to, long term, boolean granted) {
        this(group, from, to, term, granted, 0);
    }
}
