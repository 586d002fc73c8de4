package io.raftex.core.sim.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    /** Register input: a write of {@code value}, or a read ({@code value} ignored). */
    record Reg(boolean write, int value) {
        static Reg write(int v) {
            return new Reg(true, v);
        }

        static Reg read() {
            return new Reg(false, 0);
        }
    }

    /** A single integer register, initially 0; reads output the value, writes output null. Not partitioned. */
    static class RegisterModel implements Model<Integer, Reg, Integer> {
        @Override
        public Integer init() {
            return 0;
        }

        @Override
        public Optional<Integer> step(Integer state, Reg input, Integer output) {
            if (input.write()) {
                return Optional.of(input.value());
            }
            return state.equals(output) ? Optional.of(state) : Optional.empty();
        }

        @Override
        public String describeOperation(Reg input, Integer output) {
            return input.write() ? "write(" + input.value() + ")" : "read() -> " + output;
        }
    }

    static final RegisterModel REGISTER = new RegisterModel();
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    static Operation<Reg, Integer> write(int client, int value, long call, long ret) {
        return Operation.of(client, Reg.write(value), null, call, ret);
    }

    static Operation<Reg, Integer> read(int client, int value, long call, long ret) {
        return Operation.of(client, Reg.read(), value, call, ret);
    }

    static CheckResult checkRegister(List<Operation<Reg, Integer>> history) {
        return LinearizabilityChecker.check(REGISTER, history, TIMEOUT);
    }

    /** Many concurrent writes of distinct values followed by a read of a value nobody wrote: exponential search. */
    static List<Operation<KvInput, KvOutput>> pathological(String key, int writers) {
        KvHistory h = new KvHistory();
        for (int i = 0; i < writers; i++) {
            h.put(key, "w" + i, 0, 100);
        }
        return h.get(key, "never-written", 200, 300).ops();
    }

    @Nested
    class ClassicRegister {
        @Test
        void readsOnBothSidesOfAConcurrentWriteAreLinearizable() {
            // write(100) [0,100]; read->100 [25,75]; read->0 [30,60]: read 0, write, read 100.
            var history = List.of(write(0, 100, 0, 100), read(1, 100, 25, 75), read(2, 0, 30, 60));
            assertThat(checkRegister(history).verdict()).isEqualTo(CheckResult.Verdict.OK);
        }

        @Test
        void readingTheOldValueAfterAnotherReadSawTheNewOneIsIllegal() {
            // write(200) [0,100]; read->200 [10,30]; read->0 [40,90]: once 200 was seen, 0 cannot come back.
            var put = write(0, 200, 0, 100);
            var sawNew = read(1, 200, 10, 30);
            var sawOld = read(2, 0, 40, 90);
            CheckResult result = checkRegister(List.of(put, sawNew, sawOld));

            assertThat(result.verdict()).isEqualTo(CheckResult.Verdict.ILLEGAL);
            assertThat(result.partition()).isEqualTo("partition #0");
            assertThat(result.unplacedOperation()).isEqualTo(sawOld);
            assertThat(result.linearizedPrefix()).containsExactly(put, sawNew);
            assertThat(result.explanation())
                    .contains("partition #0", "read() -> 0", "illegal in this state", "state after prefix: 200");
        }

        @Test
        void readOfOverwrittenValueIsIllegal() {
            // write 1 then write 2 (sequential, both done), then a read of 1 with nothing writing 1 again.
            var history = List.of(write(0, 1, 0, 10), write(1, 2, 20, 30), read(2, 1, 40, 50));
            CheckResult result = checkRegister(history);
            assertThat(result.isIllegal()).isTrue();
            assertThat(result.unplacedOperation()).isEqualTo(history.get(2));
        }

        @Test
        void staleReadAfterCompletedWriteIsIllegal() {
            var history = List.of(write(0, 7, 0, 10), read(1, 0, 11, 20));
            assertThat(checkRegister(history).isIllegal()).isTrue();
        }

        @Test
        void readOfValueWrittenBackLaterIsFine() {
            var history = List.of(write(0, 1, 0, 10), write(1, 2, 20, 30), write(2, 1, 35, 60), read(3, 1, 40, 50));
            assertThat(checkRegister(history).isOk()).isTrue();
        }

        @Test
        void readCannotSeeAWriteThatStartsAfterItReturned() {
            var history = List.of(read(0, 5, 0, 10), write(1, 5, 11, 20));
            assertThat(checkRegister(history).isIllegal()).isTrue();
        }

        @Test
        void verdictDoesNotDependOnHistoryOrder() {
            List<Operation<Reg, Integer>> ok = new ArrayList<>(List.of(write(0, 1, 0, 10), write(1, 2, 5, 15),
                    read(2, 2, 12, 20), read(3, 2, 21, 30), write(4, 3, 25, 40), read(5, 3, 41, 45)));
            List<Operation<Reg, Integer>> bad = new ArrayList<>(ok);
            bad.add(read(6, 2, 46, 50));
            Random random = new Random(42);
            for (int i = 0; i < 20; i++) {
                Collections.shuffle(ok, random);
                Collections.shuffle(bad, random);
                assertThat(checkRegister(ok).isOk()).isTrue();
                assertThat(checkRegister(bad).isIllegal()).isTrue();
            }
        }

        @Test
        void emptyHistoryIsLinearizable() {
            assertThat(checkRegister(List.of()).isOk()).isTrue();
            assertThat(LinearizabilityChecker.check(KvHistory.MODEL, List.of()).isOk()).isTrue();
        }
    }

    @Nested
    class ZeroDurationAndTouchingIntervals {
        @Test
        void zeroDurationOperationsAtTheSameInstantAreConcurrent() {
            assertThat(checkRegister(List.of(write(0, 1, 5, 5), read(1, 1, 5, 5))).isOk()).isTrue();
            assertThat(checkRegister(List.of(write(0, 1, 5, 5), read(1, 0, 5, 5))).isOk()).isTrue();
        }

        @Test
        void zeroDurationOperationsAtDifferentInstantsAreOrdered() {
            assertThat(checkRegister(List.of(write(0, 1, 5, 5), read(1, 0, 6, 6))).isIllegal()).isTrue();
            assertThat(checkRegister(List.of(read(1, 1, 4, 4), write(0, 1, 5, 5))).isIllegal()).isTrue();
            assertThat(checkRegister(List.of(write(0, 1, 5, 5), read(1, 1, 6, 6))).isOk()).isTrue();
        }

        @Test
        void intervalsSharingAnEndpointOverlap() {
            // Closed intervals: a read starting exactly when the write returns may still precede it.
            assertThat(checkRegister(List.of(write(0, 1, 0, 10), read(1, 0, 10, 20))).isOk()).isTrue();
            assertThat(checkRegister(List.of(write(0, 1, 0, 10), read(1, 0, 10, 10))).isOk()).isTrue();
            assertThat(checkRegister(List.of(write(0, 1, 0, 10), read(1, 0, 11, 11))).isIllegal()).isTrue();
            // ... and a write starting exactly when a read returns may precede that read.
            assertThat(checkRegister(List.of(read(1, 1, 0, 10), write(0, 1, 10, 20))).isOk()).isTrue();
        }

        @Test
        void zeroDurationReadInsideAWriteSeesEitherValue() {
            assertThat(checkRegister(List.of(write(0, 1, 0, 10), read(1, 1, 3, 3), read(2, 1, 6, 6))).isOk()).isTrue();
            assertThat(checkRegister(List.of(write(0, 1, 0, 10), read(1, 0, 3, 3), read(2, 1, 6, 6))).isOk()).isTrue();
            assertThat(checkRegister(List.of(write(0, 1, 0, 10), read(1, 1, 3, 3), read(2, 0, 6, 6))).isIllegal())
                    .isTrue();
        }
    }

    @Nested
    class Concurrency {
        @Test
        void concurrentWritesMayTakeEffectInEitherOrder() {
            var w1 = write(0, 1, 0, 10);
            var w2 = write(1, 2, 5, 15);
            assertThat(checkRegister(List.of(w1, w2, read(2, 1, 20, 25))).isOk()).isTrue();
            assertThat(checkRegister(List.of(w1, w2, read(2, 2, 20, 25))).isOk()).isTrue();
        }

        @Test
        void butOnlyInOneOrderAtATime() {
            var w1 = write(0, 1, 0, 10);
            var w2 = write(1, 2, 5, 15);
            assertThat(checkRegister(List.of(w1, w2, read(2, 1, 20, 25), read(3, 2, 30, 35))).isIllegal()).isTrue();
            assertThat(checkRegister(List.of(w1, w2, read(2, 2, 20, 25), read(3, 1, 30, 35))).isIllegal()).isTrue();
        }

        @Test
        void concurrentReadsDuringAWriteMaySplitButNotFlipBack() {
            var w = write(0, 1, 0, 100);
            // overlapping reads: one sees old, one sees new, in either order
            assertThat(checkRegister(List.of(w, read(1, 1, 10, 50), read(2, 0, 20, 60))).isOk()).isTrue();
            // sequential reads: old then new is fine, new then old is not
            assertThat(checkRegister(List.of(w, read(1, 0, 10, 20), read(2, 1, 30, 40))).isOk()).isTrue();
            assertThat(checkRegister(List.of(w, read(1, 1, 10, 20), read(2, 0, 30, 40))).isIllegal()).isTrue();
        }

        @Test
        void manyConcurrentWritersThenConsistentReads() {
            List<Operation<Reg, Integer>> history = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                history.add(write(i, i, 0, 100));
            }
            history.add(read(20, 7, 50, 60));
            history.add(read(21, 3, 70, 80));
            history.add(read(22, 3, 110, 120));
            assertThat(checkRegister(history).isOk()).isTrue();
            history.add(read(23, 7, 130, 140));
            assertThat(checkRegister(history).isIllegal()).isTrue();
        }
    }

    @Nested
    class Explanations {
        @Test
        void explanationNamesKeyPrefixStateAndCandidates() {
            KvHistory h = new KvHistory()
                    .put("x", "1", 0, 10)
                    .put("x", "2", 20, 30)
                    .put("x", "3", 35, 100);
            h.get("x", "1", 40, 50);
            var bad = h.last();
            h.cas("x", "9", "10", true, 45, 100);
            CheckResult result = h.check();

            assertThat(result.isIllegal()).isTrue();
            assertThat(result.partition()).isEqualTo("key \"x\"");
            assertThat(result.unplacedOperation()).isEqualTo(bad);
            assertThat(result.explanation())
                    .contains("not linearizable: key \"x\" (5 operations)")
                    .contains("longest linearizable prefix")
                    .contains("put(\"x\", \"1\") -> ok")
                    .contains("could not be linearized before its return: client 3 [40, 50] get(\"x\") -> \"1\"")
                    .contains("state after prefix: \"x\" = \"3\"")
                    .contains("other operations that could have come next:\n"
                            + "    client 4 [45, 100] cas(\"x\", \"9\" => \"10\") -> succeeded (illegal in this state)");
            assertThat(result.toString()).startsWith("ILLEGAL: ");
        }

        @Test
        void longPrefixesAreElidedInTheTextButKeptInTheResult() {
            KvHistory h = new KvHistory();
            for (int i = 0; i < 100; i++) {
                h.put("k", "v" + i, 10L * i, 10L * i + 5);
            }
            h.get("k", "v3", 2000, 2001);
            CheckResult result = h.check();
            assertThat(result.isIllegal()).isTrue();
            assertThat(result.linearizedPrefix()).hasSize(100);
            assertThat(result.explanation()).contains("80 earlier operations omitted").contains("100. ");
            assertThat(result.explanation().lines().count()).isLessThan(40);
        }

        @Test
        void okResultsHaveNoDetails() {
            CheckResult result = new KvHistory().put("a", "1", 0, 1).put("b", "2", 0, 1).check();
            assertThat(result.isOk()).isTrue();
            assertThat(result.partition()).isNull();
            assertThat(result.unplacedOperation()).isNull();
            assertThat(result.linearizedPrefix()).isEmpty();
            assertThat(result.explanation()).contains("2 operations in 2 partitions");
        }
    }

    @Nested
    class TimeoutsAndPartitions {
        @Test
        void pathologicalHistoryTimesOut() {
            long start = System.nanoTime();
            CheckResult result = LinearizabilityChecker.check(KvHistory.MODEL, pathological("slow", 40),
                    Duration.ofMillis(100));
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(result.verdict()).isEqualTo(CheckResult.Verdict.UNKNOWN);
            assertThat(result.explanation()).contains("did not finish within PT0.1S").contains("key \"slow\"");
            assertThat(elapsedMillis).as("gives up promptly").isLessThan(5_000);
        }

        @Test
        void zeroTimeoutStillDecidesTinyPartitionsButNotBigSearches() {
            var ok = new KvHistory().put("x", "1", 0, 1).get("x", "1", 2, 3).ops();
            var bad = new KvHistory().put("x", "1", 0, 1).get("x", "2", 2, 3).ops();
            assertThat(LinearizabilityChecker.check(KvHistory.MODEL, ok, Duration.ZERO).isOk()).isTrue();
            assertThat(LinearizabilityChecker.check(KvHistory.MODEL, bad, Duration.ZERO).isIllegal()).isTrue();
            assertThat(LinearizabilityChecker.check(KvHistory.MODEL, List.of(), Duration.ZERO).isOk()).isTrue();
            assertThat(LinearizabilityChecker.check(KvHistory.MODEL, pathological("p", 30), Duration.ZERO).isUnknown())
                    .isTrue();
        }

        @Test
        void anIllegalPartitionWinsOverOneThatTimesOut() {
            List<Operation<KvInput, KvOutput>> history = new ArrayList<>(pathological("z-slow", 40));
            history.addAll(new KvHistory().put("m-bad", "1", 0, 10).get("m-bad", null, 20, 30).ops());
            history.addAll(new KvHistory().put("a-fine", "1", 0, 10).get("a-fine", "1", 20, 30).ops());
            for (int parallelism : new int[] {1, 2, 4}) {
                // The slow partition has a higher index than the bad one: it is abandoned as soon as "m-bad" fails.
                CheckResult result = LinearizabilityChecker.check(KvHistory.MODEL, history, Duration.ofSeconds(30),
                        parallelism);
                assertThat(result.isIllegal()).isTrue();
                assertThat(result.partition()).isEqualTo("key \"m-bad\"");
            }
        }

        @Test
        void anIllegalPartitionIsReportedEvenIfALowerIndexedOneTimesOut() {
            List<Operation<KvInput, KvOutput>> history = new ArrayList<>(pathological("a-slow", 40));
            history.addAll(new KvHistory().put("b-bad", "1", 0, 10).get("b-bad", null, 20, 30).ops());
            for (int parallelism : new int[] {1, 2}) {
                CheckResult result = LinearizabilityChecker.check(KvHistory.MODEL, history, Duration.ofMillis(100),
                        parallelism);
                assertThat(result.isIllegal()).isTrue();
                assertThat(result.partition()).isEqualTo("key \"b-bad\"");
            }
        }

        @Test
        void oneIllegalKeyAmongManyIsFoundAndNamed() {
            KvHistory h = new KvHistory();
            for (int k = 0; k < 40; k++) {
                String key = String.format("key-%02d", k);
                h.put(key, "a", 0, 10).get(key, "a", 5, 15).put(key, "b", 12, 20).get(key, "b", 25, 30);
            }
            h.put("key-17", "c", 40, 50).get("key-17", "b", 60, 70);
            var bad = h.last();
            CheckResult result = h.check();
            assertThat(result.isIllegal()).isTrue();
            assertThat(result.partition()).isEqualTo("key \"key-17\"");
            assertThat(result.unplacedOperation()).isEqualTo(bad);
            assertThat(result.explanation()).contains("key \"key-17\"");
        }

        @Test
        void withSeveralIllegalKeysTheFirstInKeyOrderIsReportedRegardlessOfParallelism() {
            KvHistory h = new KvHistory();
            for (int k = 0; k < 30; k++) {
                String key = String.format("k%02d", k);
                // larger partitions for lower keys so that smallest-first scheduling finishes them last
                for (int i = 0; i < 30 - k; i++) {
                    h.put(key, "v" + i, 100L * i, 100L * i + 50).get(key, "v" + i, 100L * i + 20, 100L * i + 70);
                }
                if (k == 5 || k == 17 || k == 29) {
                    h.get(key, "never", 10_000, 10_001);
                }
            }
            CheckResult reference = LinearizabilityChecker.check(KvHistory.MODEL, h.ops(), TIMEOUT, 1);
            assertThat(reference.partition()).isEqualTo("key \"k05\"");
            for (int round = 0; round < 3; round++) {
                for (int parallelism : new int[] {0, 2, 3, 8}) {
                    assertThat(LinearizabilityChecker.check(KvHistory.MODEL, h.ops(), TIMEOUT, parallelism))
                            .isEqualTo(reference);
                }
            }
        }

        @Test
        void defaultPartitioningKeepsTheHistoryWhole() {
            var history = List.of(write(0, 1, 0, 10));
            assertThat(REGISTER.partition(history)).containsExactly(history);
        }
    }

    @Nested
    class Arguments {
        @Test
        void rejectsBadArguments() {
            var history = List.of(write(0, 1, 0, 10));
            assertThatThrownBy(() -> LinearizabilityChecker.check(REGISTER, history, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> LinearizabilityChecker.check(REGISTER, history, null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> LinearizabilityChecker.check(null, history, TIMEOUT))
                    .isInstanceOf(NullPointerException.class);
        }

        @Test
        void modelFailuresPropagate() {
            Model<Integer, Reg, Integer> broken = new RegisterModel() {
                @Override
                public Optional<Integer> step(Integer state, Reg input, Integer output) {
                    throw new IllegalStateException("boom");
                }
            };
            assertThatThrownBy(() -> LinearizabilityChecker.check(broken, List.of(write(0, 1, 0, 10)), TIMEOUT))
                    .isInstanceOf(IllegalStateException.class).hasMessage("boom");
        }

        @Test
        void mismatchedKvOutputIsRejected() {
            var history = new KvHistory().add(new KvInput.Put("x", "1"), new KvOutput.GetResult("1"), 0, 1).ops();
            assertThatThrownBy(() -> LinearizabilityChecker.check(KvHistory.MODEL, history, TIMEOUT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not answer");
        }
    }
}
