package io.raftex.core.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

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
        String replay = System.getProperty("raft.sim.seed");
        long[] seeds = replay != null && !replay.isBlank()
                ? new long[]{Long.parseLong(replay.trim())}
                : LongStream.rangeClosed(1, Integer.getInteger("raft.sim.runtime.seeds", 240)).toArray();
        List<RuntimeSimulationRun.Summary> summaries = Collections.synchronizedList(new ArrayList<>());
        List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
        try (QuietRuntimeLogs quiet = new QuietRuntimeLogs()) {
            LongStream.of(seeds).parallel().forEach(seed -> {
                int members = seed % 3 == 0 ? 3 : 5;
                try {
                    summaries.add(RuntimeSimulationRun.run(seed, members, ops));
                } catch (AssertionError e) {
                    failures.add(new Failure(seed, e.getMessage()));
                }
            });
        }
        long totalOps = summaries.stream().mapToLong(RuntimeSimulationRun.Summary::ops).sum();
        System.out.printf("runtime simulation soak: %d seeds x %d ops: %d ops checked (%d unknown, %d refused), "
                        + "%d elections, %d faults (%d transfers, %d graceful stops, %d crashes), "
                        + "%d extra forwarded copies, %d snapshot chunks sent, %d snapshots damaged, "
                        + "%d membership changes (final sizes %s), %d disks lost, %d slow disks, %d crashes at an"
                        + " unsynced snapshot or configuration truncation, %d demotions asked, %d of the last voter,"
                        + " %d failures%n",
                seeds.length, ops, totalOps, sum(summaries, RuntimeSimulationRun.Summary::unknown),
                sum(summaries, RuntimeSimulationRun.Summary::refused),
                summaries.stream().mapToLong(RuntimeSimulationRun.Summary::elections).sum(),
                sum(summaries, RuntimeSimulationRun.Summary::faults),
                sum(summaries, RuntimeSimulationRun.Summary::transfers),
                sum(summaries, RuntimeSimulationRun.Summary::closes),
                sum(summaries, RuntimeSimulationRun.Summary::crashes),
                summaries.stream().mapToLong(RuntimeSimulationRun.Summary::forwardCopies).sum(),
                summaries.stream().mapToLong(RuntimeSimulationRun.Summary::snapshotChunks).sum(),
                sum(summaries, RuntimeSimulationRun.Summary::snapshotsDamaged),
                sum(summaries, RuntimeSimulationRun.Summary::membershipChanges),
                summaries.stream().collect(Collectors.groupingBy(RuntimeSimulationRun.Summary::finalMembers,
                        java.util.TreeMap::new, Collectors.counting())),
                sum(summaries, RuntimeSimulationRun.Summary::disksLost),
                sum(summaries, RuntimeSimulationRun.Summary::slowDisks),
                sum(summaries, RuntimeSimulationRun.Summary::unsyncedCrashes),
                sum(summaries, RuntimeSimulationRun.Summary::demotions),
                sum(summaries, RuntimeSimulationRun.Summary::lastVoterDemotions), failures.size());
        failures.sort(Comparator.comparingLong(Failure::seed));
        failures.stream().limit(10).forEach(f -> System.out.println("FAILED seed " + f.seed() + ": "
                + firstLines(f.message(), 6)));
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + seeds.length + " seeds broke an invariant or got an untrue answer: seeds "
                    + failures.stream().map(f -> Long.toString(f.seed())).collect(Collectors.joining(", "))
                    + "\nthe first: " + firstLines(failures.get(0).message(), 4));
        }
        assertThat(totalOps).as("operations checked").isGreaterThanOrEqualTo((long) seeds.length * ops / 2);
    }

    private record Failure(long seed, String message) {
    }

    private static int sum(List<RuntimeSimulationRun.Summary> s,
                           java.util.function.ToIntFunction<RuntimeSimulationRun.Summary> f) {
        return s.stream().mapToInt(f).sum();
    }

    private static String firstLines(String s, int n) {
        String[] lines = String.valueOf(s).split("\n");
        return String.join("\n", java.util.Arrays.copyOf(lines, Math.min(n, lines.length)));
    }
}
