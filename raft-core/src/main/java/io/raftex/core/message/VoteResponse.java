package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to a {@link VoteRequest}.
 *
 * @param granted     whether the vote is granted
 * @param incarnation the incarnation of the voter's data directory (0: it has none); the candidate counts the vote
 *                    only if its configuration binds that incarnation
 */
public record VoteResponse(String group, MemberId from, MemberId to, long term, boolean granted, long incarnation)
        implements RaftMessage {

    /** An answer from a voter without an incarnation. */
    public VoteResponse(String group, MemberId from, MemberId to, long term, boolean granted) {
        this(group, from, to, term, granted, 0);
    }
}
