package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * The leader's answer to a {@link ForwardCommand}.
 *
 * @param accepted   whether the leader appended the command
 * @param index      where it appended it
 * @param entryTerm  the term of the appended entry
 */
public record ForwardCommandResponse(String group, MemberId from, MemberId to, long term, long requestId,
                                     boolean accepted, long index, long entryTerm) implements RaftMessage {
}
