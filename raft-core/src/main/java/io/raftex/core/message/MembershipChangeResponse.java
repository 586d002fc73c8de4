package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * The leader's answer to a {@link MembershipChangeRequest}.
 *
 * @param rejection why the change was not appended; null when it was
 * @param index     where the configuration entry that carries the change is (when accepted)
 * @param entryTerm that entry's term (when accepted)
 */
public record MembershipChangeResponse(String group, MemberId from, MemberId to, long term, long requestId,
                                       ChangeRejection rejection, long index, long entryTerm) implements RaftMessage {
}
