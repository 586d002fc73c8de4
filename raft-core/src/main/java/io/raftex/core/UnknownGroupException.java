package io.raftex.core;

/** No group of that name runs on this node. */
public class UnknownGroupException extends RaftException {

    public UnknownGroupException(String group) {
        super("no group named '" + group + "' on this node");
    }
}
