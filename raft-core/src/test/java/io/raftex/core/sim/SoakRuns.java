package io.raftex.core.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.fail;

/**
 * What the randomized runs of both modes share: which seeds run ({@code -Draft.sim.seed=S} replays one), how many
 * members a seed gets, the phase in which a workload is served under a nemesis until the faults stop and the group
 * converges, the failure message that names the seed and the command that replays it, and the soak's report.
 */
final class SoakRuns {

    /** A seed that failed, with the failure's message. */
    record Failure(long seed, String message) {
    }

    /** The summaries of the seeds that passed, and the seeds that failed (in seed order). */
    record Result<S>(long[] seeds, List<S> summaries, List<Failure> failures) {

        long sum(ToLongFunction<S> figure) {
            return summaries.stream().mapToLong(figure).sum();
        }

        /** Prints the first failures and fails naming every failed seed. */
        void assertNoFailures() {
            failures.stream().limit(10).forEach(f -> System.out.println("FAILED seed " + f.seed() + ": "
                    + firstLines(f.message(), 6)));
            if (!failures.isEmpty()) {
                fail(failures.size() + " of " + seeds.length + " seeds broke an invariant or got an untrue answer:"
                        + " seeds " + failures.stream().map(f -> Long.toString(f.seed()))
                        .collect(Collectors.joining(", "))
                        + "\nthe first: " + firstLines(failures.get(0).message(), 4));
            }
        }
    }

    /** Seeds 1..N, N from {@code countProperty} (default {@code defaultCount}), or the one {@code raft.sim.seed}. */
    static long[] seeds(String countProperty, int defaultCount) {
        String replay = System.getProperty("raft.sim.seed");
        return replay != null && !replay.isBlank()
                ? new long[]{Long.parseLong(replay.trim())}
                : LongStream.rangeClosed(1, Integer.getInteger(countProperty, defaultCount)).toArray();
    }

    /** The members a seed's group starts with: 3 for every third seed, else 5. */
    static int members(long seed) {
        return seed % 3 == 0 ? 3 : 5;
    }

    /** Runs every seed, in parallel; a seed fails by throwing an {@link AssertionError}. */
    static <S> Result<S> runAll(long[] seeds, LongFunction<S> run) {
        List<S> summaries = Collections.synchronizedList(new ArrayList<>());
        List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
        LongStream.of(seeds).parallel().forEach(seed -> {
            try {
                summaries.add(run.apply(seed));
            } catch (AssertionError e) {
                failures.add(new Failure(seed, e.getMessage()));
            }
        });
        List<Failure> sorted = new ArrayList<>(failures);
        sorted.sort(Comparator.comparingLong(Failure::seed));
        return new Result<>(seeds, new ArrayList<>(summaries), sorted);
    }

    /**
     * Runs one seed; a failure names the seed and how to replay it: {@code -Dtest=<soakTest> -Draft.sim.seed=<seed>
     * -D<opsProperty>=<ops>}.
     */
    static <S> S replayable(String soakTest, String opsProperty, long seed, int members, int ops, Supplier<S> run) {
        try {
            return run.get();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(soakTest + " failed; replay with -Dtest=" + soakTest + " -Draft.sim.seed=" + seed
                    + " -D" + opsProperty + "=" + ops + " (" + members + " members): " + e.getMessage(), e);
        }
    }

    /**
     * Serves {@code workload} under {@code nemesis} until every operation ended (within {@code budget} virtual ms),
     * then calms the nemesis and waits until the group converges.
     */
    static void serveThenCalm(BaseSimCluster<?> cluster, Workload workload, Nemesis nemesis, int ops, long budget) {
        nemesis.start();
        workload.start();
        if (!cluster.runUntil(workload::done, budget)) {
            throw new AssertionError("workload stalled after " + workload.finishedOps() + " of " + ops
                    + " ops\n  " + cluster.describe());
        }
        nemesis.calm();
        awaitConverged(cluster, "members did not converge after the faults stopped");
    }

    static void awaitConverged(BaseSimCluster<?> cluster, String failure) {
        if (!cluster.runUntil(cluster::converged, 30_000)) {
            throw new AssertionError(failure + "\n  " + cluster.describe());
        }
    }

    private static String firstLines(String s, int n) {
        String[] lines = String.valueOf(s).split("\n");
        return String.join("\n", Arrays.copyOf(lines, Math.min(n, lines.length)));
    }

    private SoakRuns() {
    }
}
