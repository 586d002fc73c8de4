package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.GroupStoppedException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The {@link Nemesis} of the runtime mode: every fault of the protocol mode (partitions of every shape, crashes with
 * restart, an unreliable network), plus what only a runtime can suffer:
 *
 * <ul>
 *   <li>a leadership transfer, asked of the leader's runtime, to a random other member;</li>
 *   <li>a graceful stop of a member's group ({@link io.raftex.core.runtime.GroupRuntime#close()}), which answers
 *       what is pending, then a new runtime on the same disk later; half the time the member stopped is the
 *       leader;</li>
 *   <li>a crash of the leader's runtime (nothing queued runs, nobody is answered), restarted later;</li>
 *   <li>forwarded commands copied once or twice more with delays of up to 300 ms, so that a leader may append a
 *       command twice, or append one copy and turn another down, and the answers overtake each other;</li>
 *   <li>with snapshots on: a snapshot asked of a random member, and a crash whose member finds its newest
 *       snapshot damaged when it restarts (it falls back to an older one and its log, or gets the leader's);</li>
 *   <li>with membership churn on: a membership change asked of a random member of the group, one at a time from
 *       here: the addition of a brand-new node (started with the leader's configuration, which does not name it, as
 *       a promotable member, a voter or now and then a non-voter) while the group has fewer than six voters, or the
 *       removal of a random member (the leader a third of the time) while it has more than three. A removed node
 *       is closed for good a little later; a node whose addition was refused or "not carried out" is closed for
 *       good as well, so an untrue refusal leaves a voter missing and the run fails to converge. A quarter of
 *       the shrinking steps demote a voter to a non-voter instead; a quarter of the seeds shrink down to one voter,
 *       and then ask, now and then, to make that last voter a non-voter, which must be refused. Of two voters, the
 *       leader is never the one removed or demoted (it could leave no electable voter);</li>
 *   <li>a slow disk: a member's writes wait up to 400 ms to be synced for a while, so it applies and snapshots
 *       entries its log has not synced;</li>
 *   <li>crashes at the worst moment (a quarter of the chances, while the faults run): a member dies right after it
 *       wrote a snapshot beyond its synced log, or right after a truncation that dropped a configuration entry and
 *       is not synced yet (its configuration list shrank at once);</li>
 *   <li>the loss of a member's disk: it is killed, its disk and snapshots are replaced by an empty disk with a new
 *       incarnation (a volume recreated) and it restarts under the same id; only while the leader's configuration is
 *       committed and its voters bound to their disks' current incarnations, the victim left out, are a quorum, so
 *       that one disk is lost at a time (the loss of a majority's disks is beyond what any Raft group can survive); half the time the leader crashes
 *       at the same moment, as in the scenario of docs/operations.md ("A node lost its volume"). The invariants and the workload's
 *       checks then prove that the emptied member never counted toward a quorum with what it had lost.</li>
 * </ul>
 */
final class RuntimeNemesis extends Nemesis {

    private final RuntimeCluster rc;
    int transfers;
    int closes;
    int leaderCrashes;
    int forwardChaos;
    int snapshotsAsked;
    int snapshotsDamaged;
    int adds;
    int removes;
    int changesDone;
    int disksLost;
    int slowDisks;
    int demotions;
    int lastVoterDemotions;
    private boolean changePending;

    RuntimeNemesis(RuntimeCluster cluster) {
        super(cluster);
        this.rc = cluster;
    }

    @Override
    void start() {
        rc.unsyncedCrashChance = 0.25;
        super.start();
    }

    @Override
    void calm() {
        rc.unsyncedCrashChance = 0;
        for (RuntimeNode n : rc.nodes) {
            n.slowDiskUntil = 0;
        }
        super.calm();
    }

    @Override
    protected int extraFaultKinds() {
        return (rc.membershipChurn ? 8 : rc.snapshotInterval > 0 ? 6 : 4) + 1; // the last: a lost disk
    }

    @Override
    protected void extraFault(int kind) {
        if (kind == extraFaultKinds() - 1) {
            loseDisk();
            return;
        }
        switch (kind) {
            case 0 -> transferLeadership();
            case 1 -> closeAndRestart();
            case 2 -> crashLeader();
            case 4 -> askForSnapshot();
            case 5 -> crashWithDamagedSnapshot();
            case 6 -> changeMembership();
            case 7 -> slowDisk();
            default -> {
                forwardChaos++;
                rc.network.forwardDuplicateRate = s.random.nextBoolean() ? 0.3 : 0;
            }
        }
    }

    private void transferLeadership() {
        Optional<Integer> leader = rc.leader();
        if (leader.isEmpty()) {
            return;
        }
        List<MemberId> others = new ArrayList<>(rc.ids);
        others.remove(rc.ids.get(leader.get()));
        MemberId target = others.get(s.random.nextInt(others.size()));
        transfers++;
        // the answer is not checked: a transfer may fail (target behind, partitioned) and the leader then carries on
        rc.node(leader.get()).runtime.transferLeadership(target);
    }

    private void closeAndRestart() {
        Optional<Integer> leader = rc.leader();
        int victim = leader.isPresent() && s.random.nextBoolean() ? leader.get() : s.random.nextInt(rc.ids.size());
        RuntimeNode node = rc.node(victim);
        if (!node.up) {
            return;
        }
        closes++;
        rc.close(victim);
        rc.restartLater(victim);
    }

    private void crashLeader() {
        Optional<Integer> leader = rc.leader();
        if (leader.isEmpty()) {
            return;
        }
        leaderCrashes++;
        rc.crash(leader.get());
        rc.restartLater(leader.get());
    }

    private void askForSnapshot() {
        RuntimeNode node = rc.node(s.random.nextInt(rc.ids.size()));
        if (node.serving()) {
            snapshotsAsked++;
            node.runtime.snapshot(); // may fail (nothing applied yet); the group goes on either way
        }
    }

    private void crashWithDamagedSnapshot() {
        int victim = s.random.nextInt(rc.ids.size());
        RuntimeNode node = rc.node(victim);
        if (!node.up || node.snapshotDisk.list().isEmpty()) {
            return;
        }
        rc.crash(victim);
        snapshotsDamaged++;
        node.snapshotDisk.corrupt(node.snapshotDisk.list().get(0).index());
        rc.restartLater(victim);
    }

    private void loseDisk() {
        Optional<Integer> leader = rc.leader();
        if (leader.isEmpty()) {
            return;
        }
        RuntimeNode l = rc.node(leader.get());
        List<io.raftex.core.log.ConfigEntry> history = Invariants.configHistory(l);
        if (history.get(history.size() - 1).index() > l.metrics().commitIndex()) {
            return; // a change is under way: wait until it is committed
        }
        ClusterConfig config = history.get(history.size() - 1).config();
        // one disk at a time: the voters bound to their disk's current incarnation, the victim left out, must still
        // be a quorum (a member still rejoining after an earlier loss is not one of them)
        List<Integer> victims = new ArrayList<>();
        for (MemberId candidate : config.ids()) {
            int bound = 0;
            for (io.raftex.core.Member m : config.members()) {
                if (m.membership().isVoter() && !m.id().equals(candidate)
                        && m.incarnation() == rc.node(rc.indexOf(m.id())).diskIncarnation) {
                    bound++;
                }
            }
            if (bound >= config.quorum()) {
                victims.add(rc.indexOf(candidate));
            }
        }
        if (victims.isEmpty()) {
            return;
        }
        int victim = victims.get(s.random.nextInt(victims.size()));
        RuntimeNode node = rc.node(victim);
        if (node.retired) {
            return;
        }
        disksLost++;
        node.crash();
        // it comes back with raft.members naming the current members (as a deployment keeps it), so that it can
        // answer whichever of them leads
        List<io.raftex.core.Member> current = new ArrayList<>();
        for (io.raftex.core.Member m : config.members()) {
            current.add(new io.raftex.core.Member(m.id(), m.address(), m.membership()));
        }
        node.wipe(new io.raftex.core.log.PersistentState(0, Optional.empty(), new ClusterConfig(current)));
        rc.restartLater(victim);
        if (victim != leader.get() && s.random.nextBoolean()) {
            // and the leader dies too: the survivors may include a member that lacks what the leader and the
            // emptied member acknowledged, which must not be elected with the emptied member's vote
            rc.crash(leader.get());
            rc.restartLater(leader.get());
        }
    }

    /**
     * A member's disk turns slow for a while: writes wait up to hundreds of milliseconds to be synced, so it applies
     * and snapshots entries its log has not synced, and truncations stay unsynced long enough to crash between.
     */
    private void slowDisk() {
        RuntimeNode node = rc.node(s.random.nextInt(rc.ids.size()));
        slowDisks++;
        node.slowDiskMaxDelay = s.between(50, 400);
        node.slowDiskUntil = s.now() + s.between(200, 2_000);
    }

    private void changeMembership() {
        Optional<Integer> leader = rc.leader();
        if (leader.isEmpty() || changePending) {
            return;
        }
        ClusterConfig config = rc.configOf(leader.get());
        int voters = config.voters().size();
        List<RuntimeNode> serving = config.ids().stream().map(id -> rc.node(rc.indexOf(id)))
                .filter(RuntimeNode::serving).toList();
        if (serving.isEmpty()) {
            return;
        }
        RuntimeNode asked = serving.get(s.random.nextInt(serving.size()));
        if (voters == 1 && s.random.nextBoolean()) {
            // making the last voter a non-voter must be refused, and its group go on
            lastVoterDemotions++;
            MemberId only = config.voters().iterator().next();
            changePending = true;
            asked.runtime.addMember(rc.memberOf(rc.indexOf(only), Membership.NON_VOTER)).whenComplete((c, t) ->
                    s.after(1, () -> {
                        changePending = false;
                        if (t == null) {
                            throw rc.invariants.violation("making " + only + ", the only voter, a non-voter was"
                                    + " accepted: " + c);
                        }
                    }));
            return;
        }
        boolean add = voters <= rc.minVoters || (voters < 6 && config.ids().size() < 7 && s.random.nextBoolean());
        changePending = true;
        if (!add && s.random.nextInt(4) == 0) {
            // demote a voter instead of removing it: it stays, without a vote
            demotions++;
            List<MemberId> voterIds = new ArrayList<>(config.voters());
            voterIds.sort(Comparator.comparing(MemberId::value));
            if (voters == 2) {
                voterIds.remove(rc.ids.get(leader.get())); // see the removal below
            }
            MemberId victim = voterIds.get(s.random.nextInt(voterIds.size()));
            asked.runtime.addMember(rc.memberOf(rc.indexOf(victim), Membership.NON_VOTER)).whenComplete((c, t) ->
                    s.after(s.between(1, 1_000), () -> {
                        changePending = false;
                        if (RuntimeCluster.cause(t) == null) {
                            changesDone++;
                        }
                    }));
            return;
        }
        if (add) {
            adds++;
            int n = rc.addNode(config);
            int dice = s.random.nextInt(10);
            Membership kind = dice < 6 ? Membership.PROMOTABLE : dice < 9 ? Membership.VOTER : Membership.NON_VOTER;
            asked.runtime.addMember(rc.memberOf(n, kind)).whenComplete((c, t) -> s.after(1, () -> {
                changePending = false;
                Throwable e = RuntimeCluster.cause(t);
                if (e == null) {
                    changesDone++;
                } else if (e instanceof MembershipChangeException || e instanceof NoLeaderException
                        || e instanceof GroupStoppedException) {
                    rc.retire(n); // not carried out: the group must not need it
                }
            }));
        } else {
            removes++;
            List<MemberId> members = new ArrayList<>(config.ids());
            if (voters == 2) {
                // the leader of two voters that removes or demotes itself can leave the group with no electable
                // voter: the other lacks the entry, and needs the vote of the leader, whose log is longer
                members.remove(rc.ids.get(leader.get()));
            }
            MemberId victim = voters > 2 && s.random.nextInt(3) == 0 ? rc.ids.get(leader.get())
                    : members.get(s.random.nextInt(members.size()));
            asked.runtime.removeMember(victim).whenComplete((c, t) -> s.after(s.between(1, 1_000), () -> {
                changePending = false;
                if (RuntimeCluster.cause(t) == null) {
                    changesDone++;
                    rc.retire(rc.indexOf(victim));
                }
            }));
        }
    }
}
