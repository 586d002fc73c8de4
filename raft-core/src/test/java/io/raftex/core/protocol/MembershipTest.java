package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.Membership;
import io.raftex.core.Role;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.message.MembershipChangeRequest;
import io.raftex.core.message.MembershipChangeResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.message.TimeoutNow;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.snapshot.SnapshotMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import static io.raftex.core.protocol.ProtocolFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Membership changes in the pure core (Raft thesis §4.1–4.2, one server at a time): when a leader may append a
 * configuration entry, when a configuration takes effect and when it is undone, promotion of caught-up members,
 * who votes and who counts, a leader that removes itself, forwarding, and recovery of the configuration history.
 */
class MembershipTest {

    // ------------------------------------------------------------------ when a leader may change the configuration

    @Test
    void aChangeIsRefusedUntilTheLeaderCommittedAnEntryOfItsTerm() {
        RecordingLog log = log(0, THREE);
        RaftMember m = leader(log, 0);
        assertThat(rejected(m.changeMembership(1, new ConfigChange.Add(M4))).reason())
                .as("the no-op of term 1 is not committed yet").isEqualTo(ChangeRejection.NOT_READY);
        assertThat(log.lastIndex()).as("nothing appended").isEqualTo(1);
        assertThat(m.config()).isEqualTo(THREE);
        m.onLogDurable(1, 1, 0);
        m.handle(ack(N2, 1, 1));
        assertThat(accepted(m.changeMembership(2, new ConfigChange.Add(M4))))
                .isEqualTo(new Effect.ChangeAccepted(2, 2, 1));
        assertThat(log.entry(2).type()).isEqualTo(EntryType.CONFIG);
        assertThat(ConfigCodec.decode(log.entry(2).payload())).isEqualTo(FOUR);
    }

    @Test
    void aSecondChangeWhileOneIsUncommittedIsInProgress() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        m.changeMembership(1, new ConfigChange.Add(M4));
        Member m5 = Member.voter("n5", "a5");
        assertThat(rejected(m.changeMembership(2, new ConfigChange.Add(m5))).reason())
                .isEqualTo(ChangeRejection.IN_PROGRESS);
        assertThat(rejected(m.changeMembership(3, new ConfigChange.Remove(N3))).reason())
                .isEqualTo(ChangeRejection.IN_PROGRESS);
        assertThat(log.lastIndex()).isEqualTo(2);
        // once the first is committed (3 of the 4 voters hold it), the next one goes in
        m.onLogDurable(2, 1, 0);
        m.handle(ack(N2, 1, 2));
        m.handle(ack(N3, 1, 2));
        assertThat(m.commitIndex()).isEqualTo(2);
        assertThat(accepted(m.changeMembership(4, new ConfigChange.Add(m5)))).isEqualTo(new Effect.ChangeAccepted(4, 3, 1));
    }

    // ------------------------------------------------------------------ in force once in the log

    @Test
    void theLeadersNewConfigurationIsInForceOnAppendAndPersistedBeforeTheEntry() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        log.persisted.clear();
        List<Effect> effects = m.changeMembership(1, new ConfigChange.Add(M4));
        assertThat(m.config()).as("in force before it commits").isEqualTo(FOUR);
        assertThat(m.configIndex()).isEqualTo(2);
        assertThat(log.persisted).singleElement().satisfies(s -> assertThat(s.config()).isEqualTo(FOUR));
        assertThat(sent(effects, AppendEntriesRequest.class)).extracting(AppendEntriesRequest::to)
                .as("the newcomer is replicated to at once").contains(N4);
        assertThat(m.status().peers()).anyMatch(p -> p.id().equals(N4));
    }

    @Test
    void aFollowersConfigurationIsInForceOnAppendAndRevertedWhenTheEntryIsTruncated() {
        RecordingLog log = log(1, THREE, entry(1, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1, List.of(configEntry(2, 1, FOUR)), 1, 0));
        assertThat(f.config()).as("uncommitted, yet in force").isEqualTo(FOUR);
        assertThat(f.commitIndex()).isEqualTo(1);
        assertThat(log.state().configs()).extracting(ConfigEntry::index).containsExactly(0L, 2L);
        // a new leader of term 2 never had it: its entry 2 replaces the configuration entry
        f.handle(new AppendEntriesRequest(G, N3, N2, 2, 1, 1, List.of(entry(2, 2)), 1, 0));
        assertThat(f.config()).as("truncation puts the previous configuration back").isEqualTo(THREE);
        assertThat(f.configIndex()).isZero();
        assertThat(log.state().configs()).as("persisted as well").extracting(ConfigEntry::index).containsExactly(0L);
        // and it is the configuration its elections use: n4 is asked for no vote
        List<Effect> campaign = tickUntil(f, e -> !sent(e, PreVoteRequest.class).isEmpty());
        assertThat(sent(campaign, PreVoteRequest.class)).extracting(PreVoteRequest::to).containsExactlyInAnyOrder(N1, N3);
    }

    @Test
    void addingAFourthVoterRaisesTheCommitQuorumToThree() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        m.changeMembership(1, new ConfigChange.Add(M4));
        m.onLogDurable(2, 1, 0);
        m.handle(ack(N2, 1, 2));
        assertThat(m.commitIndex()).as("2 of 4 voters is no majority").isEqualTo(1);
        m.handle(ack(N4, 1, 2));
        assertThat(m.commitIndex()).as("the new voter's copy counts: 3 of 4").isEqualTo(2);
    }

    // ------------------------------------------------------------------ promotion

    @Test
    void aPromotableMemberIsPromotedOnceItsMatchReachesTheIndexWhereItJoinedAndNotBefore() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        Member promotable = new Member(N4, "a4", Membership.PROMOTABLE);
        assertThat(accepted(m.changeMembership(1, new ConfigChange.Add(promotable))).index()).isEqualTo(2);
        m.onLogDurable(2, 1, 0);
        m.handle(ack(N4, 1, 2));
        assertThat(log.lastIndex()).as("caught up, but its joining is not committed: one change at a time")
                .isEqualTo(2);
        m.handle(ack(N2, 1, 2));
        assertThat(m.commitIndex()).as("a promotable member does not count: n1 and n2 of three").isEqualTo(2);
        assertThat(log.lastIndex()).as("promoted as soon as the joining committed").isEqualTo(3);
        assertThat(ConfigCodec.decode(log.entry(3).payload())).isEqualTo(FOUR);
        assertThat(m.config().isVoter(N4)).isTrue();
    }

    @Test
    void aPromotableMemberBehindItsJoinIndexIsNotPromoted() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        m.changeMembership(1, new ConfigChange.Add(new Member(N4, "a4", Membership.PROMOTABLE)));
        m.onLogDurable(2, 1, 0);
        m.handle(ack(N2, 1, 2));
        assertThat(m.commitIndex()).isEqualTo(2);
        m.handle(ack(N4, 1, 1));
        assertThat(log.lastIndex()).as("match 1 < joined at 2").isEqualTo(2);
        assertThat(m.config().isVoter(N4)).isFalse();
        m.handle(ack(N4, 1, 2));
        assertThat(log.lastIndex()).isEqualTo(3);
        assertThat(m.config().isVoter(N4)).isTrue();
    }

    @Test
    void aNewLeaderPromotesOnceThePromotableMemberHoldsItsLogAsOfTheElection() {
        ClusterConfig withPromotable = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(N4, "a4", Membership.PROMOTABLE)));
        RecordingLog log = logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, withPromotable), entry(3, 1));
        RaftMember m = leader(log, 1); // no-op at 4, in term 2
        m.onLogDurable(4, 2, 0);
        m.handle(ack(N2, 2, 4));
        assertThat(m.commitIndex()).isEqualTo(4);
        m.handle(ack(N4, 2, 3));
        assertThat(log.lastIndex()).as("n4 lacks the new leader's last entry at election").isEqualTo(4);
        m.handle(ack(N4, 2, 4));
        assertThat(log.lastIndex()).isEqualTo(5);
        assertThat(m.config().isVoter(N4)).isTrue();
    }

    // ------------------------------------------------------------------ who votes, who counts

    @ParameterizedTest
    @EnumSource(value = Membership.class, names = {"PROMOTABLE", "NON_VOTER"})
    void aMemberWithoutAVoteNeverCampaignsNorAnswersTimeoutNow(Membership kind) {
        ClusterConfig config = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(N4, "a4", kind)));
        RaftMember n4 = member(N4, log(0, config));
        for (int i = 0; i < 10 * CFG.electionTimeoutTicks(); i++) {
            assertThat(n4.tick(i)).noneMatch(e -> e instanceof Effect.Send);
        }
        assertThat(n4.handle(new TimeoutNow(G, N1, N4, 0))).noneMatch(e -> e instanceof Effect.Send);
        assertThat(n4.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n4.term()).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Membership.class, names = {"PROMOTABLE", "NON_VOTER"})
    void aMemberWithoutAVoteNeverCountsTowardTheCommitQuorum(Membership kind) {
        ClusterConfig config = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(N4, "a4", kind)));
        RaftMember m = leader(log(0, config), 0);
        m.onLogDurable(1, 1, 0);
        m.handle(ack(N4, 1, 1));
        assertThat(m.commitIndex()).as("n1 and n4 would be two, but n4 does not vote").isZero();
        m.handle(ack(N2, 1, 1));
        assertThat(m.commitIndex()).isEqualTo(1);
    }

    @Test
    void aMemberGrantsAVoteWhateverItsOwnConfigurationSays() {
        // n4 was promoted at index 3 on the leader, but its own log stops at 2, where it is still promotable. The
        // candidate counts the votes of its own voters; if n4 refused to vote until it learned of its promotion,
        // an election that needs n4's vote could wait for ever
        ClusterConfig withPromotable = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(N4, "a4", Membership.PROMOTABLE)));
        RaftMember n4 = member(N4, logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, withPromotable)));
        List<Effect> pre = n4.handle(new PreVoteRequest(G, N2, N4, 2, 3, 1));
        assertThat(sent(pre, PreVoteResponse.class)).singleElement().matches(PreVoteResponse::granted);
        List<Effect> vote = n4.handle(new VoteRequest(G, N2, N4, 2, 3, 1, false));
        assertThat(sent(vote, VoteResponse.class)).singleElement().matches(VoteResponse::granted);
    }

    // ------------------------------------------------------------------ removing the leader

    @Test
    void aLeaderThatRemovesItselfCommitsTheRemovalThenStepsDownAndHandsOverToTheCaughtUpVoter() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        assertThat(accepted(m.changeMembership(1, new ConfigChange.Remove(N1))).index()).isEqualTo(2);
        assertThat(m.config().isVoter(N1)).isFalse();
        assertThat(m.role()).as("leads on until the removal commits").isEqualTo(Role.LEADER);
        assertThat(m.propose(List.of(new Proposal(9, 0, 0, 0, new byte[]{9}))))
                .contains(new Effect.ProposalAccepted(9, 3, 1));
        m.onLogDurable(3, 1, 0);
        m.handle(ack(N3, 1, 3));
        assertThat(m.commitIndex()).as("its own copy no longer counts: {n2, n3} both needed").isEqualTo(1);
        assertThat(m.role()).isEqualTo(Role.LEADER);
        List<Effect> effects = m.handle(ack(N2, 1, 2));
        assertThat(m.commitIndex()).isEqualTo(2);
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(m.term()).as("stepping down does not raise the term").isEqualTo(1);
        assertThat(sent(effects, TimeoutNow.class)).as("n3 holds the whole log, n2 does not").singleElement()
                .matches(t -> t.to().equals(N3) && t.term() == 1);
        for (int i = 0; i < 10 * CFG.electionTimeoutTicks(); i++) {
            assertThat(sent(m.tick(100 + i), PreVoteRequest.class)).as("a removed member never campaigns").isEmpty();
        }
    }

    @Test
    void aRemovedLeaderSendsNoTimeoutNowWhenNoVoterHoldsItsWholeLog() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        m.changeMembership(1, new ConfigChange.Remove(N1));
        m.propose(List.of(new Proposal(9, 0, 0, 0, new byte[]{9})));
        m.onLogDurable(3, 1, 0);
        m.handle(ack(N3, 1, 2));
        List<Effect> effects = m.handle(ack(N2, 1, 2));
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(sent(effects, TimeoutNow.class)).isEmpty();
    }

    @Test
    void aRemovedMemberDoesNotDisruptTheGroup() {
        // n3 was removed at index 2 and heard nothing since; its log ends there
        ClusterConfig two = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2")));
        RecordingLog n2log = logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, two));
        RaftMember n2 = member(N2, n2log);
        n2.handle(new AppendEntriesRequest(G, N1, N2, 1, 2, 1, List.of(), 2, 0));
        n2log.persisted.clear();
        List<Effect> pre = n2.handle(new PreVoteRequest(G, N3, N2, 2, 2, 1));
        assertThat(sent(pre, PreVoteResponse.class)).as("the leader's lease holds").singleElement()
                .matches(r -> !r.granted());
        List<Effect> vote = n2.handle(new VoteRequest(G, N3, N2, 2, 2, 1, false));
        assertThat(sent(vote, VoteResponse.class)).isEmpty();
        assertThat(n2.term()).as("no term increase").isEqualTo(1);
        assertThat(n2.leader()).contains(N1);
        assertThat(n2log.persisted).isEmpty();
        // and n3 itself, whose own log removed it, never stands
        RaftMember n3 = member(N3, logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, two)));
        for (int i = 0; i < 10 * CFG.electionTimeoutTicks(); i++) {
            assertThat(n3.tick(i)).noneMatch(e -> e instanceof Effect.Send);
        }
        assertThat(n3.term()).isEqualTo(1);
    }

    @Test
    void aMemberRemovedWhileCutOffLearnsItFromTheAnswersToItsCampaignUntilALeaderReplicatesToIt() {
        // n3 was cut off before the entry removing it (index 2) reached it: its own configuration still names it
        ClusterConfig two = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2")));
        RaftMember n2 = member(N2, logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, two)));
        n2.handle(new AppendEntriesRequest(G, N1, N2, 1, 2, 1, List.of(), 2, 0));
        RaftMember n3 = member(N3, log(1, THREE, entry(1, 1)));
        PreVoteRequest campaign = sent(tickUntil(n3, e -> !sent(e, PreVoteRequest.class).isEmpty()),
                PreVoteRequest.class).stream().filter(r -> r.to().equals(N2)).findFirst().orElseThrow();
        assertThat(n3.removal()).isEmpty();

        PreVoteResponse answer = sent(n2.handle(campaign), PreVoteResponse.class).get(0);
        assertThat(answer.granted()).isFalse();
        assertThat(answer.removedAtIndex()).as("n2's committed configuration leaves n3 out").isEqualTo(2);
        n3.handle(answer);
        assertThat(n3.removal()).contains(new RaftMember.Removal(2, N2));
        assertThat(n3.config().member(N3)).as("nothing else changes: its own configuration still names it")
                .isPresent();

        // a leader that replicates to it again (it was added back) ends the report
        n3.handle(new AppendEntriesRequest(G, N1, N3, 1, 1, 1, List.of(), 1, 0));
        assertThat(n3.removal()).isEmpty();
    }

    @Test
    void anAnswerSaysNothingOfMembershipWhileTheConfigurationLeavingTheCandidateOutIsUncommittedOrNamesIt() {
        ClusterConfig two = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2")));
        RaftMember uncommitted = member(N2, logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, two)));
        assertThat(sent(uncommitted.handle(new PreVoteRequest(G, N3, N2, 2, 1, 1)), PreVoteResponse.class))
                .singleElement().matches(r -> r.removedAtIndex() == 0);
        assertThat(sent(uncommitted.handle(new VoteRequest(G, N3, N2, 2, 1, 1, false)), VoteResponse.class))
                .singleElement().matches(r -> r.removedAtIndex() == 0);

        RaftMember naming = member(N2, logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, FOUR)));
        naming.handle(new AppendEntriesRequest(G, N1, N2, 1, 2, 1, List.of(), 2, 0));
        assertThat(sent(naming.handle(new PreVoteRequest(G, N3, N2, 2, 2, 1)), PreVoteResponse.class))
                .singleElement().matches(r -> r.removedAtIndex() == 0);
    }

    @Test
    void aVoteAnswerFromAMemberWithoutALeaderReportsTheRemovalToo() {
        ClusterConfig two = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2")));
        RaftMember n2 = member(N2, logWithConfigs(1, THREE, entry(1, 1), configEntry(2, 1, two)));
        n2.handle(new AppendEntriesRequest(G, N1, N2, 1, 2, 1, List.of(), 2, 0));
        tickUntil(n2, e -> n2.leader().isEmpty()); // n1 went silent: n2 forgets it and campaigns
        VoteResponse answer = sent(n2.handle(new VoteRequest(G, N3, N2, n2.term() + 1, 1, 1, false)),
                VoteResponse.class).get(0);
        assertThat(answer.granted()).as("n3's log is behind").isFalse();
        assertThat(answer.removedAtIndex()).isEqualTo(2);
        RaftMember n3 = member(N3, log(1, THREE, entry(1, 1)));
        n3.handle(answer);
        assertThat(n3.removal()).contains(new RaftMember.Removal(2, N2));
    }

    // ------------------------------------------------------------------ forwarding and answers

    @Test
    void aFollowerForwardsAChangeToTheLeaderAndPassesOnItsAnswer() {
        RecordingLog leaderLog = log(0, THREE);
        RaftMember leader = committedLeader(leaderLog);
        RaftMember f = member(N2, log(1, THREE, entry(1, 1)));
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1, List.of(), 1, 0));
        MembershipChangeRequest req = sent(f.changeMembership(5, new ConfigChange.Add(
                new Member(N4, "a4", Membership.PROMOTABLE))), MembershipChangeRequest.class).get(0);
        assertThat(req.to()).isEqualTo(N1);
        assertThat(req.remove()).isFalse();
        assertThat(req.member()).isEqualTo(N4);
        assertThat(req.membership()).isEqualTo(Membership.PROMOTABLE);
        MembershipChangeResponse answer = sent(leader.handle(req), MembershipChangeResponse.class).get(0);
        assertThat(answer.rejection()).isNull();
        assertThat(f.handle(answer)).contains(new Effect.ChangeAccepted(5, 2, 1));
        assertThat(leader.config().member(N4)).contains(new Member(N4, "a4", Membership.PROMOTABLE));
        // a second one while the first is uncommitted comes back refused, with the leader as hint
        MembershipChangeRequest second = sent(f.changeMembership(6, new ConfigChange.Remove(N3)),
                MembershipChangeRequest.class).get(0);
        assertThat(second.remove()).isTrue();
        MembershipChangeResponse refused = sent(leader.handle(second), MembershipChangeResponse.class).get(0);
        assertThat(f.handle(refused)).contains(new Effect.ChangeRejected(6, ChangeRejection.IN_PROGRESS,
                Optional.of(N1)));
    }

    @Test
    void aDuplicatedForwardedChangeGetsTheSameAnswerAndNeverASecondEntry() {
        RaftMember leader = committedLeader(log(0, THREE));
        MembershipChangeRequest add = new MembershipChangeRequest(G, N2, N1, 1, 5, false, N4, "a4",
                Membership.PROMOTABLE);
        MembershipChangeResponse first = sent(leader.handle(add), MembershipChangeResponse.class).get(0);
        assertThat(first.rejection()).isNull();
        long last = leader.status().lastIndex();
        // another request is refused while the first is uncommitted; a late copy of it is refused the same way even
        // once nothing is pending any more, so the refusal its sender reported stays true
        MembershipChangeRequest remove = new MembershipChangeRequest(G, N2, N1, 1, 6, true, N3, "", null);
        assertThat(sent(leader.handle(remove), MembershipChangeResponse.class).get(0).rejection())
                .isEqualTo(ChangeRejection.IN_PROGRESS);
        leader.onLogDurable(last, 1, 0);
        leader.handle(ack(N2, 1, last));
        assertThat(leader.commitIndex()).isEqualTo(last);
        assertThat(sent(leader.handle(remove), MembershipChangeResponse.class).get(0).rejection())
                .isEqualTo(ChangeRejection.IN_PROGRESS);
        assertThat(sent(leader.handle(add), MembershipChangeResponse.class).get(0)).isEqualTo(first);
        assertThat(leader.status().lastIndex()).isEqualTo(last);
        assertThat(leader.config().member(N3)).isPresent();
    }

    @Test
    void aForwardedChangeFromAnotherTermIsRefusedAsStale() {
        RaftMember leader = committedLeader(log(0, THREE));
        long last = leader.status().lastIndex();
        List<Effect> answer = leader.handle(new MembershipChangeRequest(G, N2, N1, 0, 5, false, N4, "a4",
                Membership.PROMOTABLE));
        assertThat(sent(answer, MembershipChangeResponse.class).get(0).rejection())
                .isEqualTo(ChangeRejection.NOT_LEADER);
        assertThat(leader.status().lastIndex()).isEqualTo(last);
    }

    @Test
    void aRemovalAskedAgainWhileItsEntryIsUncommittedIsAcceptedInPlace() {
        RaftMember leader = committedLeader(log(0, THREE));
        Effect.ChangeAccepted first = accepted(leader.changeMembership(1, new ConfigChange.Remove(N3)));
        Effect.ChangeAccepted again = accepted(leader.changeMembership(2, new ConfigChange.Remove(N3)));
        assertThat(again.index()).isEqualTo(first.index());
        assertThat(again.term()).isEqualTo(first.term());
        assertThat(leader.status().lastIndex()).isEqualTo(first.index());
    }

    @Test
    void aChangeWithNoLeaderKnownIsRefusedAtOnce() {
        RaftMember f = member(N2, log(0, THREE));
        assertThat(f.changeMembership(1, new ConfigChange.Add(M4)))
                .containsExactly(new Effect.ChangeRejected(1, ChangeRejection.NO_LEADER, Optional.empty()));
        RaftMember notLeader = member(N2, log(0, THREE));
        List<Effect> answer = notLeader.handle(new MembershipChangeRequest(G, N3, N2, 0, 7, false, N4, "a4",
                Membership.VOTER));
        assertThat(sent(answer, MembershipChangeResponse.class)).singleElement()
                .matches(r -> r.rejection() == ChangeRejection.NOT_LEADER);
    }

    @Test
    void addingAMemberAgainIsAcceptedAtTheEntryThatHoldsIt() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        assertThat(accepted(m.changeMembership(1, new ConfigChange.Add(M4)))).isEqualTo(new Effect.ChangeAccepted(1, 2, 1));
        assertThat(accepted(m.changeMembership(2, new ConfigChange.Add(M4))))
                .as("uncommitted: the same entry, not IN_PROGRESS").isEqualTo(new Effect.ChangeAccepted(2, 2, 1));
        m.onLogDurable(2, 1, 0);
        m.handle(ack(N2, 1, 2));
        m.handle(ack(N3, 1, 2));
        assertThat(accepted(m.changeMembership(3, new ConfigChange.Add(M4))))
                .as("committed: nothing to wait for").isEqualTo(new Effect.ChangeAccepted(3, 0, 0));
        assertThat(accepted(m.changeMembership(4, new ConfigChange.Add(new Member(N4, "a4", Membership.PROMOTABLE)))))
                .as("a voter asked to be promotable is promoted already").isEqualTo(new Effect.ChangeAccepted(4, 0, 0));
        assertThat(log.lastIndex()).as("nothing appended for any of them").isEqualTo(2);
        assertThat(rejected(m.changeMembership(5, new ConfigChange.Add(Member.voter("n4", "elsewhere")))).reason())
                .isEqualTo(ChangeRejection.CONFLICT);
    }

    @Test
    void removingAnUnknownMemberIsRefused() {
        RaftMember m = committedLeader(log(0, THREE));
        assertThat(rejected(m.changeMembership(1, new ConfigChange.Remove(N4))).reason())
                .isEqualTo(ChangeRejection.UNKNOWN_MEMBER);
    }

    @Test
    void removingTheLastVoterIsAConflict() {
        ClusterConfig solo = new ClusterConfig(List.of(Member.voter("n1", "a1"),
                new Member(N2, "a2", Membership.NON_VOTER)));
        RecordingLog log = log(0, solo);
        RaftMember m = member(N1, log);
        tickUntil(m, e -> m.role() == Role.LEADER);
        m.onLogDurable(1, 1, 0);
        assertThat(m.commitIndex()).isEqualTo(1);
        assertThat(rejected(m.changeMembership(1, new ConfigChange.Remove(N1))).reason())
                .isEqualTo(ChangeRejection.CONFLICT);
        assertThat(accepted(m.changeMembership(2, new ConfigChange.Remove(N2))).index())
                .as("removing the non-voter is fine").isEqualTo(2);
    }

    @Test
    void makingTheLastVoterANonVoterIsAConflictAndTheLeaderCarriesOn() {
        ClusterConfig solo = new ClusterConfig(List.of(Member.voter("n1", "a1"),
                new Member(N2, "a2", Membership.NON_VOTER)));
        RecordingLog log = log(0, solo);
        RaftMember m = member(N1, log);
        tickUntil(m, e -> m.role() == Role.LEADER);
        m.onLogDurable(1, 1, 0);
        assertThat(rejected(m.changeMembership(1, new ConfigChange.Add(new Member(N1, "a1", Membership.NON_VOTER))))
                .reason()).as("asked of the leader").isEqualTo(ChangeRejection.CONFLICT);
        // the same change forwarded by the non-voter
        List<Effect> answer = m.handle(new MembershipChangeRequest(G, N2, N1, 1, 7, false, N1, "a1",
                Membership.NON_VOTER));
        assertThat(sent(answer, MembershipChangeResponse.class)).singleElement()
                .satisfies(r -> assertThat(r.rejection()).isEqualTo(ChangeRejection.CONFLICT));
        assertThat(log.lastIndex()).as("nothing appended").isEqualTo(1);
        assertThat(m.config()).isEqualTo(solo);
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(accepted(m.changeMembership(2, new ConfigChange.Add(Member.voter("n2", "a2")))).index())
                .as("the group still takes changes: making the non-voter a voter").isEqualTo(2);
    }

    // ------------------------------------------------------------------ recovery

    @Test
    void aRestartedMemberDropsAPersistedConfigurationItsLogLost() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        log.disk.flush();
        m.changeMembership(1, new ConfigChange.Add(M4));
        assertThat(log.disk.state().configs()).extracting(ConfigEntry::index).containsExactly(0L, 2L);
        InMemoryGroupLog survived = log.disk.crash(); // entry 2 was never flushed
        assertThat(survived.lastIndex()).isEqualTo(1);
        RaftMember restarted = new RaftMember(G, N1, CFG, survived, new Random(2));
        assertThat(restarted.config()).isEqualTo(THREE);
        assertThat(restarted.configIndex()).isZero();
    }

    @Test
    void aRestartedMemberKeepsAnUncommittedConfigurationItsLogHolds() {
        RecordingLog log = log(1, THREE, entry(1, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1, List.of(configEntry(2, 1, FOUR)), 1, 0));
        log.disk.flush();
        RaftMember restarted = new RaftMember(G, N2, CFG, log.disk.crash(), new Random(2));
        assertThat(restarted.config()).isEqualTo(FOUR);
        assertThat(restarted.configIndex()).isEqualTo(2);
        assertThat(restarted.commitIndex()).as("still uncommitted").isZero();
    }

    @Test
    void aPersistedConfigurationWhoseEntryWasReplacedByAnotherTermIsDropped() {
        // the state names a configuration at 2 of term 1, but the log holds entry 2 of term 2 there
        InMemoryGroupLog disk = new InMemoryGroupLog(new PersistentState(2, Optional.empty(),
                List.of(new ConfigEntry(0, 0, THREE), new ConfigEntry(2, 1, FOUR))));
        disk.append(List.of(entry(1, 1), entry(2, 2)));
        disk.flush();
        RaftMember m = member(N2, disk);
        assertThat(m.config()).isEqualTo(THREE);
    }

    @Test
    void installingASnapshotRebasesTheConfigurationOnTheSnapshots() {
        RecordingLog log = log(1, THREE, entry(1, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 2, 1, 1, List.of(), 1, 0));
        f.snapshotInstalled(new SnapshotMeta(10, 2, FOUR), N1);
        assertThat(f.config()).isEqualTo(FOUR);
        assertThat(f.configIndex()).isEqualTo(10);
        assertThat(f.configAt(10)).isEqualTo(FOUR);
        assertThat(log.disk.state().configs()).containsExactly(new ConfigEntry(10, 2, FOUR));
        RaftMember restarted = new RaftMember(G, N2, CFG, log.disk.crash(), new Random(2),
                new SnapshotMeta(10, 2, FOUR));
        assertThat(restarted.config()).isEqualTo(FOUR);
    }

    @Test
    void aSnapshotOfALeaderCarriesTheConfigurationAtItsIndexNotTheNewest() {
        RecordingLog log = log(0, THREE);
        RaftMember m = committedLeader(log);
        m.changeMembership(1, new ConfigChange.Add(M4));
        assertThat(m.configAt(1)).isEqualTo(THREE);
        assertThat(m.configAt(2)).isEqualTo(FOUR);
    }
}
