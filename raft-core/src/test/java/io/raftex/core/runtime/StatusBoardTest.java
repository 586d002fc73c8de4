package io.raftex.core.runtime;

import io.raftex.core.GroupStatus;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.Role;
import io.raftex.core.protocol.MemberStatus;
import io.raftex.core.protocol.RaftMember;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link StatusBoard}: the status from the member's and the runtime's figures, and the one kept at a stop. */
class StatusBoardTest {

    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");

    private final StatusBoard board = new StatusBoard("g", "n1");

    private static MemberStatus leaderStatus() {
        return new MemberStatus("g", N1, Role.LEADER, 7, Optional.of(N1), 40, 45, 44, List.of(
                new MemberStatus.PeerStatus(N1, "a1", Membership.VOTER, 45, 46, 11),
                new MemberStatus.PeerStatus(N2, "a2", Membership.PROMOTABLE, 30, 31, 12)), 11, true);
    }

    @Test
    void beforeAnyStopTheLastStatusIsAFollowerThatDoesNotRun() {
        GroupStatus s = board.last();
        assertThat(s.group()).isEqualTo("g");
        assertThat(s.nodeId()).isEqualTo("n1");
        assertThat(s.role()).isEqualTo(Role.FOLLOWER);
        assertThat(s.running()).isFalse();
        assertThat(s.members()).isEmpty();
    }

    @Test
    void theStatusTakesTheMembersFiguresAndWhatTheRuntimeHolds() {
        GroupStatus.SnapshotInstall install = new GroupStatus.SnapshotInstall(20, 5, 10);
        GroupStatus s = board.compute(leaderStatus(), 38, 20, Optional.of(install), true);

        assertThat(s.role()).isEqualTo(Role.LEADER);
        assertThat(s.term()).isEqualTo(7);
        assertThat(s.leaderId()).contains("n1");
        assertThat(s.commitIndex()).isEqualTo(40);
        assertThat(s.lastApplied()).isEqualTo(38);
        assertThat(s.lastLogIndex()).isEqualTo(45);
        assertThat(s.snapshotIndex()).isEqualTo(20);
        assertThat(s.running()).isTrue();
        assertThat(s.incarnation()).isEqualTo(11);
        assertThat(s.incarnationBound()).isTrue();
        assertThat(s.snapshotInstall()).contains(install);
        assertThat(s.members()).containsExactly(
                new GroupStatus.MemberInfo("n1", "a1", Membership.VOTER, 45, 46, 11),
                new GroupStatus.MemberInfo("n2", "a2", Membership.PROMOTABLE, 30, 31, 12));
        assertThat(board.last().running()).as("computing does not publish").isFalse();
        assertThat(s.removal()).isEmpty();
    }

    @Test
    void aPeersReportOfThisMembersRemovalIsInTheStatus() {
        MemberStatus m = leaderStatus();
        MemberStatus removed = new MemberStatus(m.group(), m.self(), Role.PRE_CANDIDATE, m.term(), Optional.empty(),
                m.commitIndex(), m.lastIndex(), m.durableIndex(), m.peers(), m.incarnation(), m.incarnationBound(),
                Optional.of(new RaftMember.Removal(52, N2)));
        GroupStatus s = board.compute(removed, 38, 20, Optional.empty(), true);
        assertThat(s.removal()).contains(new GroupStatus.Removal(52, "n2"));
        assertThat(s.isMember()).isFalse();
    }

    @Test
    void aStopKeepsTheFinalStatus() {
        board.stopped(() -> board.compute(leaderStatus(), 38, 20, Optional.empty(), false), new RuntimeCounters());
        assertThat(board.last().role()).isEqualTo(Role.LEADER);
        assertThat(board.last().running()).isFalse();
        assertThat(board.last().members()).hasSize(2);
    }

    @Test
    void aStopBeforeTheMemberStartedKeepsTheInitialStatus() {
        GroupStatus initial = board.last();
        board.stopped(null, new RuntimeCounters());
        assertThat(board.last()).isSameAs(initial);
    }

    @Test
    void aStopWhoseStatusCannotBeComputedKeepsTheFiguresLastPublished() {
        board.stopped(() -> board.compute(leaderStatus(), 38, 20, Optional.empty(), false), new RuntimeCounters());
        RuntimeCounters counters = new RuntimeCounters();
        counters.publish(Role.FOLLOWER, 9, Optional.of(N2), 50, 49, 52);

        board.stopped(() -> {
            throw new IllegalStateException("store closed");
        }, counters);

        GroupStatus s = board.last();
        assertThat(s.role()).isEqualTo(Role.FOLLOWER);
        assertThat(s.term()).isEqualTo(9);
        assertThat(s.leaderId()).contains("n2");
        assertThat(s.commitIndex()).isEqualTo(50);
        assertThat(s.lastApplied()).isEqualTo(49);
        assertThat(s.lastLogIndex()).isEqualTo(52);
        assertThat(s.running()).isFalse();
        assertThat(s.members()).as("the members last known").hasSize(2);
    }
}
