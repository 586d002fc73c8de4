package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to a {@link VoteRequest}.
 *
 * @param granted     whether the vote is granted
 * @param incarnation the incarnation of the voter's data directory (0: it has none); the candidate counts the vote
 *                    only if its configuration binds that incarnation
 * @param removedAtIndex the index of the voter's configuration when it is committed and leaves the candidate out; 0
 *                    otherwise. A member removed while cut off from the leader never receives the entry that removes
 *                    it (the leader stops replicating to it at once); this is how it learns of it. It only informs
 *                    the candidate's status and health, never a decision of the protocol
 */
public record VoteResponse(String group, MemberId from, MemberId to, long term, boolean granted, long incarnation,
                           long removedAtIndex) implements RaftMessage {

    /** An answer that says nothing of the candidate's membership. */
    public VoteResponse(String group, MemberId from, MemberId to, long term, boolean granted, long incarnation) {
        this(group, from, to, term, granted, incarnation, 0);
    }

    /** An answer from a voter without an incarnation. */
    public VoteResponse(String group, MemberId from, MemberId to, long term, boolean granted) {
        this(group, from, to, term, granted, 0);
    }
}
