package io.raftex.core;

/** The group has no leader this member can reach right now; the request was not carried out. Retry later. */
public class NoLeaderException extends RaftException {

    private final String group;

    public NoLeaderException(String group, String message) {
        super(message);
        this.group = group;
    }

    /** The group that has no leader. */
    public String group() {
        return group;
    }
}
