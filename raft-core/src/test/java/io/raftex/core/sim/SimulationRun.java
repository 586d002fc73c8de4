package io.raftex.core.sim;

import io.raftex.core.sim.check.CheckResult;
import io.raftex.core.sim.check.KvModel;
import io.raftex.core.sim.check.LinearizabilityChecker;

import java.time.Duration;

/**
 * One randomized simulation: a cluster under the nemesis serving a client workload, then calm, then the final
 * checks (every member converges, every acknowledged write is applied everywhere, the history is linearizable).
 * Any failure names the seed; {@code -Draft.sim.seed=N} replays it.
 */
final class SimulationRun {

    record Summary(long seed, int ops, int unknown, long elections, int faults, long messages, long virtualMillis) {
    }

    static Summary run(long seed, int members, int ops) {
        SimCluster cluster = new SimCluster(members, seed);
        try {
            return runChecked(cluster, ops);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("simulation failed; replay with -Draft.sim.seed=" + seed + " (" + members
                    + " members, " + ops + " ops): " + e.getMessage(), e);
        }
    }

    private static Summary runChecked(SimCluster cluster, int ops) {
        SimWorkload workload = new SimWorkload(cluster, 5, 6, ops);
        Nemesis nemesis = new Nemesis(cluster);
        nemesis.start();
        workload.start();
        long budget = ops * 200L + 60_000;
        if (!cluster.runUntil(workload::done, budget)) {
            throw new AssertionError("workload stalled after " + workload.finishedOps() + " of " + ops
                    + " ops\n  " + cluster.describe());
        }
        nemesis.calm();
        if (!cluster.runUntil(() -> converged(cluster), 30_000)) {
            throw new AssertionError("members did not converge after the faults stopped\n  " + cluster.describe());
        }
        for (SimNode node : cluster.nodes) {
            for (String write : workload.acknowledgedWrites) {
                if (!cluster.invariants.appliedCommands(node.id).contains(write)) {
                    throw new AssertionError("acknowledged write " + write + " is not applied on " + node.id);
                }
            }
        }
        CheckResult result = LinearizabilityChecker.check(new KvModel(), workload.history(), Duration.ofSeconds(60));
        if (!result.isOk()) {
            throw new AssertionError("history of " + workload.history().size() + " ops is not linearizable: "
                    + result);
        }
        return new Summary(cluster.seed, workload.history().size(), workload.unknownOps, cluster.invariants.elections,
                nemesis.faults, cluster.network.sent, cluster.scheduler.now());
    }

    /** One leader, and every member has applied the whole committed log, which ends in the leader's term. */
    static boolean converged(SimCluster cluster) {
        var leader = cluster.leader();
        if (leader.isEmpty()) {
            return false;
        }
        SimNode l = cluster.node(leader.get());
        long commit = l.member.commitIndex();
        if (commit < l.disk.lastIndex()) {
            return false;
        }
        for (SimNode n : cluster.nodes) {
            if (!n.up || n.sessions.lastApplied() != commit || !n.member.leader().equals(java.util.Optional.of(l.id))) {
                return false;
            }
        }
        return true;
    }

    private SimulationRun() {
    }
}
