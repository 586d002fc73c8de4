package io.raftex.core.session;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;

import java.io.IOException;
import java.io.InputStream;

/** A state machine seen at the byte level: commands and results already encoded. */
public interface EncodedStateMachine {

    /** Applies one encoded command; deterministic. */
    byte[] apply(byte[] command, ApplyContext context);

    /** Applies one encoded command and returns its answer, with the unencoded value if this machine has one. */
    default CommandResult.Applied applyForResult(byte[] command, ApplyContext context) {
        return new CommandResult.Applied(apply(command, context));
    }

    /** Captures the state for a snapshot, or null if this machine takes none (see {@link StateMachine#snapshot()}). */
    StateSnapshot snapshot();

    /** Replaces the whole state with one a capture of {@link #snapshot()} wrote. */
    void restore(InputStream in) throws IOException;
}
