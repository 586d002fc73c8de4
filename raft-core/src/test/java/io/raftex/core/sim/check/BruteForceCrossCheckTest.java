package io.raftex.core.sim.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compares the checker with the definition of linearizability, evaluated by exhaustive enumeration: a history is
 * linearizable iff some total order of all its operations that respects real time ({@code a} precedes {@code b}
 * whenever {@code a.returnTime < b.callTime}) is legal for the sequential model. Unknown operations are included
 * with an unbounded return, so "never took effect" corresponds to ordering them last. The enumeration ignores
 * partitioning, which also exercises P-compositionality.
 */
class BruteForceCrossCheckTest {

    private static final KvModel MODEL = new KvModel();
    private static final String[] VALUES = {"1", "2"};

    static boolean bruteForce(List<Operation<KvInput, KvOutput>> history) {
        return extend(history, new boolean[history.size()], 0, MODEL.init());
    }

    private static boolean extend(List<Operation<KvInput, KvOutput>> history, boolean[] used, int placed,
            KvModel.State state) {
        if (placed == history.size()) {
            return true;
        }
        for (int i = 0; i < history.size(); i++) {
            if (used[i] || !allPredecessorsPlaced(history, used, i)) {
                continue;
            }
            Operation<KvInput, KvOutput> op = history.get(i);
            Optional<KvModel.State> next = MODEL.step(state, op.input(), op.output());
            if (next.isPresent()) {
                used[i] = true;
                boolean found = extend(history, used, placed + 1, next.get());
                used[i] = false;
                if (found) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean allPredecessorsPlaced(List<Operation<KvInput, KvOutput>> history, boolean[] used, int i) {
        for (int j = 0; j < history.size(); j++) {
            if (!used[j] && j != i && history.get(j).returnTime() < history.get(i).callTime()) {
                return false;
            }
        }
        return true;
    }

    private static String randomValue(Random random, boolean allowNull) {
        int n = random.nextInt(VALUES.length + (allowNull ? 1 : 0));
        return n == VALUES.length ? null : VALUES[n];
    }

    /** Small random histories with random (mostly wrong, sometimes right) outputs and lots of timestamp ties. */
    static List<Operation<KvInput, KvOutput>> randomHistory(Random random, int keys) {
        int count = 1 + random.nextInt(7);
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = "k" + random.nextInt(keys);
            long call = random.nextInt(12);
            long ret = call + random.nextInt(6);
            boolean unknown = random.nextInt(8) == 0;
            KvInput input;
            KvOutput output;
            switch (random.nextInt(4)) {
                case 0 -> {
                    input = new KvInput.Put(key, randomValue(random, false));
                    output = new KvOutput.PutOk();
                }
                case 1 -> {
                    input = new KvInput.Get(key);
                    output = new KvOutput.GetResult(randomValue(random, true));
                }
                case 2 -> {
                    input = new KvInput.Cas(key, randomValue(random, true), randomValue(random, false));
                    output = new KvOutput.CasResult(random.nextBoolean());
                }
                default -> {
                    input = new KvInput.Delete(key);
                    output = new KvOutput.DeleteResult(random.nextBoolean());
                }
            }
            history.add(unknown ? KvModel.unknown(i, input, call) : Operation.of(i, input, output, call, ret));
        }
        return history;
    }

    @Test
    void agreesWithExhaustiveEnumeration() {
        int ok = 0;
        int illegal = 0;
        for (int seed = 0; seed < 2_000; seed++) {
            Random random = new Random(seed);
            List<Operation<KvInput, KvOutput>> history = randomHistory(random, 1 + random.nextInt(2));
            boolean expected = bruteForce(history);
            CheckResult result = LinearizabilityChecker.check(MODEL, history, Duration.ofSeconds(5), 1);
            assertThat(result.verdict()).as("seed %d: %s", seed, history)
                    .isEqualTo(expected ? CheckResult.Verdict.OK : CheckResult.Verdict.ILLEGAL);
            if (expected) {
                ok++;
            } else {
                illegal++;
                assertThat(history.contains(result.unplacedOperation())).isTrue();
            }
        }
        assertThat(ok).as("linearizable samples").isGreaterThan(200);
        assertThat(illegal).as("non-linearizable samples").isGreaterThan(200);
    }
}
