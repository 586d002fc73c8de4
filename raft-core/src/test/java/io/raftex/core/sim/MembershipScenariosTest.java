package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStatus;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.Role;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.VoteRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Membership changes and leadership transfers in the runtime mode: real {@link io.raftex.core.runtime.GroupRuntime}s
 * in virtual time, every invariant checked after every event (quorums counted in the configuration in force on the
 * leader), each scenario ending with every member of the final configuration holding the leader's state. Members added
 * are brand-new nodes whose initial configuration does not include them.
 */
@ExtendWith(QuietRuntimeLogs.ForClass.class)
class MembershipScenariosTest {

    private static final long SEED = Long.getLong("raft.sim.seed", 21L);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(1_500);

    // ------------------------------------------------------------------ growing and shrinking

    @Test
    void growFromThreeToFiveWithPromotionWhileCommandsRun() {
        RuntimeCluster c = cluster(0);
        List<String> acked = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            int n = c.addNode();
            MemberId id = c.ids.get(n);
            CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.PROMOTABLE)));
            acked.addAll(writes(c, 30, "grow" + k)); // commands run while it joins and catches up
            assertThat(c.runUntil(added::isDone, 5_000)).isTrue();
            assertThat(RuntimeCluster.failureOf(added)).isNull();
            assertThat(c.runUntil(() -> leaderConfig(c).isVoter(id), 5_000))
                    .as("%s promoted once caught up\n  %s", id, c.describe()).isTrue();
        }
        converge(c);
        assertThat(leaderConfig(c).voters()).hasSize(5);
        assertSameState(c);
        for (RuntimeNode n : c.nodes) {
            assertThat(n.machine.kv.contents()).as("every acknowledged write on %s", n.id)
                    .containsAllEntriesOf(expected(acked));
        }
        assertThat(elected(c)).as("nobody had to campaign").isEqualTo(1);
    }

    @Test
    void addingAVoterToThreeMakesFourThatNeedThreeCopies() {
        RuntimeCluster c = cluster(0);
        int n = c.addNode();
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.VOTER)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        assertThat(added.join().voters()).hasSize(4);
        // two of the four cut off: no majority of four, nothing commits
        int l = c.leader().orElseThrow();
        List<Integer> others = new ArrayList<>(List.of(0, 1, 2, 3));
        others.remove(Integer.valueOf(l));
        c.network.isolate(c.ids.get(others.get(0)), c.ids);
        c.network.isolate(c.ids.get(others.get(1)), c.ids);
        long before = c.node(l).metrics().commitIndex();
        CompletableFuture<byte[]> f = c.node(l).runtime.command(KvMachine.put("x", "minority"));
        c.runFor(1_000);
        assertThat(f).as("leader and one follower are 2 of 4").isNotDone();
        assertThat(c.node(l).metrics().commitIndex()).isEqualTo(before);
        c.network.heal();
        converge(c);
        assertThat(RuntimeCluster.failureOf(f)).isNull();
    }

    @Test
    void aNewMemberCatchesUpByInstallSnapshotAfterCompaction() {
        RuntimeCluster c = cluster(10);
        writes(c, 120, "before");
        RuntimeNode leader = c.node(c.leader().orElseThrow());
        assertThat(leader.disk.firstIndex()).as("the leader compacted its log").isGreaterThan(50);
        int n = c.addNode();
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.PROMOTABLE)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(added)).isNull();
        assertThat(c.runUntil(() -> leaderConfig(c).isVoter(c.ids.get(n)), 5_000)).isTrue();
        converge(c);
        assertThat(installs(c)).as("InstallSnapshot chunks sent").isGreaterThan(1);
        assertThat(c.node(n).disk.snapshotIndex()).as("the new member's log starts after a snapshot").isPositive();
        assertThat(c.node(n).machine.restored).isTrue();
        assertSameState(c);
    }

    @Test
    void removingTheLeaderWhileCommandsRunLosesNoAcknowledgedCommandAndTheRestElectALeader() {
        RuntimeCluster c = cluster(0);
        List<String> acked = new ArrayList<>(writes(c, 10, "before"));
        int old = c.leader().orElseThrow();
        MemberId oldId = c.ids.get(old);
        long oldTerm = c.node(old).metrics().term();
        CompletableFuture<ClusterConfig> removed = c.node(old).runtime.removeMember(oldId);
        acked.addAll(writes(c, 40, "during"));
        assertThat(c.runUntil(removed::isDone, 5_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(removed)).as("the removal of the leader commits\n  %s", c.describe()).isNull();
        assertThat(removed.join().member(oldId)).isEmpty();
        int now = c.awaitLeader(3_000);
        assertThat(now).isNotEqualTo(old);
        assertThat(c.node(now).metrics().term()).isGreaterThan(oldTerm);
        assertThat(c.node(old).metrics().role()).isNotEqualTo(Role.LEADER);
        c.retire(old);
        acked.addAll(writes(c, 10, "after"));
        converge(c);
        assertThat(leaderConfig(c).voters()).hasSize(2).doesNotContain(oldId);
        for (RuntimeNode n : c.convergedMembers()) {
            assertThat(n.machine.kv.contents()).as("every acknowledged write on %s", n.id)
                    .containsAllEntriesOf(expected(acked));
        }
    }

    @Test
    void aRemovedFollowerThatMissedItsRemovalDoesNotDisruptTheGroup() {
        RuntimeCluster c = cluster(0);
        int l = c.leader().orElseThrow();
        int victim = (l + 1) % 3;
        MemberId victimId = c.ids.get(victim);
        // the victim hears nothing more from the leader: it never learns it was removed
        c.network.hold(m -> m instanceof AppendEntriesRequest && m.to().equals(victimId));
        long term = c.node(l).metrics().term();
        CompletableFuture<ClusterConfig> removed = c.node(l).runtime.removeMember(victimId);
        assertThat(c.runUntil(removed::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(removed)).isNull();
        long preVotes = sent(c, PreVoteRequest.class);
        long votes = sent(c, VoteRequest.class);
        c.runFor(5_000);
        assertThat(sent(c, PreVoteRequest.class)).as("the cut-off member stands in pre-votes").isGreaterThan(preVotes);
        assertThat(sent(c, VoteRequest.class)).as("but never gets to a real election").isEqualTo(votes);
        assertThat(c.leader()).contains(l);
        assertThat(c.node(l).metrics().term()).as("the leader is not deposed").isEqualTo(term);
        CompletableFuture<GroupStatus> asked = c.node(victim).runtime.statusAsync();
        assertThat(c.runUntil(asked::isDone, 1_000)).isTrue();
        GroupStatus victimStatus = asked.join();
        assertThat(victimStatus.members()).as("its own configuration still names it")
                .anyMatch(m -> m.id().equals(victimId.value()));
        assertThat(victimStatus.removal()).as("but the answers to its pre-votes told it it was removed")
                .hasValueSatisfying(r -> {
                    assertThat(r.configIndex()).as("an entry its log never got").isGreaterThan(
                            victimStatus.lastLogIndex());
                    assertThat(r.reportedBy()).isNotEqualTo(victimId.value());
                });
        assertThat(victimStatus.isMember()).isFalse();
        writes(c, 5, "still");
        c.network.holdNothing();
        c.network.held.clear();
        c.retire(victim);
        converge(c);
    }

    // ------------------------------------------------------------------ restarts and newcomers

    @Test
    void membersRestartedAfterMembershipChangesKnowTheMembers() {
        RuntimeCluster c = cluster(0);
        int n4 = c.addNode();
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n4, Membership.VOTER)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        int l = c.leader().orElseThrow();
        int gone = (l + 1) % 3;
        CompletableFuture<ClusterConfig> removed = c.node(l).runtime.removeMember(c.ids.get(gone));
        assertThat(c.runUntil(removed::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(removed)).isNull();
        c.retire(gone);
        writes(c, 10, "changed");
        converge(c);
        List<String> expectedIds = leaderConfig(c).ids().stream().map(MemberId::value).sorted().toList();
        for (int i : c.currentMembers()) {
            c.node(i).crash();
        }
        for (int i : c.currentMembers()) {
            c.start(i);
        }
        for (int i : c.currentMembers()) {
            assertThat(memberIds(c, i)).as("%s after a restart", c.ids.get(i)).isEqualTo(expectedIds);
        }
        converge(c);
        writes(c, 5, "after");
        converge(c);
        assertSameState(c);
    }

    @Test
    void aFollowerRestartedRightAfterAppendingAnUncommittedConfigurationKeepsIt() {
        RuntimeCluster c = cluster(0);
        int l = c.leader().orElseThrow();
        int f = (l + 1) % 3;
        RuntimeNode leader = c.node(l);
        RuntimeNode follower = c.node(f);
        int n4 = c.addNode();
        MemberId id4 = c.ids.get(n4);
        // nothing the followers acknowledge reaches the leader: the configuration entry cannot commit
        c.network.hold(m -> m instanceof AppendEntriesResponse && m.to().equals(leader.id));
        CompletableFuture<ClusterConfig> added = leader.runtime.addMember(c.memberOf(n4, Membership.VOTER));
        assertThat(c.runUntil(() -> {
            long last = follower.disk.lastIndex();
            return Invariants.configInForce(follower).member(id4).isPresent()
                    && follower.disk.durableTermAt(last) == follower.disk.termAt(last);
        }, 1_000)).as("the follower holds the configuration entry durably").isTrue();
        assertThat(added).isNotDone();
        c.crash(f);
        c.start(f);
        assertThat(c.runUntil(follower::serving, 1_000)).isTrue();
        assertThat(memberIds(c, f)).as("the uncommitted configuration survives the restart").contains(id4.value());
        assertThat(follower.metrics().commitIndex()).isLessThan(follower.metrics().lastLogIndex());
        c.network.holdNothing();
        c.network.held.clear();
        assertThat(c.runUntil(added::isDone, 5_000)).isTrue();
        writes(c, 5, "after");
        converge(c);
        assertThat(leaderConfig(c).voters()).contains(id4);
        assertSameState(c);
    }

    @Test
    void aNodeNotInTheInitialConfigurationWaitsWithoutCampaigningUntilAdded() {
        RuntimeCluster c = cluster(0);
        writes(c, 5, "early");
        int n = c.addNode();
        RuntimeNode newcomer = c.node(n);
        assertThat(c.runUntil(newcomer::serving, 1_000)).isTrue();
        long preVotes = sent(c, PreVoteRequest.class);
        c.runFor(5_000);
        assertThat(newcomer.metrics().electionsStarted()).isZero();
        assertThat(newcomer.metrics().term()).isZero();
        assertThat(newcomer.metrics().role()).isEqualTo(Role.FOLLOWER);
        assertThat(sent(c, PreVoteRequest.class)).as("nobody stood for election").isEqualTo(preVotes);
        byte[] early = KvMachine.put("x", "too-early");
        CompletableFuture<byte[]> refused = newcomer.runtime.command(early);
        assertThat(c.runUntil(refused::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(refused)).as("it knows no leader: not carried out").isInstanceOf(NoLeaderException.class);
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.PROMOTABLE)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        converge(c);
        assertThat(newcomer.metrics().electionsStarted()).isZero();
        assertThat(newcomer.machine.kv.contents()).isEqualTo(c.node(c.leader().orElseThrow()).machine.kv.contents());
        assertThat(c.invariants.everApplied(text(early))).isFalse();
    }

    @Test
    void refusedChangesAnswerWithTheReason() {
        RuntimeCluster c = cluster(0);
        int l = c.leader().orElseThrow();
        RuntimeNode leader = c.node(l);
        CompletableFuture<ClusterConfig> unknown = leader.runtime.removeMember(MemberId.of("n9"));
        CompletableFuture<ClusterConfig> conflict = leader.runtime.addMember(
                new Member(c.ids.get((l + 1) % 3), "sim://elsewhere", Membership.VOTER));
        assertThat(c.runUntil(() -> unknown.isDone() && conflict.isDone(), 1_000)).isTrue();
        assertThat(reason(unknown)).isEqualTo(MembershipChangeException.Reason.UNKNOWN_MEMBER);
        assertThat(reason(conflict)).isEqualTo(MembershipChangeException.Reason.CONFLICT);
        // a second change while the first is uncommitted: acknowledgements held back so that it stays so
        int n = c.addNode();
        int m = c.addNode();
        c.network.hold(msg -> msg instanceof AppendEntriesResponse && msg.to().equals(leader.id));
        CompletableFuture<ClusterConfig> first = leader.runtime.addMember(c.memberOf(n, Membership.VOTER));
        c.runFor(20);
        CompletableFuture<ClusterConfig> second = leader.runtime.addMember(c.memberOf(m, Membership.VOTER));
        assertThat(c.runUntil(second::isDone, 1_000)).isTrue();
        assertThat(reason(second)).isEqualTo(MembershipChangeException.Reason.IN_PROGRESS);
        CompletableFuture<ClusterConfig> again = leader.runtime.addMember(c.memberOf(n, Membership.VOTER));
        c.network.holdNothing();
        c.network.held.clear();
        assertThat(c.runUntil(() -> first.isDone() && again.isDone(), 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(first)).isNull();
        assertThat(RuntimeCluster.failureOf(again)).as("asking again for a change in place succeeds").isNull();
        c.retire(m);
        converge(c);
    }

    @Test
    void makingTheOnlyVoterANonVoterIsRefusedAsAConflictAndItsGroupGoesOn() {
        RuntimeCluster c = new RuntimeCluster(1, SEED, COMMAND_TIMEOUT, 0, 64);
        assertThat(c.runUntil(c::converged, 3_000)).as("n1 leads alone\n  %s", c.describe()).isTrue();
        int n = c.addNode();
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.NON_VOTER)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(added)).isNull();
        converge(c);
        Member demoted = new Member(c.ids.get(0), "sim://" + c.ids.get(0), Membership.NON_VOTER);
        // asked of the non-voter, which forwards it, and of the leader itself
        CompletableFuture<ClusterConfig> forwarded = c.node(n).runtime.addMember(demoted);
        assertThat(c.runUntil(forwarded::isDone, 1_000)).isTrue();
        assertThat(reason(forwarded)).isEqualTo(MembershipChangeException.Reason.CONFLICT);
        CompletableFuture<ClusterConfig> direct = c.node(0).runtime.addMember(demoted);
        assertThat(c.runUntil(direct::isDone, 1_000)).isTrue();
        assertThat(reason(direct)).isEqualTo(MembershipChangeException.Reason.CONFLICT);
        assertThat(RuntimeCluster.failureOf(direct)).hasMessageContaining("last voter");
        // (a group that stopped by itself fails the run in RuntimeCluster.check)
        assertThat(writes(c, 3, "after")).hasSize(3);
        assertThat(leaderConfig(c).voters()).containsExactly(c.ids.get(0));
        converge(c);
    }

    @Test
    void aChangeWhoseEntryASnapshotCoversIsNotAppliedAgainAfterAnotherOperatorReversedIt() {
        RuntimeCluster c = new RuntimeCluster(3, SEED, Duration.ofSeconds(60), 10, 64);
        converge(c);
        int n = c.addNode();
        MemberId n4 = c.ids.get(n);
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.VOTER)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(added)).isNull();
        converge(c);
        int l = c.leader().orElseThrow();
        RuntimeNode f = c.node((l + 1) % 3);
        // f hears nothing from the leader but the answers to its requests: it never learns its change committed
        c.network.hold(m -> m instanceof AppendEntriesRequest && m.to().equals(f.id)
                || m instanceof InstallSnapshotRequest && m.to().equals(f.id));
        CompletableFuture<ClusterConfig> removed = f.runtime.removeMember(n4);
        assertThat(c.runUntil(() -> !leaderConfig(c).ids().contains(n4), 2_000)).as("n4 removed").isTrue();
        assertThat(c.runUntil(() -> c.node(l).metrics().commitIndex() == c.node(l).metrics().lastLogIndex(), 2_000))
                .isTrue();
        // another operator adds n4 back, and the leader's snapshots cover both entries
        CompletableFuture<ClusterConfig> back = c.node(l).runtime.addMember(c.memberOf(n, Membership.VOTER));
        assertThat(c.runUntil(back::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(back)).isNull();
        writes(c, 40, "after");
        assertThat(c.node(l).disk.firstIndex()).as("the leader compacted past both changes").isGreaterThan(20);
        assertThat(removed).as("f's change is still waiting").isNotDone();
        c.network.holdNothing();
        c.network.held.clear();
        assertThat(c.runUntil(removed::isDone, 10_000)).as("answered\n  %s", c.describe()).isTrue();
        converge(c);
        assertThat(leaderConfig(c).ids()).as("n4, added back after the removal, is not removed a second time")
                .contains(n4);
        assertThat(RuntimeCluster.failureOf(removed)).as("the removal cannot be told apart from one reversed since: outcome unknown")
                .isInstanceOf(CommandTimeoutException.class);
    }

    // ------------------------------------------------------------------ leadership transfer through the runtime

    @Test
    void transferToAnUpToDateVoterCompletesAndToSelfAtOnce() {
        RuntimeCluster c = cluster(0);
        writes(c, 5, "t");
        int l = c.leader().orElseThrow();
        CompletableFuture<Void> self = c.node(l).runtime.transferLeadership(c.ids.get(l));
        assertThat(c.runUntil(self::isDone, 100)).isTrue();
        assertThat(RuntimeCluster.failureOf(self)).isNull();
        int target = (l + 1) % 3;
        CompletableFuture<Void> f = c.node(l).runtime.transferLeadership(c.ids.get(target));
        assertThat(c.runUntil(f::isDone, 1_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(f)).isNull();
        assertThat(c.awaitLeader(1_000)).isEqualTo(target);
        writes(c, 5, "after");
        converge(c);
    }

    @Test
    void transferToANonVoterOrANonMemberFailsFast() {
        RuntimeCluster c = cluster(0);
        int n = c.addNode();
        CompletableFuture<ClusterConfig> added = change(c, g -> g.addMember(c.memberOf(n, Membership.NON_VOTER)));
        assertThat(c.runUntil(added::isDone, 3_000)).isTrue();
        int l = c.leader().orElseThrow();
        CompletableFuture<Void> toLearner = c.node(l).runtime.transferLeadership(c.ids.get(n));
        CompletableFuture<Void> toNobody = c.node(l).runtime.transferLeadership(MemberId.of("n9"));
        assertThat(c.runUntil(() -> toLearner.isDone() && toNobody.isDone(), 50)).isTrue();
        assertThat(reason(toLearner)).isEqualTo(MembershipChangeException.Reason.CONFLICT);
        assertThat(reason(toNobody)).isEqualTo(MembershipChangeException.Reason.UNKNOWN_MEMBER);
        assertThat(c.leader()).contains(l);
        converge(c);
    }

    @Test
    void transferToAnUnreachableVoterGivesUpAfterAnElectionTimeoutAndTheLeaderTakesCommandsAgain() {
        RuntimeCluster c = cluster(0);
        writes(c, 3, "t");
        int l = c.leader().orElseThrow();
        int target = (l + 1) % 3;
        c.network.isolate(c.ids.get(target), c.ids);
        writes(c, 3, "behind"); // the target is behind now
        long start = c.scheduler.now();
        CompletableFuture<Void> f = c.node(l).runtime.transferLeadership(c.ids.get(target));
        assertThat(c.runUntil(f::isDone, 3_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(f)).isInstanceOf(CommandTimeoutException.class);
        long election = c.protocolConfig.electionTimeoutTicks() * (long) c.tickMillis;
        assertThat(c.scheduler.now() - start).as("about one election timeout").isBetween(election, 2 * election);
        assertThat(c.leader()).contains(l);
        CompletableFuture<byte[]> cmd = c.node(l).runtime.command(KvMachine.put("x", "after-transfer"));
        assertThat(c.runUntil(cmd::isDone, 1_000)).isTrue();
        assertThat(RuntimeCluster.failureOf(cmd)).isNull();
        c.network.heal();
        converge(c);
    }

    @Test
    void transferToAFollowerBehindTheCompactionPointCompletesAfterItsSnapshot() {
        RuntimeCluster c = cluster(10);
        int l = c.leader().orElseThrow();
        int target = (l + 1) % 3;
        c.network.isolate(c.ids.get(target), c.ids);
        writes(c, 120, "far");
        c.network.heal();
        long sent = installs(c);
        CompletableFuture<Void> f = c.node(c.leader().orElseThrow()).runtime.transferLeadership(c.ids.get(target));
        assertThat(c.runUntil(f::isDone, 5_000)).isTrue();
        if (RuntimeCluster.failureOf(f) == null) {
            assertThat(c.awaitLeader(1_000)).isEqualTo(target);
            assertThat(installs(c)).isGreaterThan(sent);
        } else {
            // the snapshot may take longer than one election timeout: then the transfer is abandoned, cleanly
            assertThat(RuntimeCluster.failureOf(f)).isInstanceOf(CommandTimeoutException.class);
        }
        converge(c);
        assertSameState(c);
    }

    // ------------------------------------------------------------------ helpers

    private static RuntimeCluster cluster(long snapshotInterval) {
        RuntimeCluster c = new RuntimeCluster(3, SEED, COMMAND_TIMEOUT, snapshotInterval, 64);
        assertThat(c.runUntil(c::converged, 3_000)).as("a leader, followed by all\n  %s", c.describe()).isTrue();
        return c;
    }

    /** Asks the current leader for a membership change, again after a retryable refusal, until it is answered. */
    private static CompletableFuture<ClusterConfig> change(RuntimeCluster c,
            java.util.function.Function<io.raftex.core.RaftGroup<byte[], byte[]>, CompletableFuture<ClusterConfig>> ask) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int l = c.awaitLeader(5_000);
            CompletableFuture<ClusterConfig> f = ask.apply(c.node(l).runtime);
            c.runUntil(() -> f.isDone() || c.leader().isEmpty(), 200);
            Throwable t = RuntimeCluster.failureOf(f);
            if (!(t instanceof MembershipChangeException e && e.reason() == MembershipChangeException.Reason.IN_PROGRESS)) {
                return f;
            }
            c.runFor(100);
        }
        throw new AssertionError("change not taken\n  " + c.describe());
    }

    private static ClusterConfig leaderConfig(RuntimeCluster c) {
        return c.configOf(c.awaitLeader(5_000));
    }

    /** The member ids as the runtime of member {@code i} reports them (through statusAsync, never status()). */
    private static List<String> memberIds(RuntimeCluster c, int i) {
        assertThat(c.runUntil(c.node(i)::serving, 1_000)).isTrue();
        CompletableFuture<GroupStatus> s = c.node(i).runtime.statusAsync();
        assertThat(c.runUntil(s::isDone, 1_000)).isTrue();
        return s.join().members().stream().map(GroupStatus.MemberInfo::id).sorted().toList();
    }

    private static long elected(RuntimeCluster c) {
        return c.invariants.elections;
    }

    /**
     * Writes {@code n} values to keys of their own through whichever member leads, each acknowledged before the next;
     * returns the payload texts (key=value).
     */
    private static List<String> writes(RuntimeCluster c, int n, String prefix) {
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = prefix + "-k" + i;
            String value = prefix + "-" + i;
            byte[] payload = KvMachine.put(key, value);
            boolean done = false;
            for (int attempt = 0; attempt < 20 && !done; attempt++) {
                int l = c.awaitLeader(5_000);
                CompletableFuture<byte[]> f = c.node(l).runtime.command(payload);
                assertThat(c.runUntil(f::isDone, 5_000)).as("write %s answered\n  %s", value, c.describe()).isTrue();
                done = RuntimeCluster.failureOf(f) == null;
            }
            assertThat(done).as("write %s acknowledged within 20 attempts\n  %s", value, c.describe()).isTrue();
            acked.add(key + "=" + value);
        }
        return acked;
    }

    private static Map<String, String> expected(List<String> acked) {
        Map<String, String> m = new java.util.HashMap<>();
        for (String a : acked) {
            int eq = a.indexOf('=');
            m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return m;
    }

    private static void converge(RuntimeCluster c) {
        assertThat(c.runUntil(c::converged, 20_000)).as("converged\n  %s", c.describe()).isTrue();
    }

    private static void assertSameState(RuntimeCluster c) {
        Map<String, String> leader = c.node(c.leader().orElseThrow()).machine.kv.contents();
        assertThat(leader).isNotEmpty();
        for (RuntimeNode n : c.convergedMembers()) {
            assertThat(n.machine.kv.contents()).as("state of %s", n.id).isEqualTo(leader);
        }
    }

    private static long installs(RuntimeCluster c) {
        return sent(c, InstallSnapshotRequest.class);
    }

    private static long sent(RuntimeCluster c, Class<?> type) {
        return c.network.sentByType.getOrDefault(type, 0L);
    }

    private static MembershipChangeException.Reason reason(CompletableFuture<?> f) {
        Throwable t = RuntimeCluster.failureOf(f);
        assertThat(t).isInstanceOf(MembershipChangeException.class);
        return ((MembershipChangeException) t).reason();
    }

    private static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
