package io.raftex.core.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized soak of the protocol mode: many seeds, each a few thousand client operations under random faults,
 * with every invariant checked as it runs and the history checked for linearizability at the end.
 *
 * <p>{@code -Draft.sim.seeds=N} and {@code -Draft.sim.ops=M} set the size (CI: 500 × 2,000; {@code -Psoak} runs
 * far more); {@code -Draft.sim.seed=S} replays one seed.
 */
class SimulationSoakTest {

    @Test
    void randomizedRunsKeepEveryInvariant() {
        int ops = Integer.getInteger("raft.sim.ops", 2_000);
        SoakRuns.Result<SimulationRun.Summary> r = SoakRuns.runAll(SoakRuns.seeds("raft.sim.seeds", 500),
                seed -> SimulationRun.run(seed, SoakRuns.members(seed), ops));
        long totalOps = r.sum(SimulationRun.Summary::ops);
        System.out.printf("simulation soak: %d seeds x %d ops: %d ops checked (%d unknown), %d elections, %d faults,"
                        + " %d failures%n", r.seeds().length, ops, totalOps, r.sum(SimulationRun.Summary::unknown),
                r.sum(SimulationRun.Summary::elections), r.sum(SimulationRun.Summary::faults), r.failures().size());
        r.assertNoFailures();
        assertThat(totalOps).as("operations checked").isGreaterThanOrEqualTo((long) r.seeds().length * ops * 9 / 10);
    }
}
