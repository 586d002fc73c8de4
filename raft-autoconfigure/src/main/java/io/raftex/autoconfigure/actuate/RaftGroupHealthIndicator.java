package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.admin.RaftStatusJson;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Role;
import io.raftex.core.UnknownGroupException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Health of one Raft group on this node. UP when the group runs and has a leader it can reach: this member leads
 * (with check-quorum a leader that has not heard from a quorum within an election timeout steps down, so a member
 * that is still leader has heard from one), or it follows a known leader (a follower forgets its leader once it
 * has not heard from it for an election timeout and campaigns). DOWN otherwise: no leader known, an election in
 * progress, or the group stopped. A node that is not in the group's configuration (a new node waiting to be added,
 * which hears from no leader yet, or a removed one) says so as the reason, also when only a peer told it so: a
 * member removed while cut off from the leader learns it from the answers to its campaigns
 * ({@link GroupStatus#removal()}).
 *
 * <p>Details: {@code role}, {@code term}, {@code leader}, {@code commitIndex}, {@code lastApplied}, {@code lag}
 * (entries known committed that this member has not applied yet), and on the leader {@code replicationLag}
 * (per member, entries of the leader's log not yet durable there), and {@code snapshotFailuresInARow} while this
 * member's snapshots fail (the log is kept whole and snapshots are retried after a back-off; the health stays what
 * the leader makes it). {@code catchingUp} is true while this member receives a snapshot or applies a long backlog
 * ({@link RaftStatusJson#catchingUp}), with {@code snapshotInstall} ({@code bytesReceived}, {@code totalBytes})
 * while it receives a snapshot; with {@code raft.health.require-caught-up=true} the group is DOWN meanwhile.
 */
public final class RaftGroupHealthIndicator implements HealthIndicator {

    private final String group;
    private final RaftNodeLifecycle lifecycle;
    private final boolean requireCaughtUp;

    public RaftGroupHealthIndicator(String group, RaftNodeLifecycle lifecycle) {
        this(group, lifecycle, false);
    }

    /** With {@code requireCaughtUp}, DOWN while this member is catching up. */
    public RaftGroupHealthIndicator(String group, RaftNodeLifecycle lifecycle, boolean requireCaughtUp) {
        this.group = group;
        this.lifecycle = lifecycle;
        this.requireCaughtUp = requireCaughtUp;
    }

    @Override
    public Health health() {
        GroupStatus s;
        int snapshotFailuresInARow;
        try {
            s = lifecycle.group(group).status();
            snapshotFailuresInARow = lifecycle.group(group).metrics().snapshotFailuresInARow();
        } catch (UnknownGroupException | GroupStoppedException e) {
            return Health.down().withDetail("reason", "group '" + group + "' is not running on this node").build();
        }
        boolean led = s.running() && (s.role() == Role.LEADER
                || (s.role() == Role.FOLLOWER && s.leaderId().isPresent()));
        boolean catchingUp = RaftStatusJson.catchingUp(s);
        boolean up = led && s.removal().isEmpty() && !(requireCaughtUp && catchingUp);
        Health.Builder health = up ? Health.up() : Health.down();
        health.withDetail("role", RaftStatusJson.role(s.role()))
                .withDetail("term", s.term())
                .withDetail("leader", s.leaderId().orElse("none"))
                .withDetail("commitIndex", s.commitIndex())
                .withDetail("lastApplied", s.lastApplied())
                .withDetail("lag", Math.max(0, s.commitIndex() - s.lastApplied()))
                .withDetail("catchingUp", catchingUp);
        s.snapshotInstall().ifPresent(i -> health.withDetail("snapshotInstall",
                Map.of("index", i.index(), "bytesReceived", i.bytesReceived(), "totalBytes", i.totalBytes())));
        if (s.isLeader()) {
            Map<String, Long> replicationLag = new LinkedHashMap<>();
            for (GroupStatus.MemberInfo m : s.members()) {
                if (!m.id().equals(s.nodeId())) {
                    replicationLag.put(m.id(), Math.max(0, s.lastLogIndex() - m.matchIndex()));
                }
            }
            health.withDetail("replicationLag", replicationLag);
        }
        if (snapshotFailuresInARow > 0) {
            // the group still serves; its log just is not compacted until a snapshot succeeds
            health.withDetail("snapshotFailuresInARow", snapshotFailuresInARow);
        }
        if (!s.running()) {
            health.withDetail("reason", "group stopped");
        } else if (s.removal().isPresent()) {
            GroupStatus.Removal r = s.removal().get();
            health.withDetail("reason", "this node is not a member of the group's configuration any more: member " + r.reportedBy()
                    + " reports a committed configuration (index " + r.configIndex() + ") without it; stop it, or"
                    + " add it again");
        } else if (!s.isMember()) {
            health.withDetail("reason", "this node is not a member of the group's configuration: it waits to be added"
                    + " (or was removed)");
        } else if (!led) {
            health.withDetail("reason", "no leader known (election in progress or no quorum reachable)");
        } else if (!up) {
            health.withDetail("reason", "catching up with the leader (raft.health.require-caught-up)");
        }
        return health.build();
    }
}
