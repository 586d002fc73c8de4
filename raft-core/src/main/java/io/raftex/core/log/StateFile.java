package io.raftex.core.log;

import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code state.db}: every group's {@link PersistentState}, in memory and in a MapDB file replaced whole and
 * atomically on each change. Concurrent changes share one rewrite. Only what a rewrite has made durable is ever
 * shown ({@link #load}, {@link #groups}); a failed rewrite fails the file for good, so a change that may not be
 * durable is never written by a later rewrite either (fail-stop).
 */
final class StateFile {
    private final Path file;
    private final Path tmp;
    private final FileIo io;
    private final Map<String, byte[]> durable = new TreeMap<>(); // guarded by this: what state.db holds
    private final Map<String, byte[]> pending = new TreeMap<>(); // guarded by this: changes not yet written
    private long version;                                         // guarded by this
    private final ReentrantLock writer = new ReentrantLock();
    private long written;                                         // guarded by writer
    private StorageException failure;                             // guarded by writer

    StateFile(Path file, FileIo io) throws IOException {
        this.file = file;
        this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
        this.io = io;
        Files.deleteIfExists(tmp);
        if (Files.exists(file)) {
            DB db;
            try {
                // Read once, through plain reads: a mapping would outlive the file, which the next write replaces.
                db = DBMaker.fileDB(file.toFile()).readOnly().make();
            } catch (RuntimeException e) {
                throw new StorageException("cannot open " + file + ": " + e, e);
            }
            try {
                HTreeMap<String, byte[]> map = db.hashMap("state", Serializer.STRING, Serializer.BYTE_ARRAY).open();
                for (Map.Entry<String, byte[]> e : map.entrySet()) {
                    StateCodec.decode(e.getValue(), "state of group " + e.getKey() + " in " + file);
                    durable.put(e.getKey(), e.getValue());
                }
            } finally {
                db.close();
            }
        }
    }

    synchronized PersistentState load(String group) {
        byte[] b = durable.get(group);
        return b == null ? null : StateCodec.decode(b, "state of group " + group);
    }

    synchronized Set<String> groups() {
        return new TreeSet<>(durable.keySet());
    }

    void persist(String group, PersistentState state) {
        byte[] b = StateCodec.encode(state);
        long mine;
        synchronized (this) {
            pending.put(group, b);
            mine = ++version;
        }
        writer.lock();
        try {
            if (failure != null) {
                throw new StorageException("cannot write " + file + ": an earlier write failed: "
                        + failure.getMessage(), failure);
            }
            if (written >= mine) {
                return; // a rewrite that started after our change has made it durable
            }
            Map<String, byte[]> batch;
            Map<String, byte[]> all;
            long at;
            synchronized (this) {
                batch = new TreeMap<>(pending);
                all = new TreeMap<>(durable);
                all.putAll(batch);
                at = version;
            }
            try {
                write(all);
            } catch (IOException | RuntimeException e) {
                failure = new StorageException("cannot write " + file + ": " + e, e);
                throw failure;
            }
            synchronized (this) {
                durable.putAll(batch);
                batch.forEach(pending::remove); // by identity: a newer change of the same group stays pending
            }
            written = at;
        } finally {
            writer.unlock();
        }
    }

    private void write(Map<String, byte[]> all) throws IOException {
        Files.deleteIfExists(tmp);
        // Mapped, as segments are (see SegmentStore), and unmapped by close: the file is replaced by the next
        // write, and a deleted file still mapped would keep its disk space until a GC freed the mapping.
        DB db = DBMaker.fileDB(tmp.toFile()).fileMmapEnable().fileMmapPreclearDisable().cleanerHackEnable().make();
        try {
            db.hashMap("state", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen().putAll(all);
        } finally {
            db.close();
        }
        io.forceFile(tmp);
        SegmentStore.move(tmp, file);
        io.syncDirectory(file.getParent());
    }
}
