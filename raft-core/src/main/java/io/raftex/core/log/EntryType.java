package io.raftex.core.log;

/** What a log entry carries. */
public enum EntryType {
    /** Appended by a new leader to commit an entry of its own term; changes no state. */
    NOOP,
    /** A client command for the state machine. */
    COMMAND,
    /** A new cluster configuration. */
    CONFIG
}
