package io.raftex.core.sim.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories produced by a real sequential store under simulated concurrency must be linearizable; provably
 * non-linearizable mutations of them must not be.
 */
class KvRandomizedHistoryTest {

    private static final KvModel MODEL = new KvModel();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String NEVER_WRITTEN = "never-written";

    /** An operation before its output is known; {@code linPoint < 0} means it never takes effect. */
    private record Planned(int seq, int client, KvInput input, long call, long ret, long linPoint) {
        boolean unknown() {
            return ret == Operation.NEVER_RETURNED;
        }
    }

    /**
     * Generates a history by giving every operation a linearization point inside its interval and executing the
     * operations against a {@link HashMap} in linearization-point order. Each client issues operations one after
     * another; an operation may time out (unknown outcome), in which case it takes effect at some arbitrary later
     * time or never, and the client moves on. Every written value is unique.
     */
    static List<Operation<KvInput, KvOutput>> generate(long seed, int count, int keys, int clients, double unknownRate) {
        Random random = new Random(seed);
        long[] clientTime = new long[clients];
        for (int c = 0; c < clients; c++) {
            clientTime[c] = random.nextInt(10);
        }
        Map<String, List<String>> writtenSoFar = new HashMap<>();
        int nextValue = 0;
        List<Planned> planned = new ArrayList<>();
        for (int seq = 0; seq < count; seq++) {
            int client = random.nextInt(clients);
            String key = "k" + random.nextInt(keys);
            List<String> written = writtenSoFar.computeIfAbsent(key, k -> new ArrayList<>());
            int kind = random.nextInt(100);
            KvInput input;
            if (kind < 35) {
                String value = "v" + nextValue++;
                written.add(value);
                input = new KvInput.Put(key, value);
            } else if (kind < 70) {
                input = new KvInput.Get(key);
            } else if (kind < 90) {
                String expected = written.isEmpty() || random.nextInt(4) == 0
                        ? null
                        : written.get(written.size() - 1 - random.nextInt(Math.min(3, written.size())));
                String value = "v" + nextValue++;
                written.add(value);
                input = new KvInput.Cas(key, expected, value);
            } else {
                input = new KvInput.Delete(key);
            }
            long call = clientTime[client] + random.nextInt(6);
            if (random.nextDouble() < unknownRate) {
                long linPoint = random.nextBoolean() ? call + random.nextInt(200) : -1;
                planned.add(new Planned(seq, client, input, call, Operation.NEVER_RETURNED, linPoint));
                clientTime[client] = call + 50; // the client gives up and moves on
            } else {
                long duration = random.nextInt(10) == 0 ? 0 : random.nextInt(40);
                long linPoint = call + (duration == 0 ? 0 : random.nextInt((int) duration + 1));
                planned.add(new Planned(seq, client, input, call, call + duration, linPoint));
                clientTime[client] = call + duration;
            }
        }

        // Execute in linearization-point order. Equal points belong to overlapping intervals, so any tie-break works.
        List<Planned> effective = planned.stream().filter(p -> p.linPoint() >= 0)
                .sorted(Comparator.comparingLong(Planned::linPoint).thenComparingInt(Planned::seq)).toList();
        Map<String, String> store = new HashMap<>();
        KvOutput[] outputs = new KvOutput[count];
        for (Planned p : effective) {
            outputs[p.seq()] = execute(store, p.input());
        }
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        for (Planned p : planned) {
            KvOutput output = p.unknown() ? KvOutput.UNKNOWN : outputs[p.seq()];
            history.add(new Operation<>(p.client(), p.input(), output, p.call(), p.ret()));
        }
        return history;
    }

    private static KvOutput execute(Map<String, String> store, KvInput input) {
        String key = input.key();
        if (input instanceof KvInput.Put put) {
            store.put(key, put.value());
            return new KvOutput.PutOk();
        }
        if (input instanceof KvInput.Get) {
            return new KvOutput.GetResult(store.get(key));
        }
        if (input instanceof KvInput.Cas cas) {
            boolean matches = Objects.equals(store.get(key), cas.expected());
            if (matches) {
                store.put(key, cas.value());
            }
            return new KvOutput.CasResult(matches);
        }
        return new KvOutput.DeleteResult(store.remove(key) != null);
    }

    private static boolean isCompletedGet(Operation<KvInput, KvOutput> op) {
        return op.input() instanceof KvInput.Get && !op.isUnknown();
    }

    /** The value a completed operation certainly wrote, or null. */
    private static String certainlyWritten(Operation<KvInput, KvOutput> op) {
        if (op.isUnknown()) {
            return null;
        }
        if (op.input() instanceof KvInput.Put put) {
            return put.value();
        }
        if (op.input() instanceof KvInput.Cas cas && op.output() instanceof KvOutput.CasResult r && r.succeeded()) {
            return cas.value();
        }
        return null;
    }

    /** Whether a completed operation certainly replaced the key's value (values are unique, so it is not restored). */
    private static boolean certainlyOverwrote(Operation<KvInput, KvOutput> op) {
        return certainlyWritten(op) != null || (!op.isUnknown() && op.input() instanceof KvInput.Delete);
    }

    private static List<Operation<KvInput, KvOutput>> withOutput(
            List<Operation<KvInput, KvOutput>> history, int index, KvOutput output) {
        List<Operation<KvInput, KvOutput>> copy = new ArrayList<>(history);
        Operation<KvInput, KvOutput> op = history.get(index);
        copy.set(index, new Operation<>(op.clientId(), op.input(), output, op.callTime(), op.returnTime()));
        return copy;
    }

    /**
     * Finds a completed Get that, given the real-time order, can no longer observe some value: that value was
     * written (only) by a completed operation W, and a completed overwrite W2 started after W returned and returned
     * before the Get was called. Returns {index of the Get, index of W}, or null if there is none.
     */
    private static int[] findStaleRead(List<Operation<KvInput, KvOutput>> history, Random random) {
        List<int[]> candidates = new ArrayList<>();
        for (int g = 0; g < history.size(); g++) {
            Operation<KvInput, KvOutput> get = history.get(g);
            if (!isCompletedGet(get)) {
                continue;
            }
            String key = get.input().key();
            for (int w = 0; w < history.size(); w++) {
                Operation<KvInput, KvOutput> writer = history.get(w);
                String value = certainlyWritten(writer);
                if (value == null || !writer.input().key().equals(key)
                        || value.equals(((KvOutput.GetResult) get.output()).valueOrNull())) {
                    continue;
                }
                boolean overwritten = history.stream().anyMatch(o -> o.input().key().equals(key)
                        && certainlyOverwrote(o) && writer.returnTime() < o.callTime() && o.returnTime() < get.callTime());
                if (overwritten) {
                    candidates.add(new int[] {g, w});
                }
            }
        }
        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }

    private void checkSeeds(int seeds, int count, int keys, int clients, double unknownRate) {
        int staleMutations = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            List<Operation<KvInput, KvOutput>> history = generate(seed, count, keys, clients, unknownRate);
            CheckResult result = LinearizabilityChecker.check(MODEL, history, TIMEOUT);
            assertThat(result.verdict()).as("seed %d: %s", seed, result).isEqualTo(CheckResult.Verdict.OK);

            Random random = new Random(seed * 31 + 7);
            List<Integer> gets = new ArrayList<>();
            for (int i = 0; i < history.size(); i++) {
                if (isCompletedGet(history.get(i))) {
                    gets.add(i);
                }
            }
            int g = gets.get(random.nextInt(gets.size()));
            String key = history.get(g).input().key();
            CheckResult neverWritten = LinearizabilityChecker.check(MODEL,
                    withOutput(history, g, new KvOutput.GetResult(NEVER_WRITTEN)), TIMEOUT);
            assertThat(neverWritten.verdict()).as("seed %d, never-written value read by op %d", seed, g)
                    .isEqualTo(CheckResult.Verdict.ILLEGAL);
            assertThat(neverWritten.partition()).isEqualTo("key \"" + key + "\"");
            assertThat(neverWritten.explanation()).contains(NEVER_WRITTEN);

            int[] stale = findStaleRead(history, random);
            if (stale != null) {
                staleMutations++;
                String staleValue = certainlyWritten(history.get(stale[1]));
                CheckResult staleResult = LinearizabilityChecker.check(MODEL,
                        withOutput(history, stale[0], new KvOutput.GetResult(staleValue)), TIMEOUT);
                assertThat(staleResult.verdict())
                        .as("seed %d, op %d reads stale %s", seed, stale[0], staleValue)
                        .isEqualTo(CheckResult.Verdict.ILLEGAL);
                assertThat(staleResult.partition()).isEqualTo("key \"" + history.get(stale[0]).input().key() + "\"");
            }
        }
        assertThat(staleMutations).as("seeds with a provably stale read to inject").isGreaterThan(seeds * 3 / 4);
    }

    @Test
    void generatedHistoriesAreLinearizableAndMutationsAreNot_fiveKeys() {
        checkSeeds(200, 200, 5, 5, 0.05);
    }

    @Test
    void generatedHistoriesAreLinearizableAndMutationsAreNot_oneHotKey() {
        checkSeeds(40, 80, 1, 6, 0.03);
    }

    @Test
    void generatorProducesTheIntendedMix() {
        List<Operation<KvInput, KvOutput>> history = generate(123, 2_000, 5, 5, 0.05);
        assertThat(history).hasSize(2_000);
        assertThat(history.stream().filter(Operation::isUnknown).count()).isBetween(50L, 150L);
        assertThat(history.stream().filter(o -> o.callTime() == o.returnTime()).count()).isGreaterThan(50L);
        assertThat(history.stream().filter(o -> o.output() instanceof KvOutput.CasResult r && r.succeeded()).count())
                .isGreaterThan(20L);
        assertThat(history.stream().filter(o -> o.output() instanceof KvOutput.CasResult r && !r.succeeded()).count())
                .isGreaterThan(20L);
        assertThat(history.stream().filter(o -> o.output() instanceof KvOutput.DeleteResult r && r.existed()).count())
                .isGreaterThan(20L);
        assertThat(history.stream().filter(o -> o.output() instanceof KvOutput.GetResult r && r.valueOrNull() != null)
                .count()).isGreaterThan(200L);
        // a large history checks fine too
        assertThat(LinearizabilityChecker.check(MODEL, history, TIMEOUT).isOk()).isTrue();
    }
}
