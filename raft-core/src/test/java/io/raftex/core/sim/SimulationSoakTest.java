package io.raftex.core.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized soak: many seeds, each a few thousand client operations under random faults, with every
 * invariant checked as it runs and the history checked for linearizability at the end.
 *
 * <p>{@code -Draft.sim.seeds=N} and {@code -Draft.sim.ops=M} set the size (CI: 500 × 2,000; {@code -Psoak} runs
 * far more); {@code -Draft.sim.seed=S} replays one seed.
 */
class SimulationSoakTest {

    @Test
    void randomizedRunsKeepEveryInvariant() {
        int ops = Integer.getInteger("raft.sim.ops", 2_000);
        String replay = System.getProperty("raft.sim.seed");
        long[] seeds = replay != null && !replay.isBlank()
                ? new long[]{Long.parseLong(replay.trim())}
                : LongStream.rangeClosed(1, Integer.getInteger("raft.sim.seeds", 500)).toArray();
        List<SimulationRun.Summary> summaries = Collections.synchronizedList(new ArrayList<>());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicLong unknown = new AtomicLong();
        LongStream.of(seeds).parallel().forEach(seed -> {
            int members = seed % 3 == 0 ? 3 : 5;
            try {
                SimulationRun.Summary s = SimulationRun.run(seed, members, ops);
                summaries.add(s);
                unknown.addAndGet(s.unknown());
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        });
        long totalOps = summaries.stream().mapToLong(SimulationRun.Summary::ops).sum();
        long elections = summaries.stream().mapToLong(SimulationRun.Summary::elections).sum();
        long faults = summaries.stream().mapToLong(SimulationRun.Summary::faults).sum();
        System.out.printf("simulation soak: %d seeds, %d ops checked (%d unknown), %d elections, %d faults, "
                + "%d failures%n", seeds.length, totalOps, unknown.get(), elections, faults, failures.size());
        failures.stream().limit(5).forEach(f -> System.out.println("FAILED " + f));
        assertThat(failures).as("seeds that broke an invariant").isEmpty();
        assertThat(totalOps).as("operations checked").isGreaterThanOrEqualTo((long) seeds.length * ops * 9 / 10);
    }
}
