package io.raftex.core.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's log storage: one write-ahead log and one MapDB store of record shared by every group on the node.
 *
 * <pre>{@code
 * LogStorage storage = LogStorage.open(dataDir, StorageOptions.defaults());
 * GroupLog log = storage.openGroup("orders", initialState);   // once per group
 * ...
 * storage.close();                                            // flushes and releases every file
 * }</pre>
 *
 * <p>Layout under the data directory: {@code wal/wal-<seq>.log} (the WAL files), {@code segments/seg-<seq>.db}
 * (MapDB files, immutable once sealed) and {@code state.db} (MapDB, replaced atomically); see {@link SegmentStore}.
 * Opening replays every WAL record the sealed segments do not hold into the building segment (see
 * {@link WalRecovery}), so each group starts from MapDB with an empty memory table.
 *
 * <p>Failures are fail-stop for the whole node's storage: a WAL write or sync error, or a segment writer error,
 * is reported to every open group's listener, and every later write is refused with a {@link StorageException}.
 */
public final class LogStorage implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogStorage.class);

    private final Path dir;
    private final SegmentStore store;
    private final Wal wal;
    private final SegmentWriter segmentWriter;
    private final Map<String, DurableGroupLog> groups = new ConcurrentHashMap<>();
    private final long maxUnmovedBytes;
    private final Object room = new Object();
    private long unmovedBytes; // guarded by room
    private volatile StorageException failure;
    private volatile boolean closed;
    private volatile CommitListener commitListener;
    /** Test hook run after each segment is sealed, before the WAL files it covers are released. */
    volatile Runnable afterSegmentCommitHook;

    private LogStorage(Path dir, StorageOptions options, boolean runSegmentWriter) throws IOException {
        this.dir = dir;
        this.maxUnmovedBytes = options.maxUnmovedBytes();
        Path walDir = dir.resolve("wal");
        Files.createDirectories(walDir);
        options.fileIo().syncDirectory(dir);
        this.store = new SegmentStore(dir, options.chunkEntries(), options.chunkBytes(), options.segmentBytes(),
                options.fileIo());
        try {
            WalRecovery.Result recovered = WalRecovery.replay(walDir, store);
            if (recovered.records() > 0 || recovered.tornBytes() > 0) {
                log.info("storage {}: replayed {} WAL records into MapDB{}", dir, recovered.records(),
                        recovered.tornBytes() > 0 ? ", cut a torn tail of " + recovered.tornBytes() + " bytes" : "");
            }
            store.lock.lock();
            try {
                store.deleteDeadSegments(); // left behind by a crash between a seal and their deletion
            } finally {
                store.lock.unlock();
            }
            // The replayed records are in the building segment now, not sealed: their WAL files stay until a sealed
            // segment covers them. Writing goes on in a fresh file.
            this.wal = new Wal(walDir, recovered.lastSeq() + 1, options, new WalListener());
            wal.releaseBefore(store.checkpoint()[0]);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        this.segmentWriter = runSegmentWriter ? new SegmentWriter(this, store, options) : null;
    }

    /**
     * Opens (creating if needed) the storage in {@code dataDir}, recovering whatever an earlier run left.
     *
     * @throws StorageException if the directory cannot be used or holds corrupt data
     */
    public static LogStorage open(Path dataDir, StorageOptions options) {
        return open(dataDir, options, true);
    }

    /** As {@link #open(Path, StorageOptions)}; without the segment writer, the WAL keeps everything (tests). */
    static LogStorage open(Path dataDir, StorageOptions options, boolean runSegmentWriter) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(options, "options");
        try {
            return new LogStorage(dataDir, options, runSegmentWriter);
        } catch (IOException e) {
            throw new StorageException("cannot open storage in " + dataDir + ": " + e, e);
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StorageException("cannot open storage in " + dataDir + ": " + e, e);
        }
    }

    /**
     * The log of one group, recovered from disk; a group seen for the first time starts empty with
     * {@code initialIfNew}, which is persisted before this returns. A group may be open only once at a time; after
     * {@link #closeGroup} it may be opened again.
     */
    public synchronized GroupLog openGroup(String group, PersistentState initialIfNew) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(initialIfNew, "initialIfNew");
        checkUsable();
        if (groups.containsKey(group)) {
            throw new IllegalStateException("group " + group + " is already open in " + dir);
        }
        PersistentState state = store.loadState(group);
        if (state == null) {
            try {
                store.persistState(group, initialIfNew);
            } catch (StorageException e) {
                fail(e); // a state that may not be durable must not be acted on: fail-stop, like any state write
                throw e;
            }
            state = initialIfNew;
        }
        long[] start = store.start(group);
        DurableGroupLog groupLog = new DurableGroupLog(group, this, state, start[0], start[1],
                store.lastIndex(group));
        groups.put(group, groupLog);
        return groupLog;
    }

    /**
     * Closes one group's log, so that the group can be opened again from this storage (a group stopped and started
     * on a running node). Its writes already issued are made durable and moved into MapDB before this returns, its
     * durability listener is detached, its memory table dropped, and the closed {@link GroupLog} refuses writes.
     * A later {@link #openGroup} of the same name returns a new log that recovers the group's state and entries
     * from MapDB, every one of them durable. Other groups are not affected. Does nothing for a group that is not
     * open; never throws for a storage that has failed or closed (there is nothing left to flush then).
     *
     * <p>Blocks the caller until the segment writer has committed the group's last writes (normally one MapDB
     * commit, tens of milliseconds). In the test mode without a segment writer, the group's records stay in the WAL
     * and a reopened group sees only what MapDB held.
     */
    public synchronized void closeGroup(String group) {
        Objects.requireNonNull(group, "group");
        DurableGroupLog g = groups.get(group);
        if (g == null) {
            return;
        }
        g.beginClose();
        if (segmentWriter != null) {
            synchronized (room) {
                while (!g.allMoved() && failure == null && !closed) {
                    try {
                        room.wait(100); // woken after every move into MapDB; the bound notices a failure as well
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        g.dropTable();
        groups.remove(group, g);
    }

    /** Groups that have stored state in this directory, opened or not. */
    public Set<String> storedGroups() {
        return store.groups();
    }

    /**
     * Hears of every group commit of the WAL: one call per batch written and synced, whichever groups it holds
     * (for metrics). Called on the WAL writer thread, between the sync and the durability reports: keep it fast and
     * never block. One listener at a time; {@code null} removes it.
     */
    @FunctionalInterface
    public interface CommitListener {
        /**
         * One batch is durable.
         *
         * @param records WAL records in the batch (appends and truncations of every group)
         * @param bytes   framed bytes written
         * @param nanos   time to write and sync the batch
         */
        void onCommit(int records, int bytes, long nanos);
    }

    /** Sets the {@link CommitListener} (replacing any earlier one), or removes it with {@code null}. */
    public void setCommitListener(CommitListener listener) {
        this.commitListener = listener;
    }

    /** The failure that stopped this storage, or null while it works. */
    public StorageException failure() {
        return failure;
    }

    /**
     * Writes and syncs everything queued in the WAL and closes every file, so the same directory can be opened
     * again, also in this JVM. What is not yet in a sealed segment stays in the WAL and is replayed on open (at most
     * one segment's worth), so restarts do not leave small segments behind. Groups opened from this storage refuse
     * writes afterwards.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        wal.close();
        if (segmentWriter != null) {
            segmentWriter.close();
        }
        store.close();
    }

    // ---- package-private plumbing ----

    SegmentStore store() {
        return store;
    }

    Wal wal() {
        return wal;
    }

    SegmentWriter segmentWriter() {
        return segmentWriter;
    }

    void checkUsable() {
        StorageException f = failure;
        if (f != null) {
            throw new StorageException("storage in " + dir + " has failed: " + f.getMessage(), f);
        }
        if (closed) {
            throw new StorageException("storage in " + dir + " is closed");
        }
    }

    /**
     * Counts {@code bytes} more as written but not yet moved into MapDB. Never waits: a group thread blocked here
     * would hold up the heartbeats and votes of its group. Over the bound, {@link #backPressured()} tells the
     * protocol cores to take no new entries until the segment writer catches up.
     */
    void reserve(long bytes) {
        if (segmentWriter == null) {
            return;
        }
        synchronized (room) {
            unmovedBytes += bytes;
        }
    }

    /** True while the bytes not yet moved into MapDB are at or over the bound (see {@link GroupLog#backPressured}). */
    boolean backPressured() {
        if (segmentWriter == null) {
            return false;
        }
        synchronized (room) {
            return unmovedBytes >= maxUnmovedBytes;
        }
    }

    /** Bytes written to the WAL but not yet moved into MapDB (for tests and metrics). */
    long unmovedBytes() {
        synchronized (room) {
            return unmovedBytes;
        }
    }

    /** Bytes the segment writer has moved into MapDB, or that were never written; wakes {@link #closeGroup} too. */
    void release(long bytes) {
        if (segmentWriter == null) {
            return;
        }
        synchronized (room) {
            unmovedBytes -= bytes;
            room.notifyAll();
        }
    }


    void afterSegmentCommit() {
        Runnable hook = afterSegmentCommitHook;
        if (hook != null) {
            hook.run();
        }
    }

    /** Stops the storage for good and tells every group. */
    void fail(StorageException e) {
        synchronized (groups) {
            if (failure != null) {
                return;
            }
            failure = e;
        }
        // The one log line for this failure (the WAL does not log it, the groups log one line each without a trace).
        log.error("storage in {} failed, every group on this node stops: {}", dir, e.getMessage(),
                e.getCause() != null ? e.getCause() : e);
        wal.refuse(e);
        for (DurableGroupLog g : groups.values()) {
            try {
                g.reportFailure(e);
            } catch (RuntimeException listenerError) {
                log.warn("listener of group {} threw on failure", g.group(), listenerError);
            }
        }
    }

    /** Reports durability per group, coalescing a group's appends of one batch that share a truncation count. */
    private final class WalListener implements Wal.Listener {
        @Override
        public void batchSynced(int records, int bytes, long nanos) {
            CommitListener l = commitListener;
            if (l != null) {
                try {
                    l.onCommit(records, bytes, nanos);
                } catch (RuntimeException e) {
                    log.warn("commit listener threw", e);
                }
            }
        }

        @Override
        public void batchDurable(List<WalRequest> batch) {
            Map<DurableGroupLog, WalRequest> latest = new HashMap<>();
            for (WalRequest r : batch) {
                if (r.synced != null) {
                    r.synced.complete(null);
                }
                if (!r.record.isAppend()) {
                    continue;
                }
                WalRequest previous = latest.put(r.owner, r);
                if (previous != null && previous.truncations != r.truncations) {
                    report(previous);
                }
            }
            latest.values().forEach(this::report);
            if (segmentWriter != null) {
                segmentWriter.enqueue(batch);
            }
        }

        private void report(WalRequest r) {
            try {
                r.owner.reportDurable(r.lastIndex, r.lastTerm, r.truncations);
            } catch (RuntimeException e) {
                log.warn("durability listener of group {} threw", r.owner.group(), e);
            }
        }

        @Override
        public void failed(StorageException e) {
            fail(e);
        }
    }
}
