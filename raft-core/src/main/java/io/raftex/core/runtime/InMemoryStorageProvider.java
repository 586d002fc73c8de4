package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
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
 * <p>For tests, examples and nodes that need no durability. Closing it forgets nothing.
 */
public final class InMemoryStorageProvider implements StorageProvider {

    private final Map<String, InMemoryGroupLog> disks = new ConcurrentHashMap<>();

    @Override
    public GroupLog open(String group, MemberId self, PersistentState initial) {
        return disks.compute(group, (g, old) -> (old == null ? new InMemoryGroupLog(initial) : old.crash())
                .autoFlush(true));
    }

    @Override
    public SnapshotStore snapshots(String group, MemberId self) {
        throw new UnsupportedOperationException("snapshot store not wired yet");
    }

    @Override
    public void close(String group, GroupLog log) {
        // nothing to release; the log stays as the "disk" for the next open
    }

    /** The log of {@code group} as last opened; not thread-safe while its group runs. */
    public Optional<InMemoryGroupLog> log(String group) {
        return Optional.ofNullable(disks.get(group));
    }

    /** Forgets the stored log of {@code group}, as if its disk were wiped. */
    public void wipe(String group) {
        disks.remove(group);
    }

    @Override
    public void close() {
        // a simulated disk survives its node
    }
}
