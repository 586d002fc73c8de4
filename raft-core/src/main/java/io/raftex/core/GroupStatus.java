package io.raftex.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A point-in-time view of one group as seen by one node: the member's protocol state plus how far it has applied.
 * The field names are a contract of the HTTP admin API.
 *
 * @param group         group name
 * @param nodeId        the node (and member) reporting
 * @param role          its role
 * @param term          its current term
 * @param leaderId      the leader it knows of, if any
 * @param commitIndex   highest index it knows committed
 * @param lastApplied   highest index its state machine has applied
 * @param lastLogIndex  index of its last log entry
 * @param snapshotIndex index covered by its latest snapshot (0: none)
 * @param running       false once the group stopped (node closed, or fail-stop after a storage error)
 * @param members       every member of the configuration; replication figures are filled in on the leader only
 */
public record GroupStatus(String group, String nodeId, Role role, long term, Optional<String> leaderId,
                          long commitIndex, long lastApplied, long lastLogIndex, long snapshotIndex,
                          boolean running, List<MemberInfo> members) {

    public GroupStatus {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(leaderId, "leaderId");
        members = List.copyOf(members);
    }

    /** Whether this member is the leader. */
    public boolean isLeader() {
        return role == Role.LEADER;
    }

    /**
     * One member of the group's configuration.
     *
     * @param id         member id
     * @param address    where its node is reached (for HTTP, a base URL)
     * @param membership whether it votes
     * @param matchIndex on the leader: highest index known replicated and durable there (for itself: durable index)
     * @param nextIndex  on the leader: next index it will send there; 0 elsewhere
     */
    public record MemberInfo(String id, String address, Membership membership, long matchIndex, long nextIndex) {
    }
}
