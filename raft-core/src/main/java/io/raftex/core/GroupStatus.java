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
 * @param incarnation   the incarnation of this node's data directory (0: none, as with in-memory storage of a test)
 * @param incarnationBound whether the configuration binds that incarnation, so this member's votes and
 *                      acknowledgements count; false while a member that lost its disk waits for the leader to
 *                      bind its new incarnation, or a new group waits for every member to form it
 * @param snapshotInstall the snapshot this member is receiving from the leader, while it does
 * @param removal       a committed configuration that leaves this member out, as a peer reported it while this
 *                      member's own log does not hold it yet (a member removed while cut off from the leader never
 *                      receives the entry that removes it); empty once a leader replicates to it again
 */
public record GroupStatus(String group, String nodeId, Role role, long term, Optional<String> leaderId,
                          long commitIndex, long lastApplied, long lastLogIndex, long snapshotIndex,
                          boolean running, List<MemberInfo> members, long incarnation, boolean incarnationBound,
                          Optional<SnapshotInstall> snapshotInstall, Optional<Removal> removal) {

    /**
     * More entries known committed and not applied than this: the member is catching up (its status says so, and it
     * logs how far it is while it lasts).
     */
    public static final long CATCHING_UP_ENTRIES = 100;

    /** A status of a member no peer reports removed. */
    public GroupStatus(String group, String nodeId, Role role, long term, Optional<String> leaderId,
                       long commitIndex, long lastApplied, long lastLogIndex, long snapshotIndex,
                       boolean running, List<MemberInfo> members, long incarnation, boolean incarnationBound,
                       Optional<SnapshotInstall> snapshotInstall) {
        this(group, nodeId, role, term, leaderId, commitIndex, lastApplied, lastLogIndex, snapshotIndex, running,
                members, incarnation, incarnationBound, snapshotInstall, Optional.empty());
    }

    /** A status without a snapshot being received. */
    public GroupStatus(String group, String nodeId, Role role, long term, Optional<String> leaderId,
                       long commitIndex, long lastApplied, long lastLogIndex, long snapshotIndex,
                       boolean running, List<MemberInfo> members, long incarnation, boolean incarnationBound) {
        this(group, nodeId, role, term, leaderId, commitIndex, lastApplied, lastLogIndex, snapshotIndex, running,
                members, incarnation, incarnationBound, Optional.empty());
    }

    /** A status without incarnations. */
    public GroupStatus(String group, String nodeId, Role role, long term, Optional<String> leaderId,
                       long commitIndex, long lastApplied, long lastLogIndex, long snapshotIndex,
                       boolean running, List<MemberInfo> members) {
        this(group, nodeId, role, term, leaderId, commitIndex, lastApplied, lastLogIndex, snapshotIndex, running,
                members, 0, true);
    }

    public GroupStatus {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(leaderId, "leaderId");
        Objects.requireNonNull(snapshotInstall, "snapshotInstall");
        Objects.requireNonNull(removal, "removal");
        members = List.copyOf(members);
    }

    /**
     * Whether this node is in the group's configuration: its own configuration names it and no peer reports a
     * committed one that leaves it out.
     */
    public boolean isMember() {
        return removal.isEmpty() && members.stream().anyMatch(m -> m.id().equals(nodeId));
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
     * @param incarnation the incarnation of its data directory the configuration binds (0: none known yet)
     */
    public record MemberInfo(String id, String address, Membership membership, long matchIndex, long nextIndex,
                             long incarnation) {

        /** A member without a bound incarnation. */
        public MemberInfo(String id, String address, Membership membership, long matchIndex, long nextIndex) {
            this(id, address, membership, matchIndex, nextIndex, 0);
        }
    }

    /**
     * Progress of a snapshot this member is receiving from the leader (it was too far behind for the log).
     *
     * @param index         the last log index the snapshot covers
     * @param bytesReceived bytes of it stored so far
     * @param totalBytes    its size
     */
    public record SnapshotInstall(long index, long bytesReceived, long totalBytes) {
    }

    /**
     * A peer's report that this node is no longer a member of the group.
     *
     * @param configIndex the index of the committed configuration that leaves this node out
     * @param reportedBy  the member that reported it
     */
    public record Removal(long configIndex, String reportedBy) {

        public Removal {
            Objects.requireNonNull(reportedBy, "reportedBy");
        }
    }
}
