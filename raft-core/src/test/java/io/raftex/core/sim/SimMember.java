package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;
import io.raftex.core.log.InMemoryGroupLog;

/**
 * One simulated member as the {@link Invariants} see it, whichever shell drives its protocol core: the simulator's own
 * ({@link SimNode}) or the real {@link io.raftex.core.runtime.GroupRuntime} ({@link RuntimeNode}).
 */
interface SimMember {

    MemberId id();

    /** The member's simulated disk as it is now (a crash replaces it by what survived). */
    InMemoryGroupLog disk();

    /** The last index covered by a snapshot the member holds durably (entries up to it count as durable); 0 if none. */
    default long durableSnapshotIndex() {
        return 0;
    }

    /**
     * Whether the disk of the member's incarnation {@code incarnation} holds entry {@code index} of {@code term}
     * durably (or a durable snapshot covers it). For a disk the member has lost since, what it held when it was lost:
     * the configuration still binding that incarnation counts it as a voter that will never vote again, and a
     * commit that relied on it stays as safe as one relying on a voter that crashed for good.
     */
    default boolean heldDurably(long incarnation, long index, long term) {
        return disk().durableTermAt(index) == term || index <= durableSnapshotIndex();
    }

    /**
     * The configuration in force at the snapshot point its log starts after (index 0: its bootstrap configuration),
     * as its snapshot there or its bootstrap says, not its persisted configuration list.
     */
    default ClusterConfig configAtLogStart() {
        return disk().state().configs().get(0).config(); // a member that never changes its configuration
    }

    /** Whether the member's process runs. */
    boolean isUp();

    /** Kills the member's process: unsynced writes are lost, nothing it had queued runs. Nothing if it is down. */
    void crash();
}
