package io.raftex.core;

import java.util.Optional;

/**
 * A change of a member's role or known leader.
 *
 * @param group     group name
 * @param nodeId    the node (member) whose view changed
 * @param oldRole   role before
 * @param newRole   role after
 * @param term      the term after the change
 * @param oldLeader leader known before, if any
 * @param newLeader leader known after, if any
 */
public record RoleChangeEvent(String group, String nodeId, Role oldRole, Role newRole, long term,
                              Optional<MemberId> oldLeader, Optional<MemberId> newLeader) {

    /** Whether the role changed. */
    public boolean roleChanged() {
        return oldRole != newRole;
    }

    /** Whether the known leader changed. */
    public boolean leaderChanged() {
        return !oldLeader.equals(newLeader);
    }
}
