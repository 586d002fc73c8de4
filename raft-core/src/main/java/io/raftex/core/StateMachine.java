package io.raftex.core;

import java.io.IOException;
import java.io.InputStream;

/**
 * The replicated state of a group. Every member applies the same commands in the same order, so {@link #apply}
 * must be deterministic: the same state and command give the same result and the same next state on every
 * member, with no clock, randomness or I/O other than the state itself (use {@link ApplyContext} for time).
 *
 * <p>Snapshots are optional. A machine that does not override {@link #snapshot()} is rebuilt by replaying the log
 * from its start, and its group never compacts its log. A machine that does takes part in snapshots: every
 * {@code raft.snapshot.interval-entries} applied entries (and on request) the group captures it, writes the capture
 * out off the apply thread, and then lets the log before it go; a member too far behind, or restarting, gets its
 * state back through {@link #restore}.
 *
 * @param <C> command type
 * @param <R> result type
 */
public interface StateMachine<C, R> {

    /** Applies one committed command and returns its result. Called on one thread, in log order. */
    R apply(C command, ApplyContext context);

    /**
     * Captures the state as of the last applied command. Runs on the apply thread, so nothing is applied meanwhile:
     * keep it quick and let the returned {@link StateSnapshot} do the writing. A machine that cannot capture
     * cheaply may copy its whole state here (see {@link StateSnapshot#ofBytes}); applying then waits for that copy.
     *
     * @return the capture, or {@code null} (the default) if this machine takes no snapshots
     */
    default StateSnapshot snapshot() {
        return null;
    }

    /**
     * Replaces the whole state with one a {@link StateSnapshot} of this machine wrote. Runs on the apply thread.
     * The bytes come from a verified snapshot, but a machine should still check what it reads and throw an
     * {@link IOException} on anything malformed; it must then leave its state as it was.
     */
    default void restore(InputStream in) throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " takes no snapshots; override snapshot()"
                + " and restore() to use them");
    }
}
