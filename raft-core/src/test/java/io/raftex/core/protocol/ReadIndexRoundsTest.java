package io.raftex.core.protocol;

import io.raftex.core.protocol.Effect.Rejection;
import io.raftex.core.protocol.ReadIndexRounds.PendingRead;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.raftex.core.protocol.ProtocolFixture.N2;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * ReadIndex rounds alone ({@link ReadIndexRounds}), on a stand-in leader whose commit index and quorum's echoed round
 * a test sets: when a read is served, at which index, and how reads batch into rounds. The same reads end to end on a
 * leader are in {@link RaftMemberTest}.
 */
class ReadIndexRoundsTest {

    /** A stand-in leader that records what the rounds ask of it. */
    private static final class FakeLeader implements ReadIndexRounds.Leader {
        long commitIndex = 5;
        /** The round a quorum of voters (besides the leader) has echoed. */
        long echoed;
        int heartbeats;
        final List<String> served = new ArrayList<>();

        @Override
        public long commitIndex() {
            return commitIndex;
        }

        @Override
        public long quorumRound(long ownRound) {
            return Math.min(ownRound, echoed);
        }

        @Override
        public void heartbeatVoters() {
            heartbeats++;
        }

        @Override
        public void complete(PendingRead read, long readIndex) {
            served.add(read.requestId() + "@" + readIndex);
        }

        @Override
        public void reject(PendingRead read, Rejection reason) {
            served.add(read.requestId() + ":" + reason);
        }
    }

    private final FakeLeader leader = new FakeLeader();
    private final ReadIndexRounds rounds = new ReadIndexRounds(3, leader);

    private static PendingRead linearizable(long id) {
        return new PendingRead(Optional.empty(), id, true);
    }

    private static PendingRead leaderRead(long id) {
        return new PendingRead(Optional.of(N2), id, false);
    }

    @Test
    void aLinearizableReadIsServedAtTheCommitIndexOfItsRoundOnceAQuorumEchoesIt() {
        rounds.accept(linearizable(1), true);
        assertThat(rounds.currentRound()).isEqualTo(1);
        assertThat(leader.heartbeats).isOne();
        assertThat(leader.served).isEmpty();
        leader.commitIndex = 9;
        leader.echoed = 1;
        rounds.confirm();
        assertThat(leader.served).as("the index of the moment the round started").containsExactly("1@5");
    }

    @Test
    void aReadThatNeedsNoConfirmationIsServedAtTheCommitIndexAtOnce() {
        rounds.accept(leaderRead(1), true);
        assertThat(leader.served).containsExactly("1@5");
        assertThat(leader.heartbeats).isZero();
    }

    @Test
    void readsWaitForACommitOfTheLeadersTermAndThenProceed() {
        rounds.accept(linearizable(1), false);
        rounds.accept(leaderRead(2), false);
        assertThat(leader.served).isEmpty();
        assertThat(leader.heartbeats).isZero();
        leader.commitIndex = 7;
        rounds.ownTermCommitted();
        assertThat(leader.served).containsExactly("2@7");
        assertThat(leader.heartbeats).as("one round for the linearizable read").isOne();
        leader.echoed = 1;
        rounds.confirm();
        assertThat(leader.served).containsExactly("2@7", "1@7");
    }

    @Test
    void readsThatComeWhileARoundIsInFlightGoTogetherInTheNextRound() {
        rounds.accept(linearizable(1), true);
        leader.commitIndex = 6;
        rounds.accept(linearizable(2), true);
        rounds.accept(linearizable(3), true);
        assertThat(leader.heartbeats).as("no round for them yet").isOne();
        leader.echoed = 1;
        rounds.confirm();
        assertThat(leader.served).containsExactly("1@5");
        assertThat(rounds.currentRound()).isEqualTo(2);
        assertThat(leader.heartbeats).as("one round for both").isEqualTo(2);
        leader.echoed = 2;
        rounds.confirm();
        assertThat(leader.served).containsExactly("1@5", "2@6", "3@6");
    }

    @Test
    void aRoundIsServedOnlyWhenAQuorumEchoesItOrALaterOne() {
        rounds.accept(linearizable(1), true);
        rounds.confirm();
        assertThat(leader.served).as("nobody echoed round 1").isEmpty();
        leader.echoed = 4;
        rounds.confirm();
        assertThat(leader.served).containsExactly("1@5");
    }

    @Test
    void moreWaitingReadsThanTheLimitAreRefusedAsOverloaded() {
        rounds.accept(linearizable(1), false);
        rounds.accept(linearizable(2), false);
        rounds.accept(linearizable(3), false);
        rounds.accept(linearizable(4), false);
        assertThat(leader.served).containsExactly("4:OVERLOADED");
        leader.echoed = 1;
        rounds.ownTermCommitted();
        rounds.accept(linearizable(5), true);
        assertThat(leader.served).as("served reads free their places").containsExactly("4:OVERLOADED", "1@5", "2@5",
                "3@5");
    }

    @Test
    void everyWaitingReadFailsWhenLeadershipEnds() {
        rounds.accept(linearizable(1), false);
        rounds.ownTermCommitted();
        rounds.accept(linearizable(2), true);
        rounds.accept(leaderRead(3), false);
        rounds.failAll();
        assertThat(leader.served).containsExactlyInAnyOrder("1:LEADERSHIP_LOST", "2:LEADERSHIP_LOST",
                "3:LEADERSHIP_LOST");
        leader.echoed = 5;
        rounds.confirm();
        assertThat(leader.served).as("nothing is served after").hasSize(3);
    }
}
