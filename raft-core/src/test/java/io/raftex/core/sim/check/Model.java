package io.raftex.core.sim.check;

import java.util.List;
import java.util.Optional;

/**
 * A sequential specification of an object, used by {@link LinearizabilityChecker}.
 *
 * <p>States must be immutable values with proper {@code equals}/{@code hashCode}: the checker memoizes
 * (set of linearized operations, state) pairs. {@link #step} must be a pure function.
 *
 * @param <S> state type
 * @param <I> operation input type
 * @param <O> operation output type
 */
public interface Model<S, I, O> {

    /** The initial state. */
    S init();

    /**
     * Applies one operation to {@code state}.
     *
     * @return the successor state, or empty if {@code output} is not a legal response to {@code input} in {@code state}
     */
    Optional<S> step(S state, I input, O output);

    /**
     * Splits a history into independent sub-histories that can be checked separately (P-compositionality: the
     * history is linearizable iff every part is). The default keeps the history whole. Implementations should
     * return partitions in a deterministic order and keep the history order inside each partition.
     */
    default List<List<Operation<I, O>>> partition(List<Operation<I, O>> history) {
        return List.of(history);
    }

    /** Names a partition in explanations, e.g. {@code key "x"}. */
    default String describePartition(int index, List<Operation<I, O>> partition) {
        return "partition #" + index;
    }

    /** Renders one operation (without its timing) in explanations. */
    default String describeOperation(I input, O output) {
        return input + " -> " + output;
    }

    /** Renders a state in explanations. */
    default String describeState(S state) {
        return String.valueOf(state);
    }
}
