package io.raftex.autoconfigure.transport;

/** Told about every batch the HTTP transport sends; for metrics. Called on transport threads: keep it fast. */
@FunctionalInterface
public interface RpcObserver {

    /** An observer that ignores everything. */
    RpcObserver NONE = (peer, messages, outcome, nanos) -> { };

    /**
     * One batch to {@code peer} ended.
     *
     * @param peer     the receiving member's id
     * @param messages how many messages the batch held
     * @param outcome  how it ended
     * @param nanos    how long the call took (0 if it was never sent)
     */
    void onBatch(String peer, int messages, Outcome outcome, long nanos);

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
        /** The peer's circuit breaker is open: the batch was dropped without a call. */
        SKIPPED
    }
}
