package io.raftex.autoconfigure.actuate;

import io.raftex.core.Role;
import org.springframework.context.ApplicationEvent;

import java.util.Optional;

/**
 * The leader that this node's member of a Raft group knows changed, including to "no leader" (the old leader was
 * lost, an election is under way) and from it (a leader was elected). Published as a Spring
 * {@link ApplicationEvent}; listen with {@code @EventListener}. Delivered in order on the {@code raft-events}
 * thread, never on the group's thread.
 */
public final class RaftLeaderChangedEvent extends ApplicationEvent {

    private final String group;
    private final String nodeId;
    private final String oldLeaderId;
    private final String newLeaderId;
    private final long term;
    private final Role role;

    public RaftLeaderChangedEvent(Object source, String group, String nodeId, Optional<String> oldLeaderId,
                                  Optional<String> newLeaderId, long term, Role role) {
        super(source);
        this.group = group;
        this.nodeId = nodeId;
        this.oldLeaderId = oldLeaderId.orElse(null);
        this.newLeaderId = newLeaderId.orElse(null);
        this.term = term;
        this.role = role;
    }

    /** The group's name. */
    public String getGroup() {
        return group;
    }

    /** This node's id (its member id in the group). */
    public String getNodeId() {
        return nodeId;
    }

    /** The leader known before, if any. */
    public Optional<String> getOldLeaderId() {
        return Optional.ofNullable(oldLeaderId);
    }

    /** The leader known now, if any. */
    public Optional<String> getNewLeaderId() {
        return Optional.ofNullable(newLeaderId);
    }

    /** The member's term after the change. */
    public long getTerm() {
        return term;
    }

    /** This member's role after the change. */
    public Role getRole() {
        return role;
    }

    /** Whether this node's member is the new leader. */
    public boolean isLocalLeader() {
        return nodeId.equals(newLeaderId);
    }

    @Override
    public String toString() {
        return "RaftLeaderChangedEvent[" + group + "@" + nodeId + " leader " + oldLeaderId + " -> " + newLeaderId
                + " in term " + term + "]";
    }
}
