package io.raftex.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The replicated state of a group. Every member applies the same commands in the same order, so {@link #apply}
 * must be deterministic: the same state and command give the same result and the same next state on every
 * member, with no clock, randomness or I/O other than the state itself (use {@link ApplyContext} for time).
 *
 * @param <C> command type
 * @param <R> result type
 */
public interface StateMachine<C, R> {

    /** Applies one committed command and returns its result. Called on one thread, in log order. */
    R apply(C command, ApplyContext context);

    /** Writes the whole state to {@code out}; used for snapshots. */
    void writeSnapshot(OutputStream out) throws IOException;

    /** Replaces the whole state with one written by {@link #writeSnapshot}. */
    void readSnapshot(InputStream in) throws IOException;
}
