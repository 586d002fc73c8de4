package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to a {@link PreVoteRequest}.
 *
 * @param term    when granted, the term of the request; otherwise the responder's current term
 * @param granted whether the responder would vote for the sender
 * @param incarnation the incarnation of the responder's data directory (0: it has none); the candidate counts the
 *                    answer only if its configuration binds that incarnation
 * @param removedAtIndex the index of the responder's configuration when it is committed and leaves the sender out;
 *                    0 otherwise. Only informs the sender's status (see {@link VoteResponse#removedAtIndex})
 */
public record PreVoteResponse(String group, MemberId from, MemberId to, long term, boolean granted, long incarnation,
                              long removedAtIndex) implements RaftMessage {

    /** An answer that says nothing of the sender's membership. */
    public PreVoteResponse(String group, MemberId from, MemberId to, long term, boolean granted, long incarnation) {
        this(group, from, to, term, granted, incarnation, 0);
    }

    /** An answer from a responder without an incarnation. */
    public PreVoteResponse(String group, MemberId from, MemberId to, long term, boolean granted) {
        this(group, from, to, term, granted, 0);
    }
}
