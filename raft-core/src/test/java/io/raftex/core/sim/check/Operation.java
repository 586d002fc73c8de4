package io.raftex.core.sim.check;

import java.util.Objects;

/**
 * One client operation in a concurrent history: what was asked ({@code input}), what was answered ({@code output})
 * and the closed real-time interval {@code [callTime, returnTime]} during which it was in flight.
 *
 * <p>An operation whose outcome is unknown (the client timed out; it may or may not have taken effect) has
 * {@code returnTime == }{@link #NEVER_RETURNED} and an output that the {@link Model} treats as "unknown". Such an
 * operation may be linearized at any point after its call, including "never" (which, for checking purposes, is the
 * same as "after everything else").
 *
 * @param clientId   identifies the issuing client; informational only (used in explanations)
 * @param input      the request, never {@code null}
 * @param output     the response, interpreted by the model (may be {@code null} if the model allows it)
 * @param callTime   when the request was issued
 * @param returnTime when the response was received, {@code >= callTime}, or {@link #NEVER_RETURNED}
 * @param <I>        input type
 * @param <O>        output type
 */
public record Operation<I, O>(int clientId, I input, O output, long callTime, long returnTime) {

    /** The {@code returnTime} of an operation whose outcome is unknown. */
    public static final long NEVER_RETURNED = Long.MAX_VALUE;

    /** Validates the interval. */
    public Operation {
        Objects.requireNonNull(input, "input");
        if (returnTime < callTime) {
            throw new IllegalArgumentException(
                    "returnTime " + returnTime + " is before callTime " + callTime + " (client " + clientId + ", " + input + ")");
        }
    }

    /** A completed operation with interval {@code [callTime, returnTime]}. */
    public static <I, O> Operation<I, O> of(int clientId, I input, O output, long callTime, long returnTime) {
        return new Operation<>(clientId, input, output, callTime, returnTime);
    }

    /**
     * An operation whose outcome is unknown: it was called at {@code callTime} and may have taken effect at any later
     * time, or never.
     *
     * @param unknownOutput the model's "unknown" output value
     */
    public static <I, O> Operation<I, O> unknown(int clientId, I input, O unknownOutput, long callTime) {
        return new Operation<>(clientId, input, unknownOutput, callTime, NEVER_RETURNED);
    }

    /** {@code true} if this operation never returned, i.e. its outcome is unknown. */
    public boolean isUnknown() {
        return returnTime == NEVER_RETURNED;
    }
}
