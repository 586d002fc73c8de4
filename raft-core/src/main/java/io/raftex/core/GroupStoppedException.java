package io.raftex.core;

/** The group stopped (its node closed, or a storage failure stopped it) and takes no more requests. */
public class GroupStoppedException extends RaftException {

    public GroupStoppedException(String message, Throwable cause) {
        super(message, cause);
    }
}
