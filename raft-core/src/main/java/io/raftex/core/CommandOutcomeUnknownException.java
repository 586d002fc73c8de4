package io.raftex.core;

/**
 * A command may have been appended to the log, but whether it committed is not known to this member: it may still
 * be applied later (at most once), or never. Raised when the deadline passes ({@link CommandTimeoutException}) and
 * when the group stops while such a command waits. Read the state to find out; a retry with a new command may apply
 * twice.
 */
public class CommandOutcomeUnknownException extends RaftException {
    public CommandOutcomeUnknownException(String message) {
        super(message);
    }

    public CommandOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
