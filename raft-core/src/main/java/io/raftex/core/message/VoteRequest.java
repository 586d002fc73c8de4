package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * RequestVote (Raft §5.2).
 *
 * @param lastLogIndex index of the candidate's last entry
 * @param lastLogTerm  term of the candidate's last entry
 * @param transfer     the election was started by a leadership transfer, so a live leader must not block it
 */
public record VoteRequest(String group, MemberId from, MemberId to, long term, long lastLogIndex, long lastLogTerm,
                          boolean transfer) implements RaftMessage {
}
