package io.raftex.autoconfigure.actuate;

import io.raftex.core.Role;
import org.springframework.context.ApplicationEvent;

import java.util.Optional;

/**
 * This node's member of a Raft group changed role (for example follower to candidate, candidate to leader). Published
 * as a Spring {@link ApplicationEvent}; listen with {@code @EventListener}. Events are delivered in the order the
 * changes happened, on the {@code raft-events} thread, never on the group's thread: a slow listener delays later
 * events but never the group.
 */
public final class RaftRoleChangedEvent extends ApplicationEvent {

    private final String group;
    private final String nodeId;
    private final Role oldRole;
    private final Role newRole;
    private final long term;
    private final String leaderId;

    public RaftRoleChangedEvent(Object source, String group, String nodeId, Role oldRole, Role newRole, long term,
                                Optional<String> leaderId) {
        super(source);
        this.group = group;
        this.nodeId = nodeId;
        this.oldRole = oldRole;
        this.newRole = newRole;
        this.term = term;
        this.leaderId = leaderId.orElse(null);
    }

    /** The group's name. */
    public String getGroup() {
        return group;
    }

    /** This node's id (its member id in the group). */
    public String getNodeId() {
        return nodeId;
    }

    /** Role before the change. */
    public Role getOldRole() {
        return oldRole;
    }

    /** Role after the change. */
    public Role getNewRole() {
        return newRole;
    }

    /** The member's term after the change. */
    public long getTerm() {
        return term;
    }

    /** The leader this member knows after the change, if any. */
    public Optional<String> getLeaderId() {
        return Optional.ofNullable(leaderId);
    }

    /** Whether this member became the leader. */
    public boolean becameLeader() {
        return newRole == Role.LEADER && oldRole != Role.LEADER;
    }

    @Override
    public String toString() {
        return "RaftRoleChangedEvent[" + group + "@" + nodeId + " " + oldRole + " -> " + newRole + " in term " + term
                + "]";
    }
}
