package io.raftex.core.runtime;

import io.raftex.core.GroupStatus;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.protocol.MemberStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The group's {@link GroupStatus}: made from the member's own status and the runtime's figures while the group runs,
 * and the one it had when it stopped afterwards, which any thread may read ({@link #last()}). Computed on the
 * group's loop only.
 */
final class StatusBoard {

    private final String group;
    private final String nodeId;
    private volatile GroupStatus last;

    StatusBoard(String group, String nodeId) {
        this.group = group;
        this.nodeId = nodeId;
        this.last = new GroupStatus(group, nodeId, Role.FOLLOWER, 0, Optional.empty(), 0, 0, 0, 0, false, List.of());
    }

    /**
     * The status from the member's {@code s} and what the runtime holds beside it.
     *
     * @param lastApplied   where the state machine is
     * @param snapshotIndex the newest snapshot held
     * @param install       the snapshot being received from the leader, if one is
     * @param running       whether the group runs
     */
    GroupStatus compute(MemberStatus s, long lastApplied, long snapshotIndex,
                        Optional<GroupStatus.SnapshotInstall> install, boolean running) {
        List<GroupStatus.MemberInfo> members = new ArrayList<>(s.peers().size());
        for (MemberStatus.PeerStatus p : s.peers()) {
            members.add(new GroupStatus.MemberInfo(p.id().value(), p.address(), p.membership(), p.matchIndex(),
                    p.nextIndex(), p.incarnation()));
        }
        return new GroupStatus(group, nodeId, s.role(), s.term(), s.leader().map(MemberId::value), s.commitIndex(),
                lastApplied, s.lastIndex(), snapshotIndex, running, members, s.incarnation(), s.incarnationBound(),
                install, s.removal().map(r -> new GroupStatus.Removal(r.configIndex(), r.reportedBy().value())));
    }

    /** The status the group had when it stopped (the initial one before it stops). */
    GroupStatus last() {
        return last;
    }

    /**
     * Keeps the status of a group that stops: {@code finalStatus} (null if the member never started: the last one
     * stays), or if computing it throws, the figures {@code counters} last published, with the members last known.
     */
    void stopped(Supplier<GroupStatus> finalStatus, RuntimeCounters counters) {
        GroupStatus status = last;
        try {
            if (finalStatus != null) {
                status = finalStatus.get();
            }
        } catch (RuntimeException e) {
            status = new GroupStatus(status.group(), status.nodeId(), counters.role(), counters.term(),
                    counters.leader().map(MemberId::value), counters.commitIndex(), counters.lastApplied(),
                    counters.lastLogIndex(), 0, false, status.members());
        }
        last = status;
    }
}
