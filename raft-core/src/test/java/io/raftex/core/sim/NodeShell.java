package io.raftex.core.sim;

import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.log.InMemoryGroupLog;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What both simulator modes' members share around their protocol core: the process that starts and dies, each start
 * and each death a new incarnation (work of an older one is ignored), and the simulated disk, whose writes become
 * durable only when a flush runs after a random delay (longer while the disk is slow) and of which a crash keeps
 * only what was flushed.
 *
 * @param <C> the cluster of the mode
 */
abstract class NodeShell<C extends BaseSimCluster<?>> implements SimMember {

    /** What the member's protocol core says of itself now, as the cluster's views (leader, convergence) need it. */
    record View(Role role, long term, Optional<MemberId> leader, long commitIndex, long lastApplied,
                long lastLogIndex) {
    }

    final MemberId id;
    protected final C cluster;
    protected final SimScheduler scheduler;
    InMemoryGroupLog disk;
    /** The process runs. */
    boolean up;
    /** Counts starts and deaths: work of an older incarnation is ignored. */
    int incarnation;
    /** The commit index up to which the invariants have seen this incarnation's commits. */
    private long lastCheckedCommit;
    private boolean flushScheduled;
    /**
     * A slow disk: until virtual time {@code slowDiskUntil}, a write waits up to {@code slowDiskMaxDelay} ms to become
     * durable instead of the cluster's few, so the member applies and snapshots entries its log has not synced.
     */
    long slowDiskUntil;
    int slowDiskMaxDelay;

    NodeShell(MemberId id, C cluster, InMemoryGroupLog disk) {
        this.id = id;
        this.cluster = cluster;
        this.scheduler = cluster.scheduler;
        this.disk = disk;
    }

    @Override
    public MemberId id() {
        return id;
    }

    @Override
    public boolean isUp() {
        return up;
    }

    @Override
    public InMemoryGroupLog disk() {
        return disk;
    }

    /** Whether clients can talk to the member now. */
    abstract boolean serving();

    /** What the member's core says of itself; only while it is {@link #serving()}. */
    abstract View view();

    /** The process starts: a new incarnation, whose state machine the invariants see apply everything anew. */
    protected int comeUp() {
        incarnation++;
        up = true;
        flushScheduled = false;
        lastCheckedCommit = 0;
        cluster.invariants.onRestart(this);
        return incarnation;
    }

    /** The process is gone: it leaves the network, and the next open of its disk finds what was durable. */
    protected void goDown() {
        up = false;
        incarnation++;
        cluster.network.unregister(id);
        disk = disk.crash();
    }

    /**
     * Everything up to {@code index} is committed on this member: the invariants check what it adds to what they saw
     * of this incarnation ({@code leaderTerm}: the term it leads in, if it counted the quorum itself).
     */
    protected void committedUpTo(long index, OptionalLong leaderTerm) {
        cluster.invariants.onCommit(this, lastCheckedCommit, index, leaderTerm);
        lastCheckedCommit = Math.max(lastCheckedCommit, index);
    }

    /** Flushes the disk after a random delay, unless incarnation {@code inc} is over by then or nothing waits. */
    protected void scheduleFlush(int inc) {
        if (inc != incarnation || flushScheduled || !disk.hasPendingWrites()) {
            return;
        }
        flushScheduled = true;
        int maxDelay = scheduler.now() < slowDiskUntil ? slowDiskMaxDelay : cluster.diskMaxDelay;
        scheduler.after(scheduler.between(1, maxDelay), () -> {
            if (inc != incarnation) {
                return;
            }
            flushScheduled = false;
            disk.flush();
            afterFlush();
            scheduleFlush(inc);
        });
    }

    /** The disk just made its writes durable (the runtime hears of it from the disk itself). */
    protected void afterFlush() {
    }
}
