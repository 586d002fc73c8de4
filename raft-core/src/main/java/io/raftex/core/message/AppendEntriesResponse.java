package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * Answer to an {@link AppendEntriesRequest}, or a later acknowledgement once more entries became durable.
 *
 * @param success       whether the follower's log matched at {@code rejectedIndex}'s position
 * @param matchIndex    on success: the highest index that matches the leader's log and is durable here
 * @param rejectedIndex on failure: the {@code prevLogIndex} that did not match
 * @param conflictTerm  on failure: the follower's term at {@code rejectedIndex}, or 0 if its log is shorter
 * @param conflictIndex on failure: the first index of {@code conflictTerm} here, or the follower's last index + 1
 * @param readRound     the {@code readRound} of the request answered
 * @param incarnation   the incarnation of the sender's data directory (0: it has none); only the incarnation the
 *                      configuration binds counts toward a quorum
 */
public record AppendEntriesResponse(String group, MemberId from, MemberId to, long term, boolean success,
                                    long matchIndex, long rejectedIndex, long conflictTerm, long conflictIndex,
                                    long readRound, long incarnation) implements RaftMessage {

    /** An answer from a sender without an incarnation. */
    public AppendEntriesResponse(String group, MemberId from, MemberId to, long term, boolean success,
                                 long matchIndex, long rejectedIndex, long conflictTerm, long conflictIndex,
                                 long readRound) {
        this(group, from, to, term, success, matchIndex, rejectedIndex, conflictTerm, conflictIndex, readRound, 0);
    }
}
