package io.raftex.core;

/**
 * A command was not known to be committed before its deadline. It may still be applied later (at most once); the
 * caller cannot tell from this exception whether it was.
 */
public class CommandTimeoutException extends CommandOutcomeUnknownException {

    public CommandTimeoutException(String message) {
        super(message);
    }
}
