package io.raftex.core;

/**
 * The group no longer remembers this node's client session (it was evicted to bound the session table), so a
 * retried command could not be matched with its first result. It was not applied by this attempt; whether an
 * earlier attempt applied it is unknown.
 */
public class SessionExpiredException extends RaftException {

    public SessionExpiredException(String message) {
        super(message);
    }
}
