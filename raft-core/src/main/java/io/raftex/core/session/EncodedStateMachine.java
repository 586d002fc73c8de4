package io.raftex.core.session;

import io.raftex.core.ApplyContext;

/**
 * A state machine seen at the byte level, as the session table applies it: commands and results already encoded.
 * Snapshots are not its concern: the runtime captures and restores the user's machine itself.
 */
public interface EncodedStateMachine {

    /** Applies one encoded command; deterministic. */
    byte[] apply(byte[] command, ApplyContext context);

    /** Applies one encoded command and returns its answer, with the unencoded value if this machine has one. */
    default CommandResult.Applied applyForResult(byte[] command, ApplyContext context) {
        return new CommandResult.Applied(apply(command, context));
    }
}
