package io.raftex.core.sim.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class KvModelTest {

    private static final KvModel MODEL = new KvModel();
    private static final KvOutput UNKNOWN = KvOutput.UNKNOWN;

    private static KvModel.State state(String... keyValues) {
        Map<String, String> map = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return new KvModel.State(map);
    }

    private static Optional<KvModel.State> step(KvModel.State s, KvInput in, KvOutput out) {
        return MODEL.step(s, in, out);
    }

    @Nested
    class SequentialSemantics {
        @Test
        void initialStateIsEmpty() {
            assertThat(MODEL.init()).isEqualTo(KvModel.State.EMPTY);
            assertThat(MODEL.init().get("x")).isNull();
        }

        @Test
        void putOverwrites() {
            assertThat(step(state(), new KvInput.Put("x", "1"), new KvOutput.PutOk())).contains(state("x", "1"));
            assertThat(step(state("x", "1", "y", "2"), new KvInput.Put("x", "3"), new KvOutput.PutOk()))
                    .contains(state("x", "3", "y", "2"));
            assertThat(step(state(), new KvInput.Put("x", "1"), UNKNOWN)).contains(state("x", "1"));
        }

        @Test
        void getMustMatchIncludingAbsence() {
            assertThat(step(state("x", "1"), new KvInput.Get("x"), new KvOutput.GetResult("1"))).contains(state("x", "1"));
            assertThat(step(state("x", "1"), new KvInput.Get("x"), new KvOutput.GetResult("2"))).isEmpty();
            assertThat(step(state("x", "1"), new KvInput.Get("x"), new KvOutput.GetResult(null))).isEmpty();
            assertThat(step(state("y", "1"), new KvInput.Get("x"), new KvOutput.GetResult(null))).contains(state("y", "1"));
            assertThat(step(state(), new KvInput.Get("x"), new KvOutput.GetResult("1"))).isEmpty();
            assertThat(step(state("x", "1"), new KvInput.Get("x"), UNKNOWN)).contains(state("x", "1"));
        }

        @Test
        void casComparesWithNullMeaningAbsent() {
            var casFromAbsent = new KvInput.Cas("x", null, "1");
            assertThat(step(state(), casFromAbsent, new KvOutput.CasResult(true))).contains(state("x", "1"));
            assertThat(step(state(), casFromAbsent, new KvOutput.CasResult(false))).isEmpty();
            assertThat(step(state("x", "0"), casFromAbsent, new KvOutput.CasResult(true))).isEmpty();
            assertThat(step(state("x", "0"), casFromAbsent, new KvOutput.CasResult(false))).contains(state("x", "0"));

            var casFrom0 = new KvInput.Cas("x", "0", "1");
            assertThat(step(state("x", "0"), casFrom0, new KvOutput.CasResult(true))).contains(state("x", "1"));
            assertThat(step(state("x", "0"), casFrom0, new KvOutput.CasResult(false))).isEmpty();
            assertThat(step(state("x", "2"), casFrom0, new KvOutput.CasResult(true))).isEmpty();
            assertThat(step(state("x", "2"), casFrom0, new KvOutput.CasResult(false))).contains(state("x", "2"));
            assertThat(step(state(), casFrom0, new KvOutput.CasResult(false))).contains(state());
        }

        @Test
        void unknownCasHasItsNormalEffect() {
            var cas = new KvInput.Cas("x", "0", "1");
            assertThat(step(state("x", "0"), cas, UNKNOWN)).contains(state("x", "1"));
            assertThat(step(state("x", "5"), cas, UNKNOWN)).contains(state("x", "5"));
            assertThat(step(state(), new KvInput.Cas("x", null, "1"), UNKNOWN)).contains(state("x", "1"));
        }

        @Test
        void deleteReportsWhetherTheKeyExisted() {
            var delete = new KvInput.Delete("x");
            assertThat(step(state("x", "1", "y", "2"), delete, new KvOutput.DeleteResult(true))).contains(state("y", "2"));
            assertThat(step(state("x", "1"), delete, new KvOutput.DeleteResult(false))).isEmpty();
            assertThat(step(state(), delete, new KvOutput.DeleteResult(false))).contains(state());
            assertThat(step(state(), delete, new KvOutput.DeleteResult(true))).isEmpty();
            assertThat(step(state("x", "1"), delete, UNKNOWN)).contains(state());
        }

        @Test
        void statesAreValues() {
            assertThat(state("x", "1", "y", "2")).isEqualTo(state("y", "2", "x", "1"))
                    .hasSameHashCodeAs(state("y", "2", "x", "1"));
            assertThatThrownBy(() -> state().values().put("x", "1")).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void mismatchedOutputsAndNullsAreRejected() {
            assertThatThrownBy(() -> step(state(), new KvInput.Get("x"), new KvOutput.PutOk()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> step(state(), new KvInput.Put("x", "1"), null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new KvInput.Put("x", null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new KvInput.Cas("x", "1", null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new KvInput.Get(null)).isInstanceOf(NullPointerException.class);
        }

        @Test
        void describesOperationsAndStates() {
            assertThat(MODEL.describeOperation(new KvInput.Cas("k", null, "v"), new KvOutput.CasResult(true)))
                    .isEqualTo("cas(\"k\", absent => \"v\") -> succeeded");
            assertThat(MODEL.describeOperation(new KvInput.Get("k"), new KvOutput.GetResult(null)))
                    .isEqualTo("get(\"k\") -> absent");
            assertThat(MODEL.describeOperation(new KvInput.Delete("k"), UNKNOWN)).isEqualTo("delete(\"k\") -> unknown");
            assertThat(MODEL.describeState(state("b", "2", "a", "1"))).isEqualTo("\"a\" = \"1\", \"b\" = \"2\"");
            assertThat(MODEL.describeState(state())).isEqualTo("all keys absent");
        }

        @Test
        void partitionsByKeyInKeyOrderKeepingHistoryOrder() {
            var ops = new KvHistory().put("b", "1", 0, 1).put("a", "1", 0, 1).get("b", "1", 2, 3).get("a", "1", 2, 3)
                    .ops();
            var parts = MODEL.partition(ops);
            assertThat(parts).containsExactly(List.of(ops.get(1), ops.get(3)), List.of(ops.get(0), ops.get(2)));
            assertThat(MODEL.describePartition(0, parts.get(0))).isEqualTo("key \"a\"");
        }
    }

    @Nested
    class UnknownOutcomes {
        @Test
        void unknownWriteThatIsLaterSeenIsFine() {
            assertThat(new KvHistory().putUnknown("x", "1", 10).get("x", "1", 50, 60).check().isOk()).isTrue();
        }

        @Test
        void unknownWriteThatIsNeverSeenIsFine() {
            assertThat(new KvHistory().putUnknown("x", "1", 10).get("x", null, 50, 60).get("x", null, 70, 80).check()
                    .isOk()).isTrue();
        }

        @Test
        void unknownWriteMayTakeEffectLongAfterItsCall() {
            assertThat(new KvHistory().putUnknown("x", "1", 10).get("x", null, 50, 60).get("x", "1", 1_000, 1_010)
                    .check().isOk()).isTrue();
        }

        @Test
        void unknownWriteCannotTakeEffectBeforeItsCall() {
            assertThat(new KvHistory().get("x", "1", 0, 5).putUnknown("x", "1", 10).check().isIllegal()).isTrue();
        }

        @Test
        void unknownWriteTakesEffectAtMostOnce() {
            CheckResult result = new KvHistory().putUnknown("x", "1", 10).get("x", "1", 50, 60).get("x", null, 70, 80)
                    .check();
            assertThat(result.isIllegal()).isTrue();
            assertThat(result.partition()).isEqualTo("key \"x\"");
        }

        @Test
        void unknownWriteInterleavedWithKnownWrites() {
            // unknown put(1) may land between put(2) and put(3), or after put(3)
            KvHistory base = new KvHistory().put("x", "2", 0, 10).putUnknown("x", "1", 5).put("x", "3", 20, 30);
            assertThat(copy(base).get("x", "1", 15, 16).get("x", "3", 40, 50).check().isOk()).isTrue();
            assertThat(copy(base).get("x", "3", 40, 50).get("x", "1", 60, 70).check().isOk()).isTrue();
            assertThat(copy(base).get("x", "1", 40, 50).get("x", "3", 60, 70).check().isIllegal()).isTrue();
        }

        @Test
        void unknownGetConstrainsNothing() {
            assertThat(new KvHistory().put("x", "1", 0, 10).getUnknown("x", 20).get("x", "1", 30, 40).check().isOk())
                    .isTrue();
        }

        @Test
        void unknownCasMayOrMayNotHaveSucceeded() {
            KvHistory base = new KvHistory().put("x", "a", 0, 10).casUnknown("x", "a", "b", 20);
            assertThat(copy(base).get("x", "b", 30, 40).check().isOk()).isTrue();
            assertThat(copy(base).get("x", "a", 30, 40).check().isOk()).isTrue();
            assertThat(copy(base).get("x", "a", 30, 40).get("x", "b", 50, 60).check().isOk()).isTrue();
            assertThat(copy(base).get("x", "b", 30, 40).get("x", "a", 50, 60).check().isIllegal()).isTrue();
        }

        @Test
        void unknownCasCannotSucceedIfExpectationNeverHolds() {
            assertThat(new KvHistory().put("x", "a", 0, 10).casUnknown("x", "z", "b", 20).get("x", "b", 30, 40).check()
                    .isIllegal()).isTrue();
        }

        @Test
        void unknownCasCanOnlySucceedWhileItsExpectationHolds() {
            // cas(a => b) was called while x = a, but x became c before anyone saw b; it can no longer succeed.
            KvHistory h = new KvHistory().put("x", "a", 0, 10).casUnknown("x", "a", "b", 20)
                    .get("x", "a", 30, 40).put("x", "c", 50, 60);
            assertThat(copy(h).get("x", "b", 70, 80).check().isIllegal()).isTrue();
            assertThat(copy(h).get("x", "c", 70, 80).check().isOk()).isTrue();
        }

        @Test
        void unknownDeleteMayOrMayNotHaveHappened() {
            KvHistory base = new KvHistory().put("x", "a", 0, 10).deleteUnknown("x", 20);
            assertThat(copy(base).get("x", "a", 30, 40).check().isOk()).isTrue();
            assertThat(copy(base).get("x", null, 30, 40).check().isOk()).isTrue();
            assertThat(copy(base).get("x", null, 30, 40).get("x", "a", 50, 60).check().isIllegal()).isTrue();
        }

        @Test
        void manyUnknownWritesStayTractable() {
            KvHistory h = new KvHistory();
            for (int i = 0; i < 12; i++) {
                h.putUnknown("x", "u" + i, 10L * i);
                h.get("x", "u" + i, 10L * i + 5, 10L * i + 6);
            }
            assertThat(h.check().isOk()).isTrue();
            h.get("x", "u0", 500, 501);
            assertThat(h.check().isIllegal()).isTrue();
        }

        private KvHistory copy(KvHistory h) {
            KvHistory copy = new KvHistory();
            for (Operation<KvInput, KvOutput> op : h.ops()) {
                if (op.isUnknown()) {
                    copy.unknown(op.input(), op.callTime());
                } else {
                    copy.add(op.input(), op.output(), op.callTime(), op.returnTime());
                }
            }
            return copy;
        }
    }

    @Nested
    class CasHistories {
        @Test
        void casFromAbsentOnlySucceedsOnce() {
            assertThat(new KvHistory().cas("x", null, "1", true, 0, 10).cas("x", null, "2", false, 20, 30)
                    .get("x", "1", 40, 50).check().isOk()).isTrue();
            assertThat(new KvHistory().cas("x", null, "1", true, 0, 10).cas("x", null, "2", true, 20, 30)
                    .check().isIllegal()).isTrue();
        }

        @Test
        void concurrentCasFromAbsentHasExactlyOneWinner() {
            assertThat(new KvHistory().cas("x", null, "1", true, 0, 10).cas("x", null, "2", false, 0, 10)
                    .get("x", "1", 20, 30).check().isOk()).isTrue();
            assertThat(new KvHistory().cas("x", null, "1", true, 0, 10).cas("x", null, "2", true, 0, 10)
                    .check().isIllegal()).isTrue();
            assertThat(new KvHistory().cas("x", null, "1", false, 0, 10).cas("x", null, "2", false, 0, 10)
                    .check().isIllegal()).isTrue();
        }

        @Test
        void failedCasLeavesTheValueAlone() {
            KvHistory base = new KvHistory().put("x", "a", 0, 10).cas("x", "z", "b", false, 20, 30);
            assertThat(base.get("x", "a", 40, 50).check().isOk()).isTrue();
            assertThat(new KvHistory().put("x", "a", 0, 10).cas("x", "z", "b", false, 20, 30).get("x", "b", 40, 50)
                    .check().isIllegal()).isTrue();
        }

        @Test
        void casFailingWhileItsExpectationHeldIsIllegal() {
            assertThat(new KvHistory().put("x", "a", 0, 10).cas("x", "a", "b", false, 20, 30).check().isIllegal())
                    .isTrue();
        }

        @Test
        void casChainsLinearizeInTheOnlyPossibleOrder() {
            // three concurrent CASes that only work as a -> b -> c -> d
            KvHistory h = new KvHistory().put("x", "a", 0, 10)
                    .cas("x", "c", "d", true, 20, 100).cas("x", "b", "c", true, 20, 100).cas("x", "a", "b", true, 20, 100)
                    .get("x", "d", 110, 120);
            assertThat(h.check().isOk()).isTrue();
            h.get("x", "b", 130, 140);
            assertThat(h.check().isIllegal()).isTrue();
        }

        @Test
        void casAfterDeleteSeesAbsence() {
            assertThat(new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 30).cas("x", null, "b", true, 40, 50)
                    .get("x", "b", 60, 70).check().isOk()).isTrue();
            assertThat(new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 30).cas("x", "a", "b", true, 40, 50)
                    .check().isIllegal()).isTrue();
        }
    }

    @Nested
    class DeleteHistories {
        @Test
        void deleteOfAbsentKeyReportsNotExisting() {
            assertThat(new KvHistory().delete("x", false, 0, 10).check().isOk()).isTrue();
            assertThat(new KvHistory().delete("x", true, 0, 10).check().isIllegal()).isTrue();
        }

        @Test
        void deleteRemovesTheValue() {
            assertThat(new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 30).get("x", null, 40, 50).check()
                    .isOk()).isTrue();
            CheckResult result = new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 30).get("x", "a", 40, 50)
                    .check();
            assertThat(result.isIllegal()).isTrue();
            assertThat(result.explanation()).contains("delete(\"x\") -> existed", "all keys absent");
        }

        @Test
        void concurrentDeletesHaveOneWinner() {
            assertThat(new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 30).delete("x", false, 20, 30)
                    .check().isOk()).isTrue();
            assertThat(new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 30).delete("x", true, 20, 30)
                    .check().isIllegal()).isTrue();
        }

        @Test
        void deleteConcurrentWithPutMayGoEitherWay() {
            KvHistory h = new KvHistory().put("x", "a", 0, 10).delete("x", true, 20, 40).put("x", "b", 25, 35);
            // delete then put: b survives; put then delete: delete saw b and x ends absent
            assertThat(copyOf(h).get("x", "b", 50, 60).check().isOk()).isTrue();
            assertThat(copyOf(h).get("x", null, 50, 60).check().isOk()).isTrue();
            assertThat(copyOf(h).get("x", "a", 50, 60).check().isIllegal()).isTrue();
        }

        private KvHistory copyOf(KvHistory h) {
            KvHistory copy = new KvHistory();
            h.ops().forEach(op -> copy.add(op.input(), op.output(), op.callTime(), op.returnTime()));
            return copy;
        }
    }

    @Nested
    class Keys {
        @Test
        void keysAreIndependentRegisters() {
            assertThat(new KvHistory().put("x", "1", 0, 10).put("y", "2", 20, 30).get("x", "1", 40, 50)
                    .get("y", "2", 40, 50).get("z", null, 40, 50).check().isOk()).isTrue();
        }

        @Test
        void anIllegalHistoryOnOneKeyIsReportedWithThatKey() {
            KvHistory h = new KvHistory();
            for (String key : List.of("alpha", "beta", "gamma", "delta", "epsilon")) {
                h.put(key, key + "1", 0, 10).get(key, key + "1", 20, 30);
            }
            h.put("gamma", "gamma2", 40, 50).get("gamma", "gamma1", 60, 70);
            CheckResult result = h.check();
            assertThat(result.isIllegal()).isTrue();
            assertThat(result.partition()).isEqualTo("key \"gamma\"");
            assertThat(result.explanation()).contains("key \"gamma\"").doesNotContain("\"beta\"");
            assertThat(result.linearizedPrefix()).allSatisfy(
                    op -> assertThat(((KvInput) op.input()).key()).isEqualTo("gamma"));
        }

        @Test
        void modelWorksWithoutPartitioningToo() {
            Model<KvModel.State, KvInput, KvOutput> whole = new Model<>() {
                @Override
                public KvModel.State init() {
                    return MODEL.init();
                }

                @Override
                public Optional<KvModel.State> step(KvModel.State s, KvInput in, KvOutput out) {
                    return MODEL.step(s, in, out);
                }
            };
            KvHistory h = new KvHistory().put("x", "1", 0, 10).put("y", "2", 5, 15).get("x", "1", 12, 20)
                    .get("y", null, 0, 4);
            assertThat(LinearizabilityChecker.check(whole, h.ops()).isOk()).isTrue();
            h.get("y", null, 30, 40);
            assertThat(LinearizabilityChecker.check(whole, h.ops()).isIllegal()).isTrue();
        }
    }
}
