package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.log.DataDirIdentity;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.IdentityMismatchException;
import io.raftex.core.log.LogStorage;
import io.raftex.core.log.PersistentState;
import io.raftex.core.log.StorageException;
import io.raftex.core.log.StorageOptions;
import io.raftex.core.snapshot.FileSnapshotStore;
import io.raftex.core.snapshot.SnapshotStore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Durable storage for a node: one {@link LogStorage} (a shared write-ahead log with group commit in front of a
 * MapDB store of record) in the node's data directory, holding the logs of all its groups. Closing it flushes and
 * releases every file, so the directory can be opened again, also in the same JVM.
 *
 * <p>Closing a group ({@link #close(String, GroupLog)}, when it stops) flushes its writes into MapDB and releases it
 * in the storage, so the same group can be opened again from this provider (a stopped and restarted group, or a
 * Spring context stopped and started). After a storage failure, which stops every group of the node, the storage
 * refuses writes for good: close the node and open a new one over the same directory.
 *
 * <p>Each group's snapshots are files in {@code <dataDir>/snapshots/<group>/} ({@link FileSnapshotStore}), forced
 * through the same {@link StorageOptions#fileIo()} as the log.
 */
public final class DurableStorageProvider implements StorageProvider {

    private static final Logger LOG = LoggerFactory.getLogger(DurableStorageProvider.class);

    private final LogStorage storage;
    private final Path snapshotDir;
    private final StorageOptions options;
    private final Map<String, FileSnapshotStore> snapshotStores = new ConcurrentHashMap<>();

    private final DataDirIdentity identity;

    private DurableStorageProvider(LogStorage storage, Path dataDir, StorageOptions options,
                                   DataDirIdentity identity) {
        this.storage = storage;
        this.identity = identity;
        this.snapshotDir = dataDir.resolve("snapshots");
        this.options = options;
    }

    /**
     * Opens (creating if needed) the storage in {@code dataDir}, recovering what an earlier run left there.
     *
     * @throws StorageException if the directory cannot be used or holds corrupt data
     */
    public static DurableStorageProvider open(Path dataDir, StorageOptions options) {
        return open(dataDir, options, Optional.empty());
    }

    /**
     * As {@link #open(Path, StorageOptions)} for node {@code nodeId}: its identity record ({@link DataDirIdentity},
     * created with a new incarnation in an empty directory) must name this node.
     *
     * @throws IdentityMismatchException if the directory belongs to another node or cluster, or is of a newer format
     */
    public static DurableStorageProvider open(Path dataDir, StorageOptions options, Optional<String> nodeId) {
        return open(dataDir, options, nodeId, Optional.empty());
    }

    /**
     * As {@link #open(Path, StorageOptions, Optional)}, for a node of cluster {@code clusterId} if given: a directory
     * without a cluster id records it, one recorded for another cluster is refused.
     *
     * @throws IdentityMismatchException if the directory belongs to another node or cluster, or is of a newer format
     */
    public static DurableStorageProvider open(Path dataDir, StorageOptions options, Optional<String> nodeId,
                                              Optional<String> clusterId) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(options, "options");
        DataDirIdentity identity = DataDirIdentity.open(dataDir, nodeId, clusterId);
        LOG.info("data directory {}: node {}, incarnation {}{}", dataDir,
                identity.nodeId().isEmpty() ? "(not recorded)" : identity.nodeId(),
                Long.toHexString(identity.incarnation()),
                identity.incarnation() == 0 ? " (none: written before identities existed)" : "");
        return new DurableStorageProvider(LogStorage.open(dataDir, options), dataDir, options, identity);
    }

    /** The identity of the data directory. */
    public DataDirIdentity identity() {
        return identity;
    }

    @Override
    public long incarnation() {
        return identity.incarnation();
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
        return storage.openGroup(group, initial);
    }

    /**
     * The {@link FileSnapshotStore} in {@code <dataDir>/snapshots/<group>}, opened (and its leftover temporary files
     * deleted) on the first call for the group, the same instance afterwards, also across a group's restarts.
     *
     * @throws IllegalArgumentException if {@code group} could name another directory (a path separator, {@code ..})
     * @throws StorageException         if the directory cannot be created or cleaned
     */
    @Override
    public SnapshotStore snapshots(String group, MemberId self) {
        Path dir = snapshotDirectory(group);
        return snapshotStores.computeIfAbsent(group, g -> {
            try {
                return FileSnapshotStore.open(dir, options.fileIo());
            } catch (IOException e) {
                throw new StorageException("cannot open the snapshot store of group " + g + ": " + e.getMessage(), e);
            }
        });
    }

    /** Where the snapshots of {@code group} are kept; refuses a name that would leave {@code <dataDir>/snapshots}. */
    private Path snapshotDirectory(String group) {
        Objects.requireNonNull(group, "group");
        if (group.isEmpty() || group.equals(".") || group.contains("..") || group.contains("/")
                || group.contains("\\") || group.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("group name cannot be used as a directory name: '" + group + "'");
        }
        Path dir = snapshotDir.resolve(group).normalize();
        if (!snapshotDir.normalize().equals(dir.getParent())) {
            throw new IllegalArgumentException("group name cannot be used as a directory name: '" + group + "'");
        }
        return dir;
    }

    /** Flushes the group's writes into MapDB, detaches it and releases it, so that it may be opened again. */
    @Override
    public void close(String group, GroupLog log) {
        try {
            storage.closeGroup(group);
        } catch (RuntimeException e) {
            LOG.warn("closing the log of group {} failed: {}", group, e.toString());
        }
    }

    @Override
    public void close() {
        storage.close();
    }
}
