package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.raftex.core.protocol.ProtocolFixture.FOUR;
import static io.raftex.core.protocol.ProtocolFixture.N1;
import static io.raftex.core.protocol.ProtocolFixture.N2;
import static io.raftex.core.protocol.ProtocolFixture.N3;
import static io.raftex.core.protocol.ProtocolFixture.N4;
import static io.raftex.core.protocol.ProtocolFixture.THREE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's replication bookkeeping alone: {@link Progress} per follower (probe, pipeline, stall, snapshot) and
 * {@link ProgressTracker}'s quorum arithmetic over the configuration in force. n1 is the leader throughout.
 */
class ProgressTrackerTest {

    private static ProgressTracker leading(ClusterConfig config, long lastIndex) {
        ProgressTracker t = new ProgressTracker(N1);
        t.reset(config, lastIndex + 1);
        return t;
    }

    private static List<MemberId> order(ProgressTracker t) {
        List<MemberId> ids = new ArrayList<>();
        t.forEach((id, pr) -> ids.add(id));
        return ids;
    }

    // ------------------------------------------------------------------ Progress

    @Test
    void aProbeSendsOneMessageAtATimeFromNext() {
        Progress pr = new Progress(6, 0);
        assertThat(pr.state).isEqualTo(Progress.State.PROBE);
        assertThat(pr.canSend(4)).isTrue();
        pr.sent(5);
        assertThat(pr.canSend(4)).as("one probe out").isFalse();
        assertThat(pr.next).as("a probe does not move next").isEqualTo(6);
    }

    @Test
    void replicationPipelinesUpToTheInflightLimitAndAnAcknowledgementFreesItsMessages() {
        Progress pr = new Progress(1, 0);
        pr.becomeReplicate();
        pr.sent(2);
        pr.sent(4);
        assertThat(pr.canSend(2)).isFalse();
        assertThat(pr.next).isEqualTo(5);
        assertThat(pr.acknowledge(2)).isTrue();
        assertThat(pr.match).isEqualTo(2);
        assertThat(pr.canSend(2)).isTrue();
        assertThat(pr.acknowledge(1)).as("an older acknowledgement moves nothing").isFalse();
    }

    @Test
    void aPipelineWithoutProgressForTwoHeartbeatsFallsBackToProbingFromMatch() {
        Progress pr = new Progress(1, 0);
        pr.becomeReplicate();
        pr.sent(3);
        pr.checkStalled();
        assertThat(pr.state).isEqualTo(Progress.State.REPLICATE);
        pr.checkStalled();
        assertThat(pr.state).isEqualTo(Progress.State.PROBE);
        assertThat(pr.next).isEqualTo(1);
    }

    @Test
    void noEntriesGoToAFollowerWaitingForASnapshot() {
        Progress pr = new Progress(1, 0);
        pr.becomeSnapshot();
        assertThat(pr.canSend(10)).isFalse();
        pr.acknowledge(7);
        pr.becomeProbe();
        assertThat(pr.next).as("probing resumes after what the snapshot brought").isEqualTo(8);
    }

    // ------------------------------------------------------------------ ProgressTracker

    @Test
    void aLeaderTracksEveryOtherMemberProbingFromTheEndOfItsLog() {
        ProgressTracker t = leading(THREE, 5);
        assertThat(order(t)).containsExactly(N2, N3);
        assertThat(t.get(N1)).as("not the leader itself").isNull();
        assertThat(t.get(N2).next).isEqualTo(6);
        assertThat(t.get(N2).match).isZero();
    }

    @Test
    void theQuorumIndexIsTheHighestIndexAMajorityOfVotersHolds() {
        ProgressTracker t = leading(THREE, 5);
        assertThat(t.quorumIndex(THREE, 5)).as("only the leader holds anything").isZero();
        t.get(N3).acknowledge(3);
        assertThat(t.quorumIndex(THREE, 5)).isEqualTo(3);
        assertThat(t.quorumIndex(THREE, 2)).as("the leader counts with what is durable").isEqualTo(2);
        t.get(N2).acknowledge(5);
        assertThat(t.quorumIndex(THREE, 1)).isEqualTo(3);
    }

    @Test
    void onlyVotersCountTowardsTheQuorumIndex() {
        ClusterConfig withNonVoter = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(N4, "a4", Membership.NON_VOTER)));
        ProgressTracker t = leading(withNonVoter, 5);
        t.get(N4).acknowledge(5);
        assertThat(t.quorumIndex(withNonVoter, 5)).isZero();
        t.get(N2).acknowledge(4);
        assertThat(t.quorumIndex(withNonVoter, 5)).isEqualTo(4);
    }

    @Test
    void checkQuorumCountsVotersHeardFromSinceTheLastRoundAndStartsANewOne() {
        ProgressTracker t = leading(FOUR, 0);
        t.get(N2).recentActive = true;
        assertThat(t.quorumActive(FOUR)).as("n1 and n2 of four voters").isFalse();
        t.get(N2).recentActive = true;
        t.get(N3).recentActive = true;
        assertThat(t.quorumActive(FOUR)).isTrue();
        assertThat(t.quorumActive(FOUR)).as("nobody heard from since").isFalse();
    }

    @Test
    void aLeaderThatIsNoVoterDoesNotCountItselfForCheckQuorum() {
        ClusterConfig leaderRemoved = new ClusterConfig(List.of(Member.voter("n2", "a2"), Member.voter("n3", "a3")));
        ProgressTracker t = leading(leaderRemoved, 0);
        t.get(N2).recentActive = true;
        assertThat(t.quorumActive(leaderRemoved)).isFalse();
        t.get(N2).recentActive = true;
        t.get(N3).recentActive = true;
        assertThat(t.quorumActive(leaderRemoved)).isTrue();
    }

    @Test
    void aConfigurationChangeDropsLeaversAndAddsNewcomersCountedAsHeardFrom() {
        ProgressTracker t = leading(FOUR, 5);
        t.get(N2).acknowledge(5);
        t.configChanged(THREE, 9);
        assertThat(order(t)).containsExactly(N2, N3);
        t.configChanged(FOUR, 9);
        assertThat(order(t)).containsExactly(N2, N3, N4);
        assertThat(t.get(N2).match).as("kept").isEqualTo(5);
        assertThat(t.get(N4).next).isEqualTo(9);
        assertThat(t.get(N4).recentActive).isTrue();
    }

    @Test
    void aMemberBoundToAnotherIncarnationStartsOverAtTheEnd() {
        ProgressTracker t = leading(THREE, 5);
        t.get(N2).acknowledge(5);
        ClusterConfig rebound = new ClusterConfig(List.of(Member.voter("n1", "a1"),
                new Member(N2, "a2", Membership.PROMOTABLE, 0x22), Member.voter("n3", "a3")));
        t.configChanged(rebound, 7);
        assertThat(t.get(N2).match).as("what the old incarnation held counts for nothing").isZero();
        assertThat(t.get(N2).incarnation).isEqualTo(0x22);
        assertThat(order(t)).containsExactly(N3, N2);
    }

    @Test
    void theVoterHoldingTheWholeLogIsTheOneWithTheHighestMatch() {
        ProgressTracker t = leading(THREE, 5);
        assertThat(t.voterHoldingAll(THREE, 5)).isEmpty();
        t.get(N2).acknowledge(4);
        t.get(N3).acknowledge(5);
        assertThat(t.voterHoldingAll(THREE, 5)).contains(N3);
        assertThat(t.voterHoldingAll(THREE, 6)).as("nobody holds 6").isEmpty();
    }

    @Test
    void theConfirmedReadRoundIsTheHighestAMajorityOfVotersEchoedTheLeaderCountingItsOwn() {
        ProgressTracker t = leading(THREE, 0);
        assertThat(t.quorumReadRound(THREE, 4)).as("no follower echoed a round").isZero();
        t.get(N3).readRoundAcked = 2;
        assertThat(t.quorumReadRound(THREE, 4)).isEqualTo(2);
        t.get(N2).readRoundAcked = 4;
        assertThat(t.quorumReadRound(THREE, 4)).isEqualTo(4);
        t.clear();
        assertThat(t.quorumReadRound(THREE, 4)).as("a voter without progress echoed nothing").isZero();
    }
}
