package io.raftex.core.log;

import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store of record, in MapDB with transactions: per group a B-tree {@code log/<group>} from the first index
 * of a chunk to the chunk (several consecutive entries, see {@link EntryCodec#encodeChunk}), a hash map
 * {@code state} from group to its {@link PersistentState}, and a {@code meta} map holding the WAL checkpoint, the
 * position in the WAL up to which every record has been applied here.
 *
 * <p>MapDB has one transaction for the whole database, so every change plus its commit happens under
 * {@link #lock}: a state write must not commit half of the segment writer's work, nor the other way round.
 * Reads take no lock; they only ask for entries the caller knows are committed (see {@link DurableGroupLog}).
 */
final class SegmentStore implements AutoCloseable {

    private static final String CHECKPOINT = "wal-checkpoint";

    final ReentrantLock lock = new ReentrantLock();
    private final DB db;
    private final HTreeMap<String, byte[]> states;
    private final HTreeMap<String, byte[]> meta;
    private final Map<String, BTreeMap<Long, byte[]>> logs = new ConcurrentHashMap<>();
    private final Map<String, Tail> tails = new HashMap<>();
    private final int chunkEntries;
    private final int chunkBytes;

    /**
     * The last chunk of a group while it can still grow, kept as its entries' encoded bytes (copied straight from
     * the WAL frames, never re-encoded), and the group's last index in this store.
     */
    private static final class Tail {
        final BTreeMap<Long, byte[]> map;
        byte[] open = new byte[4096]; // encoded entries of the last chunk, [0, openBytes)
        int openBytes;
        int openCount;                // 0: no open chunk (the last one is full, or none)
        long openFirst;
        boolean dirty;
        long lastIndex;

        Tail(BTreeMap<Long, byte[]> map) {
            this.map = map;
        }

        void add(byte[] src, int offset, int length, long index) {
            if (openCount == 0) {
                openFirst = index;
                openBytes = 0;
            }
            if (openBytes + length > open.length) {
                open = java.util.Arrays.copyOf(open, Math.max(open.length * 2, openBytes + length));
            }
            System.arraycopy(src, offset, open, openBytes, length);
            openBytes += length;
            openCount++;
            dirty = true;
        }

        void reset() {
            openCount = 0;
            openBytes = 0;
        }
    }

    SegmentStore(Path file, int chunkEntries, int chunkBytes) {
        // RandomAccessFile access (MapDB's default for fileDB) measured fastest for transactional commits (DESIGN §7).
        this.db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
        this.states = db.hashMap("state", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        this.meta = db.hashMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        this.chunkEntries = chunkEntries;
        this.chunkBytes = chunkBytes;
        db.commit();
    }

    // ---- metadata ----

    /** The persisted state of a group, or null. */
    PersistentState loadState(String group) {
        byte[] b = states.get(group);
        return b == null ? null : StateCodec.decode(b, "state of group " + group);
    }

    /** Writes and commits a group's state. */
    void persistState(String group, PersistentState state) {
        byte[] encoded = StateCodec.encode(state);
        lock.lock();
        try {
            states.put(group, encoded);
            db.commit();
        } finally {
            lock.unlock();
        }
    }

    /** Groups that have a persisted state. */
    Set<String> groups() {
        return new TreeSet<>(states.keySet());
    }

    /** {@code {fileSeq, offset}} of the WAL position applied here, {@code {0, 0}} when none. */
    long[] checkpoint() {
        byte[] b = meta.get(CHECKPOINT);
        if (b == null) {
            return new long[] {0, 0};
        }
        if (b.length != 20 || ByteBuffer.wrap(b, 16, 4).getInt() != EntryCodec.crc(b, 0, 16)) {
            throw new StorageException("corrupt WAL checkpoint in the MapDB store");
        }
        ByteBuffer in = ByteBuffer.wrap(b);
        return new long[] {in.getLong(), in.getLong()};
    }

    // ---- writes by the segment writer and recovery; callers hold the lock ----

    /** Applies one WAL record (not yet committed). */
    void apply(WalRecord record) {
        apply(record, null);
    }

    /**
     * Applies one WAL record (not yet committed); {@code frame}, if not null, is the record's WAL frame, whose
     * encoded entries are copied into the chunk as they are.
     */
    void apply(WalRecord record, byte[] frame) {
        Tail tail = tail(record.group());
        if (record.isTruncate()) {
            truncate(record.group(), tail, record.truncateFrom());
            return;
        }
        int at = frame == null ? 0 : WalRecord.entriesOffset(frame);
        byte[] scratch = null;
        for (LogEntry e : record.entries()) {
            if (e.index() != tail.lastIndex + 1) {
                throw new StorageException("WAL record for group " + record.group() + " appends index " + e.index()
                        + " after " + tail.lastIndex + ": the WAL and the store disagree");
            }
            int size = EntryCodec.encodedSize(e);
            if (frame != null) {
                tail.add(frame, at, size, e.index());
                at += size;
            } else {
                if (scratch == null || scratch.length < size) {
                    scratch = new byte[Math.max(size, 256)];
                }
                EntryCodec.write(ByteBuffer.wrap(scratch), e);
                tail.add(scratch, 0, size, e.index());
            }
            tail.lastIndex = e.index();
            if (isFull(tail)) {
                writeOpen(tail);
                tail.reset();
            }
        }
    }

    /** Writes pending chunks, records the WAL checkpoint and commits. */
    void commit(long walSeq, long walOffset) {
        for (Tail t : tails.values()) {
            writeOpen(t);
        }
        ByteBuffer cp = ByteBuffer.allocate(20).putLong(walSeq).putLong(walOffset);
        cp.putInt(EntryCodec.crc(cp.array(), 0, 16));
        meta.put(CHECKPOINT, cp.array());
        db.commit();
    }

    private void truncate(String group, Tail tail, long from) {
        writeOpen(tail);
        tail.reset();
        List<Long> doomed = new ArrayList<>(tail.map.tailMap(from, true).keySet());
        for (Long k : doomed) {
            tail.map.remove(k);
        }
        Map.Entry<Long, byte[]> floor = tail.map.floorEntry(from - 1);
        if (floor != null) {
            List<LogEntry> kept =
                    new ArrayList<>(EntryCodec.decodeChunk(floor.getValue(), what(group, floor.getKey())));
            if (kept.get(kept.size() - 1).index() >= from) {
                kept.subList((int) (from - floor.getKey()), kept.size()).clear();
                tail.map.put(floor.getKey(), EntryCodec.encodeChunk(kept));
            }
            openWith(tail, EntryCodec.encodeChunk(kept), kept.size(), floor.getKey());
        }
        tail.lastIndex = Math.min(tail.lastIndex, from - 1);
    }

    /** Makes a stored chunk the open one (unless it is full); it is already in the map, so not dirty. */
    private void openWith(Tail tail, byte[] chunk, int count, long first) {
        tail.reset();
        tail.add(chunk, EntryCodec.CHUNK_ENTRIES_OFFSET, chunk.length - 4 - EntryCodec.CHUNK_ENTRIES_OFFSET, first);
        tail.openCount = count;
        tail.dirty = false;
        if (isFull(tail)) {
            tail.reset();
        }
    }

    private void writeOpen(Tail t) {
        if (t.dirty && t.openCount > 0) {
            t.map.put(t.openFirst, EntryCodec.chunkOf(t.open, t.openBytes, t.openCount));
        }
        t.dirty = false;
    }

    private boolean isFull(Tail t) {
        return t.openCount >= chunkEntries || t.openBytes >= chunkBytes;
    }

    private Tail tail(String group) {
        Tail t = tails.get(group);
        if (t == null) {
            t = new Tail(map(group));
            Map.Entry<Long, byte[]> last = t.map.lastEntry();
            if (last != null) {
                List<LogEntry> entries = EntryCodec.decodeChunk(last.getValue(), what(group, last.getKey()));
                t.lastIndex = entries.get(entries.size() - 1).index();
                openWith(t, last.getValue(), entries.size(), last.getKey());
            }
            tails.put(group, t);
        }
        return t;
    }

    // ---- reads, any thread ----

    /** The committed index of a group's last entry, 0 if none. */
    long lastIndex(String group) {
        Map.Entry<Long, byte[]> last = map(group).lastEntry();
        if (last == null) {
            return 0;
        }
        List<LogEntry> entries = EntryCodec.decodeChunk(last.getValue(), what(group, last.getKey()));
        return entries.get(entries.size() - 1).index();
    }

    /**
     * The entries of the chunk that holds {@code index}, from {@code index} to the end of the chunk; empty if no
     * chunk holds it. The CRC is verified.
     */
    List<LogEntry> readFrom(String group, long index) {
        Map.Entry<Long, byte[]> floor = map(group).floorEntry(index);
        if (floor == null) {
            return List.of();
        }
        List<LogEntry> entries = EntryCodec.decodeChunk(floor.getValue(), what(group, floor.getKey()));
        int offset = (int) (index - floor.getKey());
        if (offset >= entries.size()) {
            return List.of();
        }
        LogEntry first = entries.get(offset);
        if (first.index() != index) {
            throw new StorageException("corrupt " + what(group, floor.getKey()) + ": holds index " + first.index()
                    + " where " + index + " belongs");
        }
        return entries.subList(offset, entries.size());
    }

    private BTreeMap<Long, byte[]> map(String group) {
        BTreeMap<Long, byte[]> m = logs.get(group);
        if (m != null) {
            return m;
        }
        lock.lock(); // creating a map writes MapDB's catalog; keep that inside the single transaction's lock
        try {
            return logs.computeIfAbsent(group,
                    g -> db.treeMap("log/" + g, Serializer.LONG, Serializer.BYTE_ARRAY)
                            // Values inline would make every put rewrite a B-tree leaf holding up to 32 chunks
                            // (hundreds of KB); stored apart, a put writes one chunk and a small leaf (~15x faster).
                            .valuesOutsideNodesEnable()
                            .createOrOpen());
        } finally {
            lock.unlock();
        }
    }

    private static String what(String group, long key) {
        return "MapDB chunk at index " + key + " of group " + group;
    }

    @Override
    public void close() {
        close(false);
    }

    /** Closes the database; after a failure, first drops whatever a half-done segment move left uncommitted. */
    void close(boolean afterFailure) {
        lock.lock();
        try {
            if (db.isClosed()) {
                return;
            }
            if (afterFailure) {
                try {
                    db.rollback();
                } catch (RuntimeException e) {
                    // the database is already in trouble; closing is all that is left to do
                }
            }
            db.close();
        } finally {
            lock.unlock();
        }
    }
}
