package io.raftex.core.sim.check;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link LinearizabilityChecker#check}.
 *
 * @param verdict           OK, ILLEGAL or UNKNOWN (timed out)
 * @param partition         for ILLEGAL, the name of the offending partition (e.g. {@code key "x"}); otherwise {@code null}
 * @param linearizedPrefix  for ILLEGAL, the longest linearizable prefix the search found in that partition, in
 *                          linearization order; otherwise empty
 * @param unplacedOperation for ILLEGAL, the operation that could not be linearized after that prefix although its
 *                          return had been reached; otherwise {@code null}
 * @param explanation       a human-readable summary (multi-line for ILLEGAL)
 */
public record CheckResult(
        Verdict verdict,
        String partition,
        List<Operation<?, ?>> linearizedPrefix,
        Operation<?, ?> unplacedOperation,
        String explanation) {

    /** The three possible verdicts. */
    public enum Verdict {
        /** The history is linearizable. */
        OK,
        /** The history is not linearizable. */
        ILLEGAL,
        /** The check did not finish within its time budget. */
        UNKNOWN
    }

    /** Normalizes and validates components. */
    public CheckResult {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(explanation, "explanation");
        linearizedPrefix = linearizedPrefix == null ? List.of() : List.copyOf(linearizedPrefix);
    }

    static CheckResult ok(String explanation) {
        return new CheckResult(Verdict.OK, null, List.of(), null, explanation);
    }

    static CheckResult unknown(String explanation) {
        return new CheckResult(Verdict.UNKNOWN, null, List.of(), null, explanation);
    }

    static CheckResult illegal(String partition, List<Operation<?, ?>> prefix, Operation<?, ?> unplaced, String explanation) {
        return new CheckResult(Verdict.ILLEGAL, partition, prefix, unplaced, explanation);
    }

    /** {@code verdict() == OK}. */
    public boolean isOk() {
        return verdict == Verdict.OK;
    }

    /** {@code verdict() == ILLEGAL}. */
    public boolean isIllegal() {
        return verdict == Verdict.ILLEGAL;
    }

    /** {@code verdict() == UNKNOWN}. */
    public boolean isUnknown() {
        return verdict == Verdict.UNKNOWN;
    }

    @Override
    public String toString() {
        return verdict + ": " + explanation;
    }
}
