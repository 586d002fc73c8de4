package io.raftex.autoconfigure.transport;

/** Told about every batch the HTTP transport sends; for metrics. Called on transport threads: keep it fast. */
@FunctionalInterface
public interface RpcObserver {

    /** An observer that ignores everything. */
    RpcObserver NONE = (peer, messages, outcome, nanos) -> { };

    /**
     * One batch posted to {@code peer}'s {@code /raft/rpc} ended.
     *
     * @param peer     the receiving member's id
     * @param messages how many messages the batch held
     * @param outcome  how it ended
     * @param nanos    how long the call took (0 if it was never sent)
     */
    void onBatch(String peer, int messages, Outcome outcome, long nanos);

    /**
     * One batch (one line) was written to {@code peer}'s stream ({@link Outcome#SUCCESS}), could not be written
     * because the stream broke ({@link Outcome#ERROR}), or was dropped because no stream was open
     * ({@link Outcome#SKIPPED}). Nothing answers a batch on a stream: success means it left this node.
     *
     * @param nanos how long writing and flushing it took (0 if it was dropped)
     */
    default void onStreamBatch(String peer, int messages, Outcome outcome, long nanos) {
    }

    /**
     * One attempt to open a stream to {@code peer} ended: {@link Outcome#SUCCESS} (the peer accepted it),
     * {@link Outcome#REJECTED} (it answered another status: 401, 404, 503, ...), {@link Outcome#ERROR}
     * (connection refused, reset, ...), {@link Outcome#TIMEOUT}, or {@link Outcome#SKIPPED} (the peer's circuit
     * breaker is open: no attempt was made).
     */
    default void onStreamOpen(String peer, Outcome outcome, long nanos) {
    }

    /** How a batch ended. */
    enum Outcome {
        /** The peer accepted it (2xx). */
        SUCCESS,
        /** The peer answered with an error status. */
        REJECTED,
        /** The call failed (connection refused, reset, ...). */
        ERROR,
        /** The call took longer than raft.rpc.timeout and was cancelled. */
        TIMEOUT,
        /** The peer's circuit breaker is open (or, on a stream, no stream is open): dropped without a call. */
        SKIPPED
    }
}
