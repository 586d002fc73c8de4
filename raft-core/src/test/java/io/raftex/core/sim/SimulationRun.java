package io.raftex.core.sim;

/**
 * One randomized run of the protocol mode: a {@link SimCluster} under the {@link Nemesis} serving a
 * {@link SimWorkload}, then calm, then the final checks (every member converges, every acknowledged write is
 * applied everywhere, the history is linearizable). Invariants are checked as events happen. Any failure names the
 * seed and how to replay it ({@link SoakRuns#replayable}).
 */
final class SimulationRun {

    record Summary(long seed, int ops, int unknown, long elections, int faults, long messages, long virtualMillis) {
    }

    static Summary run(long seed, int members, int ops) {
        return SoakRuns.replayable("SimulationSoakTest", "raft.sim.ops", seed, members, ops,
                () -> runChecked(new SimCluster(members, seed), ops));
    }

    private static Summary runChecked(SimCluster cluster, int ops) {
        SimWorkload workload = new SimWorkload(cluster, 5, 6, ops);
        Nemesis nemesis = new Nemesis(cluster);
        SoakRuns.serveThenCalm(cluster, workload, nemesis, ops, ops * 200L + 60_000);
        // no snapshots in this mode: every member applied every entry itself
        workload.checkAcknowledgedWritesApplied(cluster.invariants, cluster.nodes);
        workload.checkLinearizable();
        return new Summary(cluster.seed, workload.history().size(), workload.unknownOps, cluster.invariants.elections,
                nemesis.faults, cluster.network.sent, cluster.scheduler.now());
    }

    private SimulationRun() {
    }
}
