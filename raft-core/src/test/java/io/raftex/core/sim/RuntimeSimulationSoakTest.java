package io.raftex.core.sim;

import org.junit.jupiter.api.Test;

import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized soak of the runtime mode: the real {@link io.raftex.core.runtime.GroupRuntime} on every member,
 * many seeds of client operations under the {@link RuntimeNemesis}, every invariant checked as it runs, the
 * runtime's answers and the history checked at the end (see {@link RuntimeSimulationRun}).
 *
 * <p>{@code -Draft.sim.runtime.seeds=N} and {@code -Draft.sim.runtime.ops=M} set the size (CI: 240 × 2,000;
 * {@code -Psoak} runs 4,000 × 5,000); {@code -Draft.sim.seed=S} replays one seed.
 */
class RuntimeSimulationSoakTest {

    @Test
    void randomizedRuntimeRunsKeepEveryInvariantAndAnswerTruthfully() {
        int ops = Integer.getInteger("raft.sim.runtime.ops", 2_000);
        SoakRuns.Result<RuntimeSimulationRun.Summary> r;
        try (QuietRuntimeLogs quiet = new QuietRuntimeLogs()) {
            r = SoakRuns.runAll(SoakRuns.seeds("raft.sim.runtime.seeds", 240),
                    seed -> RuntimeSimulationRun.run(seed, SoakRuns.members(seed), ops));
        }
        long totalOps = r.sum(RuntimeSimulationRun.Summary::ops);
        System.out.printf("runtime simulation soak: %d seeds x %d ops: %d ops checked (%d unknown, %d refused), "
                        + "%d elections, %d faults (%d transfers, %d graceful stops, %d crashes), "
                        + "%d extra forwarded copies, %d snapshot chunks sent, %d snapshots damaged, "
                        + "%d membership changes (final sizes %s), %d disks lost, %d slow disks, %d crashes at an"
                        + " unsynced snapshot or configuration truncation, %d demotions asked, %d of the last voter,"
                        + " %d failures%n",
                r.seeds().length, ops, totalOps, r.sum(RuntimeSimulationRun.Summary::unknown),
                r.sum(RuntimeSimulationRun.Summary::refused), r.sum(RuntimeSimulationRun.Summary::elections),
                r.sum(RuntimeSimulationRun.Summary::faults), r.sum(RuntimeSimulationRun.Summary::transfers),
                r.sum(RuntimeSimulationRun.Summary::closes), r.sum(RuntimeSimulationRun.Summary::crashes),
                r.sum(RuntimeSimulationRun.Summary::forwardCopies), r.sum(RuntimeSimulationRun.Summary::snapshotChunks),
                r.sum(RuntimeSimulationRun.Summary::snapshotsDamaged),
                r.sum(RuntimeSimulationRun.Summary::membershipChanges),
                r.summaries().stream().collect(Collectors.groupingBy(RuntimeSimulationRun.Summary::finalMembers,
                        TreeMap::new, Collectors.counting())),
                r.sum(RuntimeSimulationRun.Summary::disksLost), r.sum(RuntimeSimulationRun.Summary::slowDisks),
                r.sum(RuntimeSimulationRun.Summary::unsyncedCrashes), r.sum(RuntimeSimulationRun.Summary::demotions),
                r.sum(RuntimeSimulationRun.Summary::lastVoterDemotions), r.failures().size());
        r.assertNoFailures();
        assertThat(totalOps).as("operations checked").isGreaterThanOrEqualTo((long) r.seeds().length * ops / 2);
    }
}
