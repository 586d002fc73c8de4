package io.raftex.core;

/** A query could not be served at the requested consistency before its deadline. Nothing was changed. */
public class QueryTimeoutException extends RaftException {

    public QueryTimeoutException(String message) {
        super(message);
    }
}
