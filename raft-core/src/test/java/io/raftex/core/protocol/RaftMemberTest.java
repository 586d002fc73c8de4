package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.log.StorageException;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.InstallSnapshotResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.message.ReadIndexRequest;
import io.raftex.core.message.ReadIndexResponse;
import io.raftex.core.message.SnapshotRequest;
import io.raftex.core.message.TimeoutNow;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.snapshot.SnapshotMeta;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static io.raftex.core.protocol.ProtocolFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Unit tests of the pure core: one input in, the effects out. Each names the safety rule of docs/contracts.md or the part of
 * the Raft paper it checks.
 */
class RaftMemberTest {

    /** A leader of term 1 whose no-op is durable and acknowledged by n2, which is then in the replicate state. */
    private static RaftMember leaderReplicatingToN2(ProtocolConfig cfg) {
        RaftMember m = leader(cfg, log(0), 0);
        m.onLogDurable(1, 1, 0);
        m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 1, 0, 0, 0, 0));
        return m;
    }

    @Test
    void rule1_termAndVoteAreDurableBeforeRequestVoteIsSent() {
        RecordingLog log = log(4);
        RaftMember m = member(N1, log);
        tickUntil(m, e -> !sent(e, PreVoteRequest.class).isEmpty());
        assertThat(log.persisted).as("a pre-vote changes no durable state").isEmpty();
        List<Effect> effects = m.handle(new PreVoteResponse(G, N2, N1, 5, true));
        assertThat(sent(effects, VoteRequest.class)).hasSize(2).allMatch(r -> r.term() == 5);
        assertThat(log.persisted).as("persisted before the requests were handed out")
                .containsExactly(new PersistentState(5, Optional.of(N1), THREE));
    }

    @Test
    void rule1_grantedVoteIsDurableBeforeTheAnswerAndSurvivesRestart() {
        RecordingLog log = log(2);
        RaftMember m = member(N1, log);
        List<Effect> effects = m.handle(new VoteRequest(G, N2, N1, 3, 0, 0, false));
        assertThat(sent(effects, VoteResponse.class)).singleElement().matches(VoteResponse::granted);
        assertThat(log.state()).isEqualTo(new PersistentState(3, Optional.of(N2), THREE));
        RaftMember restarted = new RaftMember(G, N1, CFG, log, new Random(2));
        List<Effect> second = restarted.handle(new VoteRequest(G, N3, N1, 3, 0, 0, false));
        assertThat(sent(second, VoteResponse.class)).as("no second vote in term 3 after a restart")
                .singleElement().matches(r -> !r.granted());
    }

    @Test
    void rule2_followerAcknowledgesOnlyDurableEntries() {
        RecordingLog log = log(1, entry(1, 1));
        List<long[]> events = new ArrayList<>();
        log.disk.setDurabilityListener(new GroupLog.DurabilityListener() {
            @Override
            public void onDurable(long index, long term, long truncations) {
                events.add(new long[]{index, term, truncations});
            }

            @Override
            public void onFailure(StorageException failure) {
            }
        });
        RaftMember f = member(N2, log);
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1,
                List.of(entry(2, 1), entry(3, 1)), 1, 0));
        AppendEntriesResponse first = sent(effects, AppendEntriesResponse.class).get(0);
        assertThat(first.success()).isTrue();
        assertThat(first.matchIndex()).as("entries 2..3 are not durable yet").isEqualTo(1);
        log.disk.flush();
        long[] ev = events.get(0);
        List<Effect> later = f.onLogDurable(ev[0], ev[1], ev[2]);
        assertThat(sent(later, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.success() && r.matchIndex() == 3);
    }

    @Test
    void rule2_durabilityReportForATruncatedWriteIsIgnored() {
        RecordingLog log = log(1, entry(1, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1, List.of(entry(2, 1)), 1, 0));
        // a new leader replaces entry 2 before the first write was reported durable
        f.handle(new AppendEntriesRequest(G, N3, N2, 2, 1, 1, List.of(entry(2, 2)), 1, 0));
        List<Effect> stale = f.onLogDurable(2, 1, 0);
        assertThat(f.durableIndex()).isEqualTo(1);
        assertThat(sent(stale, AppendEntriesResponse.class)).isEmpty();
        List<Effect> fresh = f.onLogDurable(2, 2, 1);
        assertThat(sent(fresh, AppendEntriesResponse.class)).singleElement().matches(r -> r.matchIndex() == 2);
    }

    @Test
    void rule2_aMemberBuiltOnALogResetBeforeItStartedHearsItsDurabilityReports() {
        // a restart whose snapshot lies beyond the log: the shell resets the log before it builds the member
        RecordingLog log = log(1, entry(1, 1));
        log.resetTo(5, 1);
        List<long[]> events = new ArrayList<>();
        log.disk.setDurabilityListener(new GroupLog.DurabilityListener() {
            @Override
            public void onDurable(long index, long term, long truncations) {
                events.add(new long[]{index, term, truncations});
            }

            @Override
            public void onFailure(StorageException failure) {
            }
        });
        RaftMember f = new RaftMember(G, N2, CFG, log, new Random(1), new SnapshotMeta(5, 1, THREE));
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 5, 1, List.of(entry(6, 1)), 5, 0));
        log.disk.flush();
        assertThat(events).singleElement().satisfies(ev -> assertThat(ev[2]).as("stamped after the reset").isOne());
        List<Effect> acked = f.onLogDurable(events.get(0)[0], events.get(0)[1], events.get(0)[2]);
        assertThat(f.durableIndex()).isEqualTo(6);
        assertThat(sent(acked, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.success() && r.matchIndex() == 6);
    }

    @Test
    void rule2_singleMemberLeaderCommitsOnlyOnceItsOwnWriteIsDurable() {
        ClusterConfig one = new ClusterConfig(List.of(Member.voter("n1", "a1")));
        RecordingLog solo = log(0, one);
        RaftMember alone = member(N1, solo);
        tickUntil(alone, e -> alone.role() == Role.LEADER);
        assertThat(alone.commitIndex()).as("own no-op not durable yet").isZero();
        assertThat(alone.onLogDurable(1, 1, 0)).contains(new Effect.CommitAdvanced(1));
    }

    @Test
    void rule3_leaderDoesNotCommitAnOldTermEntryByCountingReplicas() {
        // Raft §5.4.2 / Figure 8: entry 2 of term 2 is on a majority, but the leader of term 4 must not commit it
        // until an entry of its own term is on a majority too
        RecordingLog log = log(3, entry(1, 1), entry(2, 2));
        RaftMember m = leader(log, 3);
        assertThat(m.term()).isEqualTo(4);
        m.onLogDurable(3, 4, 0);
        m.handle(new AppendEntriesResponse(G, N2, N1, 4, true, 2, 0, 0, 0, 0));
        assertThat(m.commitIndex()).as("index 2 is of term 2: not committed by counting").isZero();
        m.handle(new AppendEntriesResponse(G, N2, N1, 4, true, 3, 0, 0, 0, 0));
        assertThat(m.commitIndex()).as("the no-op of term 4 commits, and 2 with it").isEqualTo(3);
    }

    @Test
    void rule3_newLeaderAppendsANoOpOfItsTerm() {
        RecordingLog log = log(1, entry(1, 1));
        RaftMember m = leader(log, 1);
        assertThat(log.entry(2).type()).isEqualTo(EntryType.NOOP);
        assertThat(log.entry(2).term()).isEqualTo(m.term());
    }

    @Test
    void readIndexWaitsForAnEntryOfTheLeadersTermAndAQuorumRound() {
        RecordingLog log = log(0);
        RaftMember m = leader(log, 0);
        assertThat(m.read(42, ReadConsistency.LINEARIZABLE)).noneMatch(e -> e instanceof Effect.ReadReady);
        m.onLogDurable(1, 1, 0);
        List<Effect> commit = m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 1, 0, 0, 0, 0));
        assertThat(commit).contains(new Effect.CommitAdvanced(1)).noneMatch(e -> e instanceof Effect.ReadReady);
        long round = sent(commit, AppendEntriesRequest.class).stream().mapToLong(AppendEntriesRequest::readRound)
                .max().orElseThrow();
        List<Effect> confirmed = m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 1, 0, 0, 0, round));
        assertThat(confirmed).contains(new Effect.ReadReady(42, 1));
    }

    @Test
    void readsThatComeWhileARoundIsInFlightGoTogetherInTheNextRoundWithALaterReadIndex() {
        RaftMember m = leaderReplicatingToN2(CFG);
        List<Effect> first = m.read(1, ReadConsistency.LINEARIZABLE);
        List<AppendEntriesRequest> round1 = sent(first, AppendEntriesRequest.class);
        assertThat(round1).as("one heartbeat per voter").hasSize(2);
        long r1 = round1.get(0).readRound();
        // a command commits at 2 while round 1 is out; two reads arrive after it
        m.propose(List.of(new Proposal(9, 0, 0, 0, new byte[]{9})));
        m.onLogDurable(2, 1, 0);
        assertThat(m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 2, 0, 0, 0, 0)))
                .contains(new Effect.CommitAdvanced(2));
        List<Effect> queued = new ArrayList<>(m.read(2, ReadConsistency.LINEARIZABLE));
        queued.addAll(m.read(3, ReadConsistency.LINEARIZABLE));
        assertThat(sent(queued, AppendEntriesRequest.class)).as("no round of their own while one is out").isEmpty();
        assertThat(queued).noneMatch(e -> e instanceof Effect.ReadReady);
        // round 1 confirmed: read 1 at the commit index it started with; reads 2 and 3 start round 2 together
        List<Effect> confirmed1 = m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 2, 0, 0, 0, r1));
        assertThat(confirmed1).contains(new Effect.ReadReady(1, 1)).noneMatch(e -> e instanceof Effect.ReadReady r
                && r.requestId() != 1);
        List<AppendEntriesRequest> round2 = sent(confirmed1, AppendEntriesRequest.class).stream()
                .filter(a -> a.readRound() > r1).toList();
        assertThat(round2).as("one heartbeat per voter for both reads").hasSize(2);
        long r2 = round2.get(0).readRound();
        // an answer to round 1 again does not serve round 2
        assertThat(m.handle(new AppendEntriesResponse(G, N3, N1, 1, true, 2, 0, 0, 0, r1)))
                .noneMatch(e -> e instanceof Effect.ReadReady);
        List<Effect> confirmed2 = m.handle(new AppendEntriesResponse(G, N3, N1, 1, true, 2, 0, 0, 0, r2));
        assertThat(confirmed2).contains(new Effect.ReadReady(2, 2), new Effect.ReadReady(3, 2));
    }

    @Test
    void readsWaitingForTheNextRoundFailWhenLeadershipIsLost() {
        RaftMember m = leaderReplicatingToN2(CFG);
        m.read(1, ReadConsistency.LINEARIZABLE);
        m.read(2, ReadConsistency.LINEARIZABLE);
        List<Effect> lost = m.handle(new AppendEntriesRequest(G, N3, N1, 5, 0, 0, List.of(), 0, 0));
        assertThat(lost).contains(new Effect.ReadRejected(1, Effect.Rejection.LEADERSHIP_LOST, Optional.empty()),
                new Effect.ReadRejected(2, Effect.Rejection.LEADERSHIP_LOST, Optional.empty()));
    }

    @Test
    void followerReadIsForwardedAndAnsweredWithTheLeadersIndex() {
        RecordingLog log = log(1, entry(1, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1, List.of(), 1, 0));
        List<Effect> effects = f.read(7, ReadConsistency.LINEARIZABLE);
        assertThat(sent(effects, ReadIndexRequest.class)).singleElement()
                .matches(r -> r.to().equals(N1) && r.confirmLeadership());
        assertThat(f.handle(new ReadIndexResponse(G, N1, N2, 1, 7, true, 1))).contains(new Effect.ReadReady(7, 1));
    }

    @Test
    void fastBacktrackingHintSkipsAWholeConflictingTerm() {
        LogEntry[] followerEntries = new LogEntry[11];
        followerEntries[0] = entry(1, 1);
        for (int i = 2; i <= 11; i++) {
            followerEntries[i - 1] = entry(i, 2);
        }
        RaftMember f = member(N2, log(2, followerEntries));
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N1, N2, 3, 11, 3, List.of(), 0, 0));
        AppendEntriesResponse reject = sent(effects, AppendEntriesResponse.class).get(0);
        assertThat(reject.success()).isFalse();
        assertThat(reject.conflictTerm()).isEqualTo(2);
        assertThat(reject.conflictIndex()).as("first index of the conflicting term").isEqualTo(2);
    }

    @Test
    void preVoteDoesNotRaiseTheReceiversTermAndALiveLeaderBlocksIt() {
        RecordingLog log = log(1, entry(1, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 1, 1, List.of(), 1, 0));
        List<Effect> effects = f.handle(new PreVoteRequest(G, N3, N2, 2, 1, 1));
        assertThat(sent(effects, PreVoteResponse.class)).singleElement().matches(r -> !r.granted());
        assertThat(f.term()).isEqualTo(1);
        assertThat(log.persisted).isEmpty();
    }

    @Test
    void checkQuorumStepsDownWithoutHearingFromAMajority() {
        RaftMember m = leader(log(0), 0);
        for (int i = 0; i < 2 * CFG.electionTimeoutTicks() && m.role() == Role.LEADER; i++) {
            m.tick(100 + i);
        }
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(m.term()).as("stepping down does not raise the term").isEqualTo(1);
    }

    @Test
    void conflictWithACommittedEntryIsRefusedAndTheMemberGoesOn() {
        // committed entry C = 2 in term T = 1; a "leader" of term T+1 sends prevLogIndex C-1 and entries at C and
        // C+1 that contradict it: no correct leader sends this (Leader Completeness), so it is refused whole
        RecordingLog log = log(1, entry(1, 1), entry(2, 1));
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 2, 1, List.of(), 2, 0));
        assertThat(f.commitIndex()).isEqualTo(2);
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N3, N2, 2, 1, 1,
                List.of(entry(2, 2), entry(3, 2)), 2, 0));
        assertThat(sent(effects, AppendEntriesResponse.class)).noneMatch(AppendEntriesResponse::success);
        assertThat(log.termAt(2)).as("the committed entry stays").isEqualTo(1);
        assertThat(log.lastIndex()).isEqualTo(2);
        assertThat(f.commitIndex()).isEqualTo(2);
        // the same request again is refused again, and a correct leader is followed afterwards
        f.handle(new AppendEntriesRequest(G, N3, N2, 2, 1, 1, List.of(entry(2, 2), entry(3, 2)), 2, 0));
        List<Effect> next = f.handle(new AppendEntriesRequest(G, N1, N2, 3, 2, 1, List.of(entry(3, 3)), 3, 0));
        assertThat(log.termAt(3)).isEqualTo(3);
        assertThat(f.leader()).contains(N1);
        assertThat(f.role()).isEqualTo(Role.FOLLOWER);
        assertThat(next).isNotNull();
    }

    @Test
    void aTermAtTheLimitIsNotAdoptedAndAMemberAtTheLimitDoesNotCampaign() {
        RaftMember m = member(N1, log(0));
        m.handle(new AppendEntriesRequest(G, N2, N1, Long.MAX_VALUE, 0, 0, List.of(), 0, 0));
        assertThat(m.term()).as("a term past the limit is dropped").isZero();
        m.handle(new AppendEntriesRequest(G, N2, N1, RaftMember.MAX_TERM, 0, 0, List.of(), 0, 0));
        assertThat(m.term()).as("so is one more than a step ahead").isZero();
        m.handle(new AppendEntriesRequest(G, N2, N1, RaftMember.MAX_TERM_STEP + 1, 0, 0, List.of(), 0, 0));
        assertThat(m.term()).isZero();
        m.handle(new AppendEntriesRequest(G, N2, N1, RaftMember.MAX_TERM_STEP, 0, 0, List.of(), 0, 0));
        assertThat(m.term()).as("one step is taken").isEqualTo(RaftMember.MAX_TERM_STEP);
        assertThat(m.leader()).contains(N2);

        RecordingLog log = log(RaftMember.MAX_TERM);
        RaftMember full = member(N1, log);
        for (int i = 0; i < 10 * CFG.electionTimeoutTicks(); i++) {
            List<Effect> effects = full.tick(i);
            assertThat(sent(effects, PreVoteRequest.class)).isEmpty();
            assertThat(sent(effects, VoteRequest.class)).isEmpty();
        }
        assertThat(full.term()).isEqualTo(RaftMember.MAX_TERM);
        assertThat(log.persisted).as("no term past the limit, and never a negative one, is persisted").isEmpty();
        assertThat(full.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void onlyTheLeaderThisMemberFollowsCanTellItToCampaignAtOnce() {
        MemberId stranger = MemberId.of("n9");
        RaftMember f = member(N1, log(1));
        f.handle(new AppendEntriesRequest(G, N2, N1, 1, 0, 0, List.of(), 0, 0));
        assertThat(sent(f.handle(new TimeoutNow(G, stranger, N1, 1)), VoteRequest.class)).isEmpty();
        assertThat(sent(f.handle(new TimeoutNow(G, N3, N1, 1)), VoteRequest.class)).as("a member, not the leader")
                .isEmpty();
        List<Effect> ahead = f.handle(new TimeoutNow(G, stranger, N1, 2));
        assertThat(sent(ahead, VoteRequest.class)).isEmpty();
        assertThat(f.leader()).as("a TimeoutNow names no leader").isEmpty();
        assertThat(f.role()).isEqualTo(Role.FOLLOWER);

        // knowing no leader (a pre-candidate, say), it takes the word of a voter of its configuration
        assertThat(sent(f.handle(new TimeoutNow(G, N3, N1, 2)), VoteRequest.class)).hasSize(2);

        RaftMember g = member(N1, log(1));
        g.handle(new AppendEntriesRequest(G, N2, N1, 1, 0, 0, List.of(), 0, 0));
        assertThat(sent(g.handle(new TimeoutNow(G, N2, N1, 1)), VoteRequest.class)).hasSize(2)
                .allMatch(VoteRequest::transfer);
    }

    @Test
    void aTransferVoteFromANonVoterDoesNotSkipTheLeaderLease() {
        RaftMember f = member(N1, log(1));
        f.handle(new AppendEntriesRequest(G, N2, N1, 1, 0, 0, List.of(), 0, 0));
        f.handle(new VoteRequest(G, MemberId.of("n9"), N1, 5, 0, 0, true));
        assertThat(f.term()).as("dropped in the lease").isEqualTo(1);
        assertThat(f.leader()).contains(N2);
        f.handle(new VoteRequest(G, N3, N1, 5, 0, 0, true));
        assertThat(f.term()).as("a voter's transfer vote passes").isEqualTo(5);
    }

    @Test
    void aTermAtTheLimitIsNotCampaignedPastWithoutPreVoteEither() {
        ProtocolConfig noPreVote = CFG.withPreVote(false, CFG.checkQuorum());
        RecordingLog log = log(RaftMember.MAX_TERM);
        RaftMember full = new RaftMember(G, N1, noPreVote, log, new Random(1));
        for (int i = 0; i < 10 * CFG.electionTimeoutTicks(); i++) {
            assertThat(sent(full.tick(i), VoteRequest.class)).isEmpty();
        }
        assertThat(full.term()).isEqualTo(RaftMember.MAX_TERM);
        assertThat(log.persisted).isEmpty();
    }

    @Test
    void pipelineSendsSeveralAppendsWithoutWaitingAndRespectsTheLimits() {
        RaftMember m = leaderReplicatingToN2(CFG.withLimits(2, 1 << 20, 3));
        List<Proposal> proposals = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            proposals.add(new Proposal(i, 0, 0, 0, new byte[]{1}));
        }
        List<AppendEntriesRequest> toN2 = sent(m.propose(proposals), AppendEntriesRequest.class).stream()
                .filter(r -> r.to().equals(N2) && !r.entries().isEmpty()).toList();
        assertThat(toN2).as("in flight at once, capped at 3").hasSize(3);
        assertThat(toN2).allMatch(r -> r.entries().size() <= 2);
        assertThat(toN2.get(1).prevLogIndex()).isEqualTo(toN2.get(0).prevLogIndex() + 2);
    }

    @Test
    void appendEntriesRespectsTheByteLimitButAlwaysCarriesOneEntry() {
        RaftMember m = leaderReplicatingToN2(CFG.withLimits(100, 200, 8));
        List<Proposal> proposals = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            proposals.add(new Proposal(i, 0, 0, 0, new byte[100])); // 153 bytes each with the entry overhead
        }
        proposals.add(new Proposal(9, 0, 0, 0, new byte[500])); // larger than the limit on its own
        List<AppendEntriesRequest> toN2 = sent(m.propose(proposals), AppendEntriesRequest.class).stream()
                .filter(r -> r.to().equals(N2) && !r.entries().isEmpty()).toList();
        assertThat(toN2).allMatch(r -> r.entries().size() == 1);
        assertThat(toN2).hasSize(5);
    }

    @Test
    void nonVoterReplicatesButNeverCampaignsOrCounts() {
        ClusterConfig withLearner = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                new Member(N3, "a3", io.raftex.core.Membership.NON_VOTER)));
        RaftMember learner = member(N3, log(0, withLearner));
        for (int i = 0; i < 10 * CFG.electionTimeoutTicks(); i++) {
            assertThat(learner.tick(i)).noneMatch(e -> e instanceof Effect.Send);
        }
        assertThat(learner.role()).isEqualTo(Role.FOLLOWER);
        // its vote does not count: a candidate of this configuration needs both n1 and n2
        RaftMember candidate = member(N1, log(0, withLearner));
        for (int i = 0; i < 2 * CFG.electionTimeoutTicks() && candidate.role() != Role.CANDIDATE; i++) {
            candidate.tick(i);
            if (candidate.role() == Role.PRE_CANDIDATE) {
                candidate.handle(new io.raftex.core.message.PreVoteResponse(G, N2, N1, 1, true));
            }
        }
        assertThat(candidate.role()).isEqualTo(Role.CANDIDATE);
        candidate.handle(new VoteResponse(G, N3, N1, candidate.term(), true));
        assertThat(candidate.role()).as("a non-voter's vote makes no quorum").isEqualTo(Role.CANDIDATE);
        candidate.handle(new VoteResponse(G, N2, N1, candidate.term(), true));
        assertThat(candidate.role()).isEqualTo(Role.LEADER);
        assertThat(candidate.status().peers()).anyMatch(p -> p.id().equals(N3));
    }

    @Test
    void leadershipTransferHoldsOffNewCommandsCatchesTheTargetUpThenSendsTimeoutNow() {
        RecordingLog log = log(0);
        RaftMember m = leader(log, 0);
        m.onLogDurable(1, 1, 0);
        m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 1, 0, 0, 0, 0));
        m.propose(List.of(new Proposal(1, 0, 0, 0, new byte[]{1})));          // index 2: n2 is behind
        List<Effect> start = m.transferLeadership(N2);
        assertThat(sent(start, io.raftex.core.message.TimeoutNow.class)).as("n2 has not caught up").isEmpty();
        List<Effect> held = m.propose(List.of(new Proposal(2, 0, 0, 0, new byte[]{2})));
        assertThat(held).containsExactly(new Effect.ProposalRejected(2, Effect.Rejection.LEADERSHIP_TRANSFER,
                Optional.of(N2)));
        assertThat(log.lastIndex()).isEqualTo(2);
        List<Effect> caughtUp = m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 2, 0, 0, 0, 0));
        assertThat(sent(caughtUp, io.raftex.core.message.TimeoutNow.class)).singleElement()
                .matches(t -> t.to().equals(N2) && t.term() == 1);
    }

    @Test
    void aTransferThatDoesNotHappenWithinAnElectionTimeoutIsAbandoned() {
        RecordingLog log = log(0);
        RaftMember m = leader(log, 0);
        m.onLogDurable(1, 1, 0);
        m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 1, 0, 0, 0, 0));
        m.handle(new AppendEntriesResponse(G, N3, N1, 1, true, 1, 0, 0, 0, 0));
        m.transferLeadership(N3);
        for (int i = 0; i < CFG.electionTimeoutTicks(); i++) {
            m.tick(1000 + i);
            // keep the quorum alive so check-quorum does not end the leadership instead
            m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 1, 0, 0, 0, 0));
        }
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(m.propose(List.of(new Proposal(5, 0, 0, 0, new byte[]{5}))))
                .contains(new Effect.ProposalAccepted(5, 2, 1));
    }

    // ------------------------------------------------------------------ a leader's later term (etcd's reset(term))

    /** A follower that took entries 1..3 of term 1 from n1, all durable, with n1's read round 50 noted. */
    private static RaftMember followerOfN1InTerm1(RecordingLog log) {
        RaftMember f = member(N2, log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 0, 0, List.of(entry(1, 1), entry(2, 1), entry(3, 1)), 0, 50));
        log.disk.flush();
        f.onLogDurable(3, 1, 0);
        return f;
    }

    @Test
    void sameLeaderInALaterTermDoesNotInheritWhatItsEarlierTermMatched() {
        // n1 led term 1 and sent 1..3; it crashed before its own fsync, came back with only entry 1, won term 2
        // and committed its no-op at 2 with n3. Its heartbeat to n2 (match 0) carries commit 2: n2's entry 2 is of
        // term 1, not n1's entry 2 of term 2, so n2 must not commit it, nor claim to match beyond what n1 sent.
        RecordingLog log = log(0);
        RaftMember f = followerOfN1InTerm1(log);
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N1, N2, 2, 0, 0, List.of(), 2, 1));
        assertThat(f.commitIndex()).as("entry 2 here is not the leader's entry 2").isZero();
        assertThat(effects).noneMatch(e -> e instanceof Effect.CommitAdvanced);
        assertThat(sent(effects, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.success() && r.matchIndex() == 0, "acknowledges nothing the leader did not send");
    }

    @Test
    void acknowledgedMatchIsCappedAtWhatTheLeaderSentEvenWhenCommittedHere() {
        // n2 committed 1..3 under n1 in term 1; n3 leads term 2 and probes at index 1: the answer may say 1
        // (what n3 sent), not 3 (what n2 knows to be committed but n3 has not offered yet)
        RecordingLog log = log(0);
        RaftMember f = followerOfN1InTerm1(log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 3, 1, List.of(), 3, 50));
        assertThat(f.commitIndex()).isEqualTo(3);
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N3, N2, 2, 1, 1, List.of(), 3, 1));
        assertThat(sent(effects, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.success() && r.matchIndex() == 1, "match capped at the probe's index");
    }

    @Test
    void readRoundOfTheLeadersEarlierTermIsNotEchoedInItsNewTerm() {
        // n1 restarted (read rounds start again at 1) and leads term 2; an answer carrying round 50 from term 1
        // would confirm read rounds n1 has not even started yet
        RecordingLog log = log(0);
        RaftMember f = followerOfN1InTerm1(log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 2, 1, 1, List.of(entry(2, 2)), 0, 1));
        log.disk.flush();
        List<Effect> durable = f.onLogDurable(2, 2, 1);
        assertThat(sent(durable, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.matchIndex() == 2 && r.readRound() == 1, "round of term 2 only");
    }

    // ------------------------------------------------------------------ storage back-pressure

    @Test
    void leaderUnderBackPressureRefusesNewCommandsButKeepsSendingHeartbeats() {
        RecordingLog log = log(0);
        RaftMember m = leader(log, 0);
        log.pressured = true;
        assertThat(m.propose(List.of(new Proposal(1, 0, 0, 0, new byte[]{1}))))
                .containsExactly(new Effect.ProposalRejected(1, Effect.Rejection.OVERLOADED, Optional.empty()));
        List<Effect> forwarded = m.handle(new io.raftex.core.message.ForwardCommand(G, N2, N1, 1, 7, 0, 0, 0,
                new byte[]{7}));
        assertThat(sent(forwarded, io.raftex.core.message.ForwardCommandResponse.class)).singleElement()
                .matches(r -> !r.accepted());
        assertThat(log.lastIndex()).as("only the no-op").isEqualTo(1);
        List<Effect> beats = tickUntil(m, e -> !sent(e, AppendEntriesRequest.class).isEmpty());
        assertThat(sent(beats, AppendEntriesRequest.class)).extracting(AppendEntriesRequest::to).contains(N2, N3);
        log.pressured = false;
        assertThat(m.propose(List.of(new Proposal(2, 0, 0, 0, new byte[]{2}))))
                .contains(new Effect.ProposalAccepted(2, 2, 1));
    }

    @Test
    void followerUnderBackPressureTakesNoNewEntriesButFollowsAndVotes() {
        RecordingLog log = log(1, entry(1, 1));
        RaftMember f = member(N2, log);
        log.pressured = true;
        List<Effect> vote = f.handle(new VoteRequest(G, N1, N2, 2, 1, 1, false));
        assertThat(sent(vote, VoteResponse.class)).singleElement().matches(VoteResponse::granted);
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N1, N2, 2, 1, 1,
                List.of(entry(2, 2), entry(3, 2)), 1, 0));
        assertThat(log.lastIndex()).as("new entries wait for the store").isEqualTo(1);
        assertThat(f.leader()).contains(N1);
        assertThat(f.commitIndex()).isEqualTo(1);
        assertThat(sent(effects, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.success() && r.matchIndex() == 1, "acknowledges what it holds");
        log.pressured = false;
        f.handle(new AppendEntriesRequest(G, N1, N2, 2, 1, 1, List.of(entry(2, 2)), 1, 0));
        assertThat(log.lastIndex()).isEqualTo(2);
    }

    @Test
    void aFollowerThatLostAcknowledgedEntriesIsRepairedFromItsHint() {
        // n2 acknowledged 1..3, then its disk lost them (a wiped or cut log): it rejects the heartbeat at its match
        // index. The leader must send from where n2's log ends, not resend after the lost match for ever.
        RaftMember m = leaderReplicatingToN2(CFG);
        m.propose(List.of(new Proposal(1, 0, 0, 0, new byte[]{1}), new Proposal(2, 0, 0, 0, new byte[]{2})));
        m.handle(new AppendEntriesResponse(G, N2, N1, 1, true, 3, 0, 0, 0, 0));
        assertThat(m.status().peers()).filteredOn(p -> p.id().equals(N2)).singleElement()
                .matches(p -> p.matchIndex() == 3);
        List<Effect> effects = m.handle(new AppendEntriesResponse(G, N2, N1, 1, false, 0, 3, 0, 1, 0));
        assertThat(sent(effects, AppendEntriesRequest.class)).filteredOn(a -> a.to().equals(N2)).isNotEmpty()
                .allMatch(a -> a.prevLogIndex() == 0 && a.entries().size() == 3, "everything again from index 1");
        assertThat(m.status().peers()).filteredOn(p -> p.id().equals(N2)).singleElement()
                .matches(p -> p.matchIndex() == 0, "the lost match is forgotten");
    }

    // ------------------------------------------------------------------ snapshots (Raft §7)

    /**
     * n1 leads term 2 over entries 1..5 of term 1 plus its no-op at 6, all committed with n2, and has compacted its
     * log up to 6 after a snapshot. n3 is far behind: its log is empty.
     */
    private static RaftMember leaderCompactedTo6() {
        RecordingLog log = log(1, entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1), entry(5, 1));
        RaftMember m = leader(log, 1);
        log.disk.flush();
        m.onLogDurable(6, 2, 0);
        m.handle(new AppendEntriesResponse(G, N2, N1, 2, true, 6, 0, 0, 0, 0));
        assertThat(m.commitIndex()).isEqualTo(6);
        m.snapshotTaken(6, 2, 6);
        assertThat(log.firstIndex()).isEqualTo(7);
        return m;
    }

    private static List<Effect> n3RejectsWithAnEmptyLog(RaftMember m) {
        // n3 rejects the leader's first probe (prev 5, sent on election): its log is empty
        return m.handle(new AppendEntriesResponse(G, N3, N1, 2, false, 0, 5, 0, 1, 0));
    }

    @Test
    void leaderSendsItsSnapshotToAFollowerThatNeedsCompactedEntries() {
        RaftMember m = leaderCompactedTo6();
        List<Effect> effects = n3RejectsWithAnEmptyLog(m);
        assertThat(effects).contains(new Effect.SendSnapshot(N3, 0));
        assertThat(sent(effects, AppendEntriesRequest.class)).noneMatch(a -> a.to().equals(N3));
        // new entries do not go to n3 while its snapshot is on the way; heartbeats still do, at index 0
        effects = m.propose(List.of(new Proposal(9, 0, 0, 0, new byte[]{1})));
        assertThat(sent(effects, AppendEntriesRequest.class)).noneMatch(a -> a.to().equals(N3));
        List<Effect> beat = tickUntil(m, e -> sent(e, AppendEntriesRequest.class).stream()
                .anyMatch(a -> a.to().equals(N3)));
        assertThat(sent(beat, AppendEntriesRequest.class)).filteredOn(a -> a.to().equals(N3))
                .allMatch(a -> a.entries().isEmpty() && a.prevLogIndex() == 0 && a.prevLogTerm() == 0,
                        "a heartbeat that matches any log");
        assertThat(beat).doesNotContain(new Effect.SendSnapshot(N3, 0));
    }

    @Test
    void chunkAnswersPaceTheTransferAndInstallationResumesReplication() {
        RaftMember m = leaderCompactedTo6();
        n3RejectsWithAnEmptyLog(m);
        List<Effect> effects = m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 6, 100, false));
        assertThat(effects).contains(new Effect.SnapshotChunkAcked(N3, 6, 100));
        effects = m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 6, 0, true));
        assertThat(sent(effects, AppendEntriesRequest.class)).filteredOn(a -> a.to().equals(N3))
                .anyMatch(a -> a.prevLogIndex() == 6 && a.prevLogTerm() == 2);
        assertThat(m.status().peers()).filteredOn(p -> p.id().equals(N3)).singleElement()
                .matches(p -> p.matchIndex() == 6, "installed up to 6");
        // a late chunk answer changes nothing once it is installed
        assertThat(m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 6, 100, false)))
                .noneMatch(e -> e instanceof Effect.SnapshotChunkAcked);
    }

    /** Ticks the leader, n2 answering every heartbeat (so it keeps its quorum); the tick at which n3 is sent a snapshot. */
    private static int ticksUntilSnapshotSentAgain(RaftMember m) {
        for (int i = 1; i <= 200; i++) {
            List<Effect> effects = new ArrayList<>(m.tick(1000 + i));
            for (AppendEntriesRequest a : sent(effects, AppendEntriesRequest.class)) {
                if (a.to().equals(N2)) {
                    effects.addAll(m.handle(new AppendEntriesResponse(G, N2, N1, 2, true, 6, 0, 0, 0, a.readRound())));
                }
            }
            if (effects.contains(new Effect.SendSnapshot(N3, 0))) {
                return i;
            }
        }
        throw new AssertionError("no snapshot sent again in 200 ticks: " + m);
    }

    @Test
    void aTransferThatGoesQuietIsStartedAgain() {
        RaftMember m = leaderCompactedTo6();
        n3RejectsWithAnEmptyLog(m);
        int ticks = ticksUntilSnapshotSentAgain(m);
        assertThat(ticks).as("after four election timeouts without an answer, not before")
                .isGreaterThanOrEqualTo(4 * CFG.electionTimeoutTicks());
    }

    @Test
    void aChunkAnswerKeepsTheTransferGoing() {
        RaftMember m = leaderCompactedTo6();
        n3RejectsWithAnEmptyLog(m);
        for (int i = 1; i <= 8 * CFG.electionTimeoutTicks(); i++) {
            List<Effect> effects = new ArrayList<>(m.tick(1000 + i));
            for (AppendEntriesRequest a : sent(effects, AppendEntriesRequest.class)) {
                effects.addAll(m.handle(new AppendEntriesResponse(G, a.to(), N1, 2, true, a.to().equals(N2) ? 6 : 0,
                        0, 0, 0, a.readRound())));
            }
            effects.addAll(m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 6, i, false)));
            assertThat(effects).as("tick %d", i).doesNotContain(new Effect.SendSnapshot(N3, 0));
        }
    }

    @Test
    void aFailedSendIsRetriedFromProbingAtTheNextHeartbeat() {
        RaftMember m = leaderCompactedTo6();
        n3RejectsWithAnEmptyLog(m);
        m.snapshotSendFailed(N3);
        assertThat(ticksUntilSnapshotSentAgain(m)).isLessThanOrEqualTo(CFG.heartbeatTicks());
    }

    @Test
    void snapshotTakenBeyondTheCommitIndexIsRefused() {
        RaftMember m = leader(log(0), 0);
        assertThatThrownBy(() -> m.snapshotTaken(1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static InstallSnapshotRequest chunk(long term, long index, long indexTerm, long offset, int length,
                                                long total) {
        return new InstallSnapshotRequest(G, N1, N2, term, index, indexTerm, offset, total, new byte[length], 0);
    }

    @Test
    void followerHandsChunksToItsShellAndAnswersWhatItStored() {
        RecordingLog log = log(0);
        RaftMember f = member(N2, log);
        InstallSnapshotRequest c = chunk(2, 10, 2, 0, 50, 120);
        List<Effect> effects = f.handle(c);
        assertThat(effects).contains(new Effect.SnapshotChunk(c));
        assertThat(f.leader()).contains(N1);
        assertThat(sent(f.snapshotChunkStored(c, 50), InstallSnapshotResponse.class)).singleElement()
                .matches(r -> r.received() == 50 && !r.installed() && r.lastIndex() == 10 && r.term() == 2);
    }

    @Test
    void installingReplacesAConflictingLogAndCommitsTheSnapshot() {
        RecordingLog log = log(1, entry(1, 1), entry(2, 1), entry(3, 1));
        RaftMember f = member(N2, log);
        InstallSnapshotRequest last = chunk(2, 10, 2, 100, 20, 120);
        f.handle(last);
        List<Effect> effects = f.snapshotInstalled(new SnapshotMeta(10, 2, THREE), N1);
        assertThat(log.snapshotIndex()).isEqualTo(10);
        assertThat(log.lastIndex()).isEqualTo(10);
        assertThat(log.termAt(10)).isEqualTo(2);
        assertThat(f.commitIndex()).isEqualTo(10);
        assertThat(effects).contains(new Effect.CommitAdvanced(10));
        assertThat(sent(effects, InstallSnapshotResponse.class)).singleElement()
                .matches(r -> r.installed() && r.lastIndex() == 10);
        // the leader goes on from the snapshot point
        effects = f.handle(new AppendEntriesRequest(G, N1, N2, 2, 10, 2, List.of(entry(11, 2)), 10, 0));
        assertThat(log.lastIndex()).isEqualTo(11);
        log.disk.flush();
        effects = f.onLogDurable(11, 2, 1);
        assertThat(sent(effects, AppendEntriesResponse.class)).singleElement()
                .matches(r -> r.success() && r.matchIndex() == 11);
    }

    @Test
    void installingASnapshotTheLogHoldsKeepsTheEntriesAfterIt() {
        RecordingLog log = log(1, entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1));
        RaftMember f = member(N2, log);
        f.handle(chunk(1, 2, 1, 0, 10, 10));
        f.snapshotInstalled(new SnapshotMeta(2, 1, THREE), N1);
        assertThat(log.firstIndex()).isEqualTo(3);
        assertThat(log.lastIndex()).as("entries after the snapshot stay").isEqualTo(4);
        assertThat(f.commitIndex()).isEqualTo(2);
    }

    @Test
    void aSnapshotThisMemberHasCommittedAlreadyIsAnsweredAsInstalledAtOnce() {
        RecordingLog log = log(0);
        RaftMember f = followerOfN1InTerm1(log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 3, 1, List.of(), 3, 0));
        assertThat(f.commitIndex()).isEqualTo(3);
        List<Effect> effects = f.handle(chunk(1, 2, 1, 0, 10, 10));
        assertThat(effects).noneMatch(e -> e instanceof Effect.SnapshotChunk);
        assertThat(sent(effects, InstallSnapshotResponse.class)).singleElement().matches(InstallSnapshotResponse::installed);
    }

    @Test
    void aStaleLeadersChunkIsRefusedWithTheNewerTerm() {
        RecordingLog log = log(5);
        RaftMember f = member(N2, log);
        List<Effect> effects = f.handle(chunk(3, 10, 3, 0, 10, 10));
        assertThat(effects).noneMatch(e -> e instanceof Effect.SnapshotChunk);
        assertThat(sent(effects, InstallSnapshotResponse.class)).singleElement()
                .matches(r -> r.term() == 5 && !r.installed());
    }

    @Test
    void aChunkStoredAfterTheTermMovedOnIsNotAnswered() {
        RaftMember f = member(N2, log(0));
        InstallSnapshotRequest c = chunk(2, 10, 2, 0, 10, 20);
        f.handle(c);
        f.handle(new AppendEntriesRequest(G, N3, N2, 3, 0, 0, List.of(), 0, 0));
        assertThat(f.snapshotChunkStored(c, 10)).isEmpty();
    }

    @Test
    void appendEntriesReachingBelowTheSnapshotPointIsTakenFromThePointOn() {
        RecordingLog log = log(0);
        RaftMember f = member(N2, log);
        f.handle(chunk(2, 10, 2, 0, 10, 10));
        f.snapshotInstalled(new SnapshotMeta(10, 2, THREE), N1);
        // a pipelined batch sent before the leader learned of the install: 9..12, prev 8
        List<LogEntry> batch = List.of(entry(9, 1), entry(10, 2), entry(11, 2), entry(12, 2));
        List<Effect> effects = f.handle(new AppendEntriesRequest(G, N1, N2, 2, 8, 1, batch, 10, 0));
        assertThat(sent(effects, AppendEntriesResponse.class)).noneMatch(r -> !r.success());
        assertThat(log.lastIndex()).isEqualTo(12);
        assertThat(log.termAt(11)).isEqualTo(2);
    }

    @Test
    void aRestartedMemberCountsItsRestoredSnapshotAsCommittedAndVotesByItsTerm() {
        RecordingLog log = log(3);
        log.disk.resetTo(20, 3);
        RaftMember m = new RaftMember(G, N2, CFG, log, new Random(1), new SnapshotMeta(20, 3, THREE));
        assertThat(m.commitIndex()).isEqualTo(20);
        // a candidate whose last entry is 19 of term 3 is behind: no vote
        List<Effect> effects = m.handle(new VoteRequest(G, N1, N2, 4, 19, 3, false));
        assertThat(sent(effects, VoteResponse.class)).singleElement().matches(v -> !v.granted());
        effects = m.handle(new VoteRequest(G, N3, N2, 4, 20, 3, false));
        assertThat(sent(effects, VoteResponse.class)).singleElement().matches(VoteResponse::granted);
    }

    @Test
    void aSnapshotRequestMakesTheLeaderSendOneCoveringWhatIsNeeded() {
        RaftMember m = leaderCompactedTo6();
        List<Effect> effects = m.handle(new SnapshotRequest(G, N3, N1, 2, 6));
        assertThat(effects).contains(new Effect.SendSnapshot(N3, 6));
        assertThat(sent(m.propose(List.of(new Proposal(9, 0, 0, 0, new byte[]{1}))), AppendEntriesRequest.class))
                .as("no entries to n3 until it has installed the snapshot").noneMatch(a -> a.to().equals(N3));
    }

    @Test
    void aMemberWhoseStateIsMissingVotesButNeverCampaignsAndTakesASnapshotItHasCommitted() {
        RecordingLog log = log(0);
        RaftMember f = followerOfN1InTerm1(log);
        f.handle(new AppendEntriesRequest(G, N1, N2, 1, 3, 1, List.of(), 3, 0));
        f.setStateMissing(true);
        assertThat(sent(f.requestSnapshot(3), SnapshotRequest.class)).singleElement()
                .matches(r -> r.to().equals(N1) && r.needIndex() == 3 && r.term() == 1);
        InstallSnapshotRequest c = chunk(1, 3, 1, 0, 10, 10);
        assertThat(f.handle(c)).as("taken even though 3 is committed here").contains(new Effect.SnapshotChunk(c));
        for (int i = 0; i < 200; i++) {
            assertThat(sent(f.tick(i), PreVoteRequest.class)).as("no campaign at tick %d", i).isEmpty();
        }
        assertThat(sent(f.handle(new VoteRequest(G, N3, N2, 2, 3, 1, false)), VoteResponse.class)).singleElement()
                .matches(VoteResponse::granted, "it still votes: its log is whole");
        f.setStateMissing(false);
        assertThat(f.handle(chunk(2, 3, 1, 0, 10, 10))).noneMatch(e -> e instanceof Effect.SnapshotChunk);
    }

    @Test
    void heartbeatsToAFollowerBehindTheSnapshotPointCarryAnIndexWhoseTermIsKnown() {
        RecordingLog log = log(1, entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1), entry(5, 1));
        RaftMember m = leader(log, 1);
        log.disk.flush();
        m.onLogDurable(6, 2, 0);
        m.handle(new AppendEntriesResponse(G, N3, N1, 2, true, 5, 0, 0, 0, 0));
        m.handle(new AppendEntriesResponse(G, N2, N1, 2, true, 6, 0, 0, 0, 0));
        m.snapshotTaken(6, 2, 6);
        // n3 (match 5, below the snapshot point) answers nothing more: its pipeline stalls, it is probed from 6, and
        // needs the snapshot; the heartbeats it gets meanwhile must not name index 5, whose term is gone
        boolean snapshotSent = false;
        for (int i = 1; i <= 100; i++) {
            List<Effect> effects = new ArrayList<>(m.tick(1000 + i));
            for (AppendEntriesRequest a : sent(effects, AppendEntriesRequest.class)) {
                assertThat(a.prevLogTerm()).as("prevLogTerm of %s", a).isNotNegative();
                if (a.to().equals(N2)) {
                    effects.addAll(m.handle(new AppendEntriesResponse(G, N2, N1, 2, true, 6, 0, 0, 0, a.readRound())));
                }
            }
            snapshotSent |= effects.contains(new Effect.SendSnapshot(N3, 0));
        }
        assertThat(snapshotSent).isTrue();
    }
}
