package io.raftex.core.runtime;

import io.raftex.core.GroupStoppedException;

/**
 * Requests waiting on the core, each until an answer or its deadline: the one shape that commands, queries,
 * membership changes and leadership transfers share. Used on the group thread only.
 */
interface PendingWork {

    /**
     * Fails what is past its deadline (saying whether it may still take effect) and asks again for what is due;
     * with {@code leaderFound}, also for what waits out a back-off because no leader was known.
     */
    void sweep(long nowMillis, boolean leaderFound);

    /** The group stopped: fails everything waiting, saying which of it may still take effect. */
    void failAll(GroupStoppedException reason);
}
