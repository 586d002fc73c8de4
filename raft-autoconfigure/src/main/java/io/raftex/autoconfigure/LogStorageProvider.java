package io.raftex.autoconfigure;

import io.raftex.core.MemberId;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogStorage;
import io.raftex.core.log.PersistentState;
import io.raftex.core.runtime.StorageProvider;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's durable storage: one {@link LogStorage} (shared WAL plus MapDB) in {@code raft.data-dir} for every
 * group. Opened when the bean is created, so a corrupt or locked store stops the application at startup.
 */
public final class LogStorageProvider implements StorageProvider {

    private final LogStorage storage;
    /** LogStorage opens each group once; a group restarted on the same node gets its log back. */
    private final Map<String, GroupLog> open = new ConcurrentHashMap<>();

    public LogStorageProvider(LogStorage storage) {
        this.storage = storage;
    }

    @Override
    public GroupLog open(String group, MemberId self, PersistentState initial) {
        return open.computeIfAbsent(group, g -> storage.openGroup(g, initial));
    }

    @Override
    public void close(String group, GroupLog log) {
        // the shared storage closes every group's files in close()
    }

    @Override
    public void close() {
        storage.close();
    }

    /** The underlying storage. */
    public LogStorage storage() {
        return storage;
    }
}
