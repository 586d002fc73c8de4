package io.raftex.core;

/** How fresh the state a query runs against must be. */
public enum ReadConsistency {
    /**
     * ReadIndex: the leader confirms it still leads with a quorum round, and the member that runs the query waits
     * until it has applied up to the leader's commit index. Sees every write acknowledged before the query started.
     */
    LINEARIZABLE,
    /**
     * The leader's commit index without a quorum round: the member waits until it has applied up to it. Usually
     * fresh, but a deposed leader that does not yet know it may answer from a stale state.
     */
    LEADER,
    /** Runs on the local state at once; may be arbitrarily stale. */
    LOCAL
}
