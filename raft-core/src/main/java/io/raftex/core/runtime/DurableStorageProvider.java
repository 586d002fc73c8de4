package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogStorage;
import io.raftex.core.log.PersistentState;
import io.raftex.core.log.StorageException;
import io.raftex.core.log.StorageOptions;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Durable storage for a node: one {@link LogStorage} (a shared write-ahead log with group commit in front of a
 * MapDB store of record) in the node's data directory, holding the logs of all its groups. Closing it flushes and
 * releases every file, so the directory can be opened again, also in the same JVM.
 *
 * <p>A group can be opened once per provider: to run a group again after it stopped (for example after a storage
 * failure, which stops every group of the node), close the node and open a new one over the same directory.
 */
public final class DurableStorageProvider implements StorageProvider {

    private static final GroupLog.DurabilityListener DETACHED = new GroupLog.DurabilityListener() {
        @Override
        public void onDurable(long index, long term, long truncations) {
        }

        @Override
        public void onFailure(StorageException failure) {
        }
    };

    private final LogStorage storage;
    private final Set<String> opened = ConcurrentHashMap.newKeySet();

    private DurableStorageProvider(LogStorage storage) {
        this.storage = storage;
    }

    /**
     * Opens (creating if needed) the storage in {@code dataDir}, recovering what an earlier run left there.
     *
     * @throws StorageException if the directory cannot be used or holds corrupt data
     */
    public static DurableStorageProvider open(Path dataDir, StorageOptions options) {
        return new DurableStorageProvider(LogStorage.open(Objects.requireNonNull(dataDir, "dataDir"),
                Objects.requireNonNull(options, "options")));
    }

    /** {@link #open(Path, StorageOptions)} with {@link StorageOptions#defaults()} (fsync every batch). */
    public static DurableStorageProvider open(Path dataDir) {
        return open(dataDir, StorageOptions.defaults());
    }

    /** The node storage underneath. */
    public LogStorage storage() {
        return storage;
    }

    @Override
    public GroupLog open(String group, MemberId self, PersistentState initial) {
        if (!opened.add(group)) {
            throw new StorageException("group '" + group + "' was already opened from this storage; to run it again,"
                    + " restart the node over its data directory");
        }
        return storage.openGroup(group, initial);
    }

    @Override
    public void close(String group, GroupLog log) {
        // LogStorage has no per-group close yet: detach the stopped group from further reports
        log.setDurabilityListener(DETACHED);
    }

    @Override
    public void close() {
        storage.close();
    }
}
