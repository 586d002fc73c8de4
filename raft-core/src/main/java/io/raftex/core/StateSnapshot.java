package io.raftex.core;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A state machine's state captured at one point of its log, returned by {@link StateMachine#snapshot()}. The capture
 * happens on the apply thread and should be quick (an immutable view, a copy-on-write structure, a database's
 * point-in-time read); {@link #writeTo} then runs on another thread while commands are applied, and
 * {@link #release} runs last, whether the write succeeded or not.
 */
public interface StateSnapshot {

    /** Writes the captured state; called once, off the apply thread. Must not read the live state. */
    void writeTo(OutputStream out) throws IOException;

    /** Frees what the capture holds; called once after {@link #writeTo}, or instead of it if it is abandoned. */
    default void release() {
    }

    /** A capture that is already a byte array: for a machine that copies its state out while {@code snapshot()} runs. */
    static StateSnapshot ofBytes(byte[] state) {
        byte[] copy = state.clone();
        return out -> out.write(copy);
    }
}
