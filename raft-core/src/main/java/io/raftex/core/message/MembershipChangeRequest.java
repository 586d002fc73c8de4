package io.raftex.core.message;

import io.raftex.core.MemberId;
import io.raftex.core.Membership;

/**
 * A member hands a membership change to the leader, which appends it to its log as a configuration entry.
 *
 * @param requestId  the forwarding member's id for the change
 * @param remove     true to remove {@code member}; false to add it (or change its membership)
 * @param member     the member added or removed
 * @param address    where the added member's node is reached (empty for a removal)
 * @param membership the added member's membership (ignored for a removal)
 */
public record MembershipChangeRequest(String group, MemberId from, MemberId to, long term, long requestId,
                                      boolean remove, MemberId member, String address, Membership membership)
        implements RaftMessage {
}
