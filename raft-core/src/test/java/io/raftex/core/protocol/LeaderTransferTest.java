package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.Role;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.message.ForwardCommand;
import io.raftex.core.message.ForwardCommandResponse;
import io.raftex.core.message.InstallSnapshotResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.TimeoutNow;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import static io.raftex.core.protocol.ProtocolFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leadership transfer (Raft thesis §3.10) in the pure core, after etcd-raft's {@code TestLeaderTransfer*} scenarios as
 * they apply to this model: the leader stops taking commands, catches the target up (by entries or a snapshot), sends
 * it {@link TimeoutNow}, and gives up after an election timeout. The shell-level answers (the future of
 * {@code RaftGroup.transferLeadership}) are in {@code io.raftex.core.sim.MembershipScenariosTest}.
 */
class LeaderTransferTest {

    private static boolean acceptsCommands(RaftMember m) {
        return propose(m, 77).stream().anyMatch(e -> e instanceof Effect.ProposalAccepted);
    }

    /** A leader of term 1 whose no-op (1) and one command (2) are committed with n2; n3 holds only the no-op. */
    private static RaftMember leaderWithN3Behind(RecordingLog log) {
        RaftMember m = committedLeader(log);
        m.handle(ack(N3, 1, 1));
        propose(m, 1);
        m.onLogDurable(2, 1, 0);
        m.handle(ack(N2, 1, 2));
        assertThat(m.commitIndex()).isEqualTo(2);
        return m;
    }

    @Test
    void transferToAnUpToDateVoterSendsTimeoutNowAtOnceAndTheTargetWinsPastTheLease() {
        RecordingLog log = log(0, THREE);
        RaftMember m = leaderWithN3Behind(log);
        List<Effect> effects = m.transferLeadership(N2);
        assertThat(sent(effects, TimeoutNow.class)).singleElement().matches(t -> t.to().equals(N2) && t.term() == 1);
        // n2 campaigns at once, without a pre-vote round, flagging its requests as a transfer
        RaftMember n2 = new RaftMember(G, N2, CFG, log(1, THREE, entry(1, 1), entry(2, 1)), new Random(3));
        n2.handle(new AppendEntriesRequest(G, N1, N2, 1, 2, 1, List.of(), 2, 0));
        List<Effect> campaign = n2.handle(sent(effects, TimeoutNow.class).get(0));
        assertThat(sent(campaign, PreVoteRequest.class)).isEmpty();
        assertThat(sent(campaign, VoteRequest.class)).hasSize(2).allMatch(v -> v.transfer() && v.term() == 2);
        // n3 hears from the leader (its lease holds), yet a transfer's vote request is not refused for it
        RaftMember n3 = new RaftMember(G, N3, CFG, log(1, THREE, entry(1, 1)), new Random(4));
        n3.handle(new AppendEntriesRequest(G, N1, N3, 1, 1, 1, List.of(), 1, 0));
        VoteRequest toN3 = sent(campaign, VoteRequest.class).stream().filter(v -> v.to().equals(N3)).findFirst()
                .orElseThrow();
        assertThat(sent(n3.handle(toN3), VoteResponse.class)).singleElement().matches(VoteResponse::granted);
        // and so is the old leader, which steps down into the new term
        VoteRequest toN1 = sent(campaign, VoteRequest.class).stream().filter(v -> v.to().equals(N1)).findFirst()
                .orElseThrow();
        assertThat(sent(m.handle(toN1), VoteResponse.class)).singleElement().matches(VoteResponse::granted);
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(m.term()).isEqualTo(2);
        assertThat(m.transferTarget()).isEmpty();
    }

    @Test
    void transferToASlowFollowerWaitsForItToCatchUp() {
        RecordingLog log = log(0, THREE);
        RaftMember m = leaderWithN3Behind(log);
        List<Effect> start = m.transferLeadership(N3);
        assertThat(sent(start, TimeoutNow.class)).isEmpty();
        assertThat(sent(m.handle(ack(N3, 1, 1)), TimeoutNow.class)).isEmpty();
        assertThat(sent(m.handle(ack(N3, 1, 2)), TimeoutNow.class)).singleElement().matches(t -> t.to().equals(N3));
    }

    @Test
    void transferToAFollowerThatNeedsASnapshotSendsTimeoutNowOnceItIsInstalled() {
        RecordingLog log = log(1, THREE, entry(1, 1), entry(2, 1), entry(3, 1));
        RaftMember m = leader(log, 1); // no-op at 4, term 2
        m.onLogDurable(4, 2, 0);
        m.handle(ack(N2, 2, 4));
        m.snapshotTaken(4, 2, 4);
        // n3 holds nothing the leader still has in its log: catching it up means sending the snapshot
        assertThat(m.transferLeadership(N3)).contains(new Effect.SendSnapshot(N3, 0));
        List<Effect> installed = m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 4, 0, true));
        assertThat(sent(installed, TimeoutNow.class)).as("the snapshot brought n3 up to the leader's last entry")
                .singleElement().matches(t -> t.to().equals(N3));
    }

    @Test
    void transferToSelfOrToANonMemberOrANonVoterChangesNothing() {
        ClusterConfig withLearner = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(N4, "a4", Membership.NON_VOTER)));
        RaftMember m = committedLeader(log(0, withLearner));
        m.handle(ack(N4, 1, 1));
        for (MemberId target : List.of(N1, MemberId.of("n9"), N4)) {
            assertThat(m.transferLeadership(target)).as("transfer to %s", target)
                    .noneMatch(e -> e instanceof Effect.Send);
            assertThat(m.transferTarget()).isEmpty();
            assertThat(m.role()).isEqualTo(Role.LEADER);
            assertThat(acceptsCommands(m)).as("commands still taken after a transfer to %s", target).isTrue();
        }
    }

    @Test
    void commandsAndForwardedCommandsAreRefusedWhileATransferRuns() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        assertThat(propose(m, 5)).containsExactly(new Effect.ProposalRejected(5, Effect.Rejection.LEADERSHIP_TRANSFER,
                Optional.of(N3)));
        List<Effect> forwarded = m.handle(new ForwardCommand(G, N2, N1, 1, 6, 0, 0, 0, new byte[]{6}));
        assertThat(sent(forwarded, ForwardCommandResponse.class)).singleElement().matches(r -> !r.accepted());
    }

    @Test
    void aTransferThatTimesOutLetsTheLeaderTakeCommandsAgain() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        for (int i = 0; i < CFG.electionTimeoutTicks() - 1; i++) {
            m.tick(1000 + i);
            m.handle(ack(N2, 1, 2));
        }
        assertThat(m.transferTarget()).contains(N3);
        m.tick(2000);
        assertThat(m.transferTarget()).isEmpty();
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(acceptsCommands(m)).isTrue();
    }

    @Test
    void aNewerLeaderEndsATransferAndCommandsAreForwardedToIt() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        m.handle(new AppendEntriesRequest(G, N2, N1, 2, 2, 1, List.of(), 2, 0));
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(m.transferTarget()).isEmpty();
        assertThat(sent(propose(m, 8), ForwardCommand.class)).singleElement().matches(f -> f.to().equals(N2));
    }

    @Test
    void aVoteRequestOfAHigherTermThatIsNoTransferDoesNotDeposeATransferringLeader() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        List<Effect> effects = m.handle(new VoteRequest(G, N2, N1, 5, 2, 1, false));
        assertThat(sent(effects, VoteResponse.class)).isEmpty();
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(m.term()).isEqualTo(1);
        assertThat(m.transferTarget()).contains(N3);
    }

    @Test
    void aMembershipChangeIsRefusedDuringATransferAndATransferToAMemberBeingRemovedIsIgnored() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        assertThat(rejected(m.changeMembership(1, new ConfigChange.Remove(N3))).reason())
                .isEqualTo(ChangeRejection.LEADERSHIP_TRANSFER);
        for (int i = 0; i < CFG.electionTimeoutTicks(); i++) {
            m.tick(1000 + i);
            m.handle(ack(N2, 1, 2));
        }
        assertThat(m.transferTarget()).as("abandoned").isEmpty();
        m.changeMembership(2, new ConfigChange.Remove(N3));
        assertThat(m.config().member(N3)).as("removal in force, uncommitted").isEmpty();
        assertThat(m.transferLeadership(N3)).noneMatch(e -> e instanceof Effect.Send);
        assertThat(m.transferTarget()).isEmpty();
    }

    @Test
    void askingAgainForTheSameTargetKeepsTheFirstDeadline() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        int half = CFG.electionTimeoutTicks() / 2;
        for (int i = 0; i < half; i++) {
            m.tick(1000 + i);
            m.handle(ack(N2, 1, 2));
        }
        m.transferLeadership(N3);
        for (int i = half; i < CFG.electionTimeoutTicks(); i++) {
            m.tick(1000 + i);
            m.handle(ack(N2, 1, 2));
        }
        assertThat(m.transferTarget()).as("not extended by the second request").isEmpty();
    }

    @Test
    void aSecondTransferToAnotherTargetReplacesTheFirstAndRestartsTheClock() {
        RaftMember m = leaderWithN3Behind(log(0, THREE));
        m.transferLeadership(N3);
        for (int i = 0; i < CFG.electionTimeoutTicks() - 1; i++) {
            m.tick(1000 + i);
            m.handle(ack(N2, 1, 2));
        }
        List<Effect> second = m.transferLeadership(N2);
        assertThat(sent(second, TimeoutNow.class)).singleElement().matches(t -> t.to().equals(N2));
        assertThat(m.transferTarget()).contains(N2);
        m.tick(3000);
        assertThat(m.transferTarget()).as("the clock started again for n2").contains(N2);
        // a late catch-up of the first target does not send it TimeoutNow
        assertThat(sent(m.handle(ack(N3, 1, 2)), TimeoutNow.class)).isEmpty();
    }

    @Test
    void aTransferTargetThatIsNotUpToDateCannotWinTheElection() {
        // TimeoutNow is sent only to a caught-up target; should one arrive at a member that fell behind anyway (a
        // leader appended after it), the ordinary up-to-date check refuses the vote
        RaftMember n2 = member(N2, log(1, THREE, entry(1, 1), entry(2, 1), entry(3, 1)));
        List<Effect> effects = n2.handle(new VoteRequest(G, N3, N2, 2, 2, 1, true));
        assertThat(sent(effects, VoteResponse.class)).singleElement().matches(r -> !r.granted());
    }
}
