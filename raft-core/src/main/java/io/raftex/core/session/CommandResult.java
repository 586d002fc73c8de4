package io.raftex.core.session;

/** What applying a client command produced. */
public sealed interface CommandResult {

    /**
     * The command was applied now; {@code result} is the state machine's encoded answer and {@code value} the same
     * answer as the state machine returned it, when the caller knows it (null otherwise; never kept for duplicates).
     */
    record Applied(byte[] result, Object value) implements CommandResult {

        /** An answer known only encoded. */
        public Applied(byte[] result) {
            this(result, null);
        }
    }

    /** The command had been applied before; {@code result} is the answer it gave then. */
    record Duplicate(byte[] result) implements CommandResult {
    }

    /**
     * The command's sequence number is below what the session still remembers (the client had already been
     * answered, or the session expired); it was not applied again, and its first result is gone.
     */
    record SessionExpired(long clientId, long sequence) implements CommandResult {
    }

    /**
     * The state machine refused the command: decoding it or applying it threw. Every member refuses it the same
     * way, the state is unchanged (a state machine must not change its state when it throws), and a retry gets the
     * same answer.
     */
    record Failed(String reason) implements CommandResult {
    }

    /** The encoded answer, for results that carry one. */
    default byte[] bytes() {
        if (this instanceof Applied a) {
            return a.result();
        }
        if (this instanceof Duplicate d) {
            return d.result();
        }
        throw new IllegalStateException("no result: " + this);
    }
}
