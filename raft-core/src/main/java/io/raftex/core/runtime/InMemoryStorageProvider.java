package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.snapshot.InMemorySnapshotStore;
import io.raftex.core.snapshot.SnapshotStore;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps group logs in memory, as a simulated disk that outlives the node using it: a node that is closed and a new
 * node given the same provider find each group's log as a restarted process would find it on disk (its durable
 * entries and metadata, see {@link InMemoryGroupLog#crash()}). Every write is durable as soon as it is issued
 * (the log's auto-flush), and reported to the group asynchronously through its thread.
 *
 * <p>Each group's snapshots live in one {@link InMemorySnapshotStore} that outlives the node the same way: opening
 * the group's log again (a new incarnation) drops the snapshots its previous incarnation was still writing or
 * receiving, as a restarted process deletes their temporary files.
 *
 * <p>For tests, examples and nodes that need no durability. Closing it forgets nothing.
 */
public final class InMemoryStorageProvider implements StorageProvider {

    private final Map<String, InMemoryGroupLog> disks = new ConcurrentHashMap<>();
    private final Map<String, InMemorySnapshotStore> snapshotDisks = new ConcurrentHashMap<>();

    @Override
    public GroupLog open(String group, MemberId self, PersistentState initial) {
        InMemorySnapshotStore snapshots = snapshotDisks.get(group);
        if (snapshots != null) {
            snapshots.crash(); // what the previous incarnation had not committed is gone
        }
        return disks.compute(group, (g, old) -> (old == null ? new InMemoryGroupLog(initial) : old.crash())
                .autoFlush(true));
    }

    /** The group's {@link InMemorySnapshotStore}: created on the first call, the same one until {@link #wipe}. */
    @Override
    public SnapshotStore snapshots(String group, MemberId self) {
        return snapshotDisks.computeIfAbsent(group, InMemorySnapshotStore::new);
    }

    @Override
    public void close(String group, GroupLog log) {
        // nothing to release; the log stays as the "disk" for the next open
    }

    /** The log of {@code group} as last opened; not thread-safe while its group runs. */
    public Optional<InMemoryGroupLog> log(String group) {
        return Optional.ofNullable(disks.get(group));
    }

    /** The snapshot store of {@code group}, if {@link #snapshots} was asked for it. */
    public Optional<InMemorySnapshotStore> snapshotStore(String group) {
        return Optional.ofNullable(snapshotDisks.get(group));
    }

    /** Forgets the stored log and snapshots of {@code group}, as if its disk were wiped. */
    public void wipe(String group) {
        disks.remove(group);
        snapshotDisks.remove(group);
    }

    @Override
    public void close() {
        // a simulated disk survives its node
    }
}
