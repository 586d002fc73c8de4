package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Asks whether the receiver would vote for the sender in {@code term} (Raft thesis §9.6). Changes no term.
 *
 * @param term         the term the sender would stand in (its current term + 1)
 * @param lastLogIndex index of the sender's last entry
 * @param lastLogTerm  term of the sender's last entry
 */
public record PreVoteRequest(String group, MemberId from, MemberId to, long term, long lastLogIndex, long lastLogTerm)
        implements RaftMessage {
}
