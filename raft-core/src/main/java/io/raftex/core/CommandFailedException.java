package io.raftex.core;

/**
 * The state machine refused a committed command: it could not be decoded, or {@code apply} threw. The command
 * changed nothing, on any member, and retrying it gives the same answer.
 */
public class CommandFailedException extends RaftException {

    public CommandFailedException(String message) {
        super(message);
    }
}
