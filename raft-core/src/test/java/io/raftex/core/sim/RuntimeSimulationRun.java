package io.raftex.core.sim;

import io.raftex.core.GroupStatus;
import io.raftex.core.message.InstallSnapshotRequest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One randomized run of the runtime mode: real {@link io.raftex.core.runtime.GroupRuntime}s under the
 * {@link RuntimeNemesis} serving a {@link RuntimeWorkload}, then calm, then the final checks: every member converges,
 * every acknowledged write is applied on every member, no write the runtime called "not carried out" was ever
 * applied anywhere, no answer is of a kind the runtime must not give, and the history is linearizable. Invariants
 * are checked after every event. Any failure names the seed and how to replay it ({@link SoakRuns#replayable}).
 */
final class RuntimeSimulationRun {

    record Summary(long seed, int ops, int unknown, int refused, long elections, int faults, int transfers,
                   int closes, int crashes, long forwardCopies, long virtualMillis, long snapshotChunks,
                   int snapshotsDamaged, int membershipChanges, int finalMembers, int disksLost, int slowDisks,
                   int unsyncedCrashes, int demotions, int lastVoterDemotions) {
    }

    /**
     * One run. Every member takes a snapshot every 5 to 34 applied entries (by seed), sent in chunks of 256 bytes,
     * so that compaction, InstallSnapshot and restarts from snapshots happen throughout.
     */
    static Summary run(long seed, int members, int ops) {
        return SoakRuns.replayable("RuntimeSimulationSoakTest", "raft.sim.runtime.ops", seed, members, ops, () -> {
            RuntimeCluster cluster = new RuntimeCluster(members, seed, Duration.ofMillis(2_500), 5 + seed % 30, 256);
            cluster.membershipChurn = seed % 2 == 0; // half the seeds add and remove members as they go
            cluster.minVoters = seed % 8 == 0 ? 1 : 3; // a quarter of those shrink to one voter
            return runChecked(cluster, ops);
        });
    }

    private static Summary runChecked(RuntimeCluster cluster, int ops) {
        RuntimeWorkload workload = new RuntimeWorkload(cluster, 5, 6, ops);
        RuntimeNemesis nemesis = new RuntimeNemesis(cluster);
        if (!cluster.runUntil(() -> cluster.nodes.stream().allMatch(RuntimeNode::serving), 1_000)) {
            throw new AssertionError("the groups did not start\n  " + cluster.describe());
        }
        // a group shrunk to one voter has no leader whenever that voter is down or cut off: it gets more time
        SoakRuns.serveThenCalm(cluster, workload, nemesis, ops, ops * (cluster.minVoters == 1 ? 400L : 200L) + 60_000);
        // let copies still in flight (forwarded commands held back up to 300 ms, long reordering up to 400 ms)
        // arrive, and whatever they start finish, before deciding what was applied
        cluster.runFor(2_000);
        SoakRuns.awaitConverged(cluster, "members did not converge again");
        checkEveryCopyDurable(cluster);
        if (!workload.unexpected.isEmpty()) {
            throw new AssertionError("answers no correct runtime gives: " + workload.unexpected);
        }
        for (RuntimeNode node : cluster.convergedMembers()) {
            if (node.retired) {
                throw new AssertionError(node.id + " is a member of the final configuration but was closed for good:"
                        + " its addition was answered as refused or not carried out, or its removal as done");
            }
        }
        Map<String, String> state = cluster.node(cluster.leader().orElseThrow()).machine.kv.contents();
        for (RuntimeNode node : cluster.convergedMembers()) {
            if (!node.machine.kv.contents().equals(state)) {
                throw new AssertionError("the state of " + node.id + " differs from the leader's after converging");
            }
        }
        // a member whose state came (partly) from a snapshot did not apply every entry: checked whole just above
        workload.checkAcknowledgedWritesApplied(cluster.invariants,
                cluster.convergedMembers().stream().filter(n -> !n.machine.restored).toList());
        for (Map.Entry<String, String> refused : workload.notCarriedOut.entrySet()) {
            if (cluster.invariants.everApplied(refused.getKey())) {
                throw new AssertionError("write '" + refused.getKey() + "' was answered as not carried out ("
                        + refused.getValue() + ") but was applied");
            }
        }
        workload.checkLinearizable();
        int crashes = cluster.nodes.stream().mapToInt(n -> n.crashes).sum();
        return new Summary(cluster.seed, workload.history().size(), workload.unknownOps, workload.refusedOps,
                cluster.invariants.elections, nemesis.faults, nemesis.transfers, nemesis.closes, crashes,
                cluster.network.forwardCopies, cluster.scheduler.now(),
                cluster.network.sentByType.getOrDefault(InstallSnapshotRequest.class, 0L), nemesis.snapshotsDamaged,
                nemesis.changesDone, cluster.convergedMembers().size(), nemesis.disksLost, nemesis.slowDisks,
                cluster.unsyncedCrashes, nemesis.demotions, nemesis.lastVoterDemotions);
    }

    /**
     * Once calm, every member of the leader's configuration, the leader included, has acknowledged its whole log as
     * durable: a member whose durability reports go unheard (its copies never count) would leave a group that needs
     * it for a quorum unable to commit, although it looks converged.
     */
    private static void checkEveryCopyDurable(RuntimeCluster cluster) {
        RuntimeNode leader = cluster.node(cluster.leader().orElseThrow());
        CompletableFuture<GroupStatus> status = leader.runtime.statusAsync();
        if (!cluster.runUntil(status::isDone, 1_000)) {
            throw new AssertionError("the leader did not report its status\n  " + cluster.describe());
        }
        GroupStatus s = status.join();
        for (GroupStatus.MemberInfo m : s.members()) {
            if (m.matchIndex() != s.lastLogIndex()) {
                throw new AssertionError(m.id() + " holds " + s.lastLogIndex() + " entries of leader " + s.nodeId()
                        + " durably by now, yet the leader counts " + m.matchIndex() + "\n  " + cluster.describe());
            }
        }
    }

    private RuntimeSimulationRun() {
    }
}
