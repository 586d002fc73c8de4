package io.raftex.core.log;

import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.mapdb.volume.MappedFileVol;
import org.mapdb.volume.Volume;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The store of record: MapDB files that are written once and never changed after they are sealed, so that no
 * crash can leave a store that does not open.
 *
 * <p><b>Segments.</b> {@code segments/seg-<seq>.db} are MapDB files, each holding, per group, a B-tree
 * {@code log/<group>} from the first index of a chunk to the chunk (several consecutive entries, see
 * {@link EntryCodec#encodeChunk}), and a map {@code meta} with the group's range of entries in this segment, the
 * index from which the segment voids the entries of earlier segments (a truncation), and the WAL checkpoint: the
 * position in the WAL up to which every record is applied in this segment and the ones before it. The segment
 * writer fills one <em>building</em> segment, {@code seg-<seq>.db.tmp}, with MapDB's transactions off (they are not
 * needed: a building segment is thrown away after a crash or a close, the WAL still holds all of it). Once it holds
 * {@code segmentBytes}, the segment is <em>sealed</em>: closed, fsynced, renamed to its final name and the directory
 * fsynced. Only then may the WAL files it covers be deleted. Opening deletes any {@code .tmp} file and reads the
 * sealed segments in order; the WAL replays the rest into a new building segment.
 *
 * <p><b>Log start.</b> A group's log starts after its snapshot point {@code (index, term)}: compactions raise it, a
 * reset moves it anywhere and voids every entry (recorded as a cut from index 1). Every sealed segment records the
 * start of every group ({@code start/<group>}), so the newest sealed segment alone says where each group starts as of
 * its checkpoint; the WAL replays later compactions and resets. A sealed segment that serves no entry above its
 * groups' sealed starts is deleted (see {@link #deleteDeadSegments}), except the newest, which carries the starts and
 * the checkpoint. On open, the sealed segments are applied in order, the entries at or below each start dropped, and
 * what is left must run without a gap from the start on.
 *
 * <p><b>State.</b> Term, vote and configuration of every group are in {@code state.db}, a MapDB file rewritten
 * whole on each change: written as {@code state.db.tmp}, fsynced, renamed over {@code state.db} and the directory
 * fsynced before {@link #persistState} returns. Concurrent writers share one rewrite (group commit); see
 * {@link StateFile}.
 *
 * <p>Threads: writes ({@link #apply}, {@link #commit}, {@link #seal}, {@link #deleteDeadSegments}) come from one
 * thread at a time, holding {@link #lock}. Reads come from any thread; they take {@link #rw}'s read lock, and only ask for entries the
 * caller knows were committed here (see {@link DurableGroupLog}).
 *
 * <p>The class is larger than most because its nested {@code Segment}, {@code View} and {@code Tail} share the two
 * locks and the sealing order above: the sequence of writes, fsyncs and renames that keeps every crash recoverable
 * reads in one file.
 */
final class SegmentStore implements AutoCloseable {

    private static final String CHECKPOINT = "wal-checkpoint";
    private static final String RANGE = "range/";
    private static final String CUT = "cut/";
    private static final String START = "start/";
    private static final Pattern SEGMENT = Pattern.compile("seg-(\\d{16})\\.db");
    /** MapDB's memory-mapped files grow by slices of 1 MiB. */
    private static final int MAPDB_SLICE_SHIFT = 20;

    /** Held by the one writer (segment writer or recovery) across apply, commit and seal. */
    final ReentrantLock lock = new ReentrantLock();
    /** Readers against changes to which segment serves what. */
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final Path segmentDir;
    private final FileIo io;
    private final int chunkEntries;
    private final int chunkBytes;
    private final long segmentBytes;

    private final List<Segment> sealed = new ArrayList<>();
    private final Map<String, View> views = new ConcurrentHashMap<>();
    private Segment building;
    private long nextSeq;
    private long[] checkpoint = {0, 0};      // of the last sealed segment
    private long[] pendingCheckpoint;         // of the building segment, set by commit

    private final StateFile states;

    /** One MapDB file; mutable while building, read-only once sealed. */
    private final class Segment {
        final long seq;
        Path path;
        DB db;
        HTreeMap<String, byte[]> meta;
        final Map<String, BTreeMap<Long, byte[]>> logs = new ConcurrentHashMap<>();
        final Map<String, Tail> tails = new HashMap<>(); // building only
        /** As recorded in its meta once sealed: group -> {first, last}, group -> cut, group -> {start index, term}. */
        final Map<String, long[]> ranges = new HashMap<>();
        final Map<String, Long> cuts = new HashMap<>();
        final Map<String, long[]> starts = new HashMap<>();
        long bytes;

        Segment(long seq, Path path, boolean create) {
            this.seq = seq;
            this.path = path;
            open(create);
        }

        void open(boolean create) {
            logs.clear();
            // Memory-mapped: MapDB checksums its 32 KiB header on every open, commit and close, four bytes at a time,
            // which through RandomAccessFile is a system call each (~8,000 per check). Closing unmaps the file at once
            // (the cleaner hack), so a sealed and a deleted segment free their pages without waiting for a GC. That is
            // safe because a segment is closed only under the write lock of rw, and MapDB refuses any call on a closed
            // store (IllegalAccessError) before it touches the mapping.
            if (create) {
                db = DBMaker.fileDB(path.toFile()).fileMmapEnable().cleanerHackEnable().make();
                meta = db.hashMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
            } else {
                db = openReadOnly(path.toFile());
                meta = db.hashMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).open();
            }
        }

        /**
         * A sealed file, read-only. MapDB's own read-only mapping ({@code readOnly().fileMmapEnable()}) hands out an
         * {@code asReadOnlyBuffer()} view, which the cleaner hack cannot unmap; a read-only volume of 1 MiB slices
         * mapped directly can. MapDB grows its files by whole slices, so the file size is a multiple of one; if not,
         * MapDB's own read-only mapping serves (unmapped at the next GC).
         */
        private static DB openReadOnly(File file) {
            if (file.length() > 0 && file.length() % (1L << MAPDB_SLICE_SHIFT) == 0) {
                Volume volume = new MappedFileVol(file, true, 0L, MAPDB_SLICE_SHIFT, true, 0L, false);
                try {
                    return DBMaker.volumeDB(volume, true).readOnly().make();
                } catch (RuntimeException e) {
                    volume.close();
                    throw e;
                }
            }
            return DBMaker.fileDB(file).readOnly().fileMmapEnable().make();
        }

        /** The group's B-tree; created in a building segment, null if a sealed one has none. */
        BTreeMap<Long, byte[]> log(String group, boolean create) {
            BTreeMap<Long, byte[]> m = logs.get(group);
            if (m == null) {
                String name = "log/" + group;
                if (!create && !db.exists(name)) {
                    return null;
                }
                DB.TreeMapMaker<Long, byte[]> maker = db.treeMap(name, Serializer.LONG, Serializer.BYTE_ARRAY)
                        // Values inline would make every put rewrite a B-tree leaf holding up to 32 chunks
                        // (hundreds of KB); stored apart, a put writes one chunk and a small leaf (~15x faster).
                        .valuesOutsideNodesEnable();
                m = create ? maker.createOrOpen() : maker.open();
                logs.put(group, m);
            }
            return m;
        }

        void close() {
            if (!db.isClosed()) {
                db.close();
            }
        }
    }

    /** Entries {@code [first, last]} of a group, served by {@code segment}. */
    private record Slice(Segment segment, long first, long last) {
    }

    /**
     * Which segment serves which index of one group: sealed slices (disjoint, in index order), and the building
     * segment's slice and cut as of its last commit. The building segment wins from its first index, and its cut
     * voids sealed entries from the cut on. Sealed slices wholly at or below the sealed start are dropped.
     */
    private static final class View {
        final TreeMap<Long, Slice> sealed = new TreeMap<>();
        Slice building;
        long buildingCut; // 0: none
        long startIndex;  // the log start (snapshot point) as of the last commit
        long startTerm;
        long sealedStartIndex; // as of the last seal (what the newest sealed segment records)

        /** The slice serving {@code index}, its last index cut back to what is valid now; null if none. */
        Slice find(long index) {
            if (building != null && index >= building.first) {
                return index <= building.last ? building : null;
            }
            if (buildingCut > 0 && index >= buildingCut) {
                return null;
            }
            Map.Entry<Long, Slice> e = sealed.floorEntry(index);
            if (e == null || index > e.getValue().last) {
                return null;
            }
            Slice s = e.getValue();
            return buildingCut > 0 && s.last >= buildingCut ? new Slice(s.segment, s.first, buildingCut - 1) : s;
        }

        long lastIndex() {
            if (building != null) {
                return building.last;
            }
            long last = sealed.isEmpty() ? 0 : sealed.lastEntry().getValue().last;
            return Math.max(buildingCut > 0 ? Math.min(last, buildingCut - 1) : last, startIndex);
        }

        /** Forgets the sealed slices that hold nothing above {@code index}. */
        void dropThrough(long index) {
            sealed.values().removeIf(s -> s.last <= index);
        }

        /** Voids sealed entries from {@code from} on. */
        void cutSealed(long from) {
            for (Long k : new ArrayList<>(sealed.tailMap(from, true).keySet())) {
                sealed.remove(k);
            }
            Map.Entry<Long, Slice> floor = sealed.floorEntry(from - 1);
            if (floor != null && floor.getValue().last >= from) {
                Slice s = floor.getValue();
                sealed.put(s.first, new Slice(s.segment, s.first, from - 1));
            }
        }
    }

    /**
     * A group's part of the building segment: the last chunk while it can still grow, kept as its entries' encoded
     * bytes (copied straight from the WAL frames, never re-encoded), the group's last index, and the lowest index
     * this segment truncates below its own entries.
     */
    private static final class Tail {
        final BTreeMap<Long, byte[]> map;
        byte[] open = new byte[4096]; // encoded entries of the last chunk, [0, openBytes)
        int openBytes;
        int openCount;                // 0: no open chunk (the last one is full, or none)
        long openFirst;
        boolean dirty;
        long lastIndex;
        long cut;                     // 0: none
        long startIndex;              // the group's log start after the records applied so far
        long startTerm;

        Tail(BTreeMap<Long, byte[]> map, long lastIndex, long startIndex, long startTerm) {
            this.map = map;
            this.lastIndex = lastIndex;
            this.startIndex = startIndex;
            this.startTerm = startTerm;
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

    /**
     * Opens the store in {@code dataDir}: removes what a crash left half-written, then reads the state and the
     * sealed segments.
     */
    SegmentStore(Path dataDir, int chunkEntries, int chunkBytes, long segmentBytes, FileIo io) throws IOException {
        this.segmentDir = dataDir.resolve("segments");
        this.io = io;
        this.chunkEntries = chunkEntries;
        this.chunkBytes = chunkBytes;
        this.segmentBytes = segmentBytes;
        if (Files.exists(dataDir.resolve("store.db"))) {
            throw new StorageException(dataDir + " holds store.db, written by an earlier storage format that kept the"
                    + " log in one MapDB file; this version cannot read it (start from an empty data directory)");
        }
        if (!Files.isDirectory(segmentDir)) {
            Files.createDirectories(segmentDir);
            io.syncDirectory(dataDir);
        }
        this.states = new StateFile(dataDir.resolve("state.db"), io);
        try {
            List<Long> seqs = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(segmentDir)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    Matcher m = SEGMENT.matcher(name);
                    if (m.matches()) {
                        seqs.add(Long.parseLong(m.group(1)));
                    } else if (name.endsWith(".tmp")) {
                        Files.delete(f); // a building segment cut short; the WAL still holds its content
                    }
                }
            }
            seqs.sort(null);
            for (long seq : seqs) {
                sealed.add(openSealed(seq));
                nextSeq = seq + 1;
            }
            rebuildViews();
            io.syncDirectory(segmentDir);
        } catch (IOException | RuntimeException e) {
            closeAll();
            throw e;
        }
    }

    /** Opens a sealed segment and reads its meta (every value's CRC checked). */
    private Segment openSealed(long seq) {
        Path file = segmentFile(seq, false);
        Segment s;
        try {
            s = new Segment(seq, file, false);
        } catch (RuntimeException e) {
            throw new StorageException("cannot open sealed segment " + file + ": " + e, e);
        }
        try {
            for (Map.Entry<String, byte[]> e : s.meta.entrySet()) {
                String key = e.getKey();
                if (key.equals(CHECKPOINT)) {
                    long[] cp = decodeLongs(e.getValue(), 2, file, key);
                    if (cp[0] < checkpoint[0] || (cp[0] == checkpoint[0] && cp[1] < checkpoint[1])) {
                        throw new StorageException("segment " + file + " has WAL checkpoint " + cp[0] + ":" + cp[1]
                                + ", before the previous segment's " + checkpoint[0] + ":" + checkpoint[1]);
                    }
                    checkpoint = cp;
                } else if (key.startsWith(CUT)) {
                    s.cuts.put(key.substring(CUT.length()), decodeLongs(e.getValue(), 1, file, key)[0]);
                } else if (key.startsWith(START)) {
                    s.starts.put(key.substring(START.length()), decodeLongs(e.getValue(), 2, file, key));
                } else if (key.startsWith(RANGE)) {
                    String group = key.substring(RANGE.length());
                    long[] range = decodeLongs(e.getValue(), 2, file, key);
                    if (range[0] < 1 || range[1] < range[0] || s.log(group, false) == null) {
                        throw new StorageException("segment " + file + " holds an impossible range " + range[0] + ".."
                                + range[1] + " of group " + group);
                    }
                    s.ranges.put(group, range);
                }
            }
        } catch (RuntimeException e) {
            s.close();
            throw e instanceof StorageException se ? se
                    : new StorageException("cannot read sealed segment " + file + ": " + e, e);
        }
        return s;
    }

    /**
     * Builds the groups' views from the sealed segments, oldest first: each segment's cuts void earlier entries from
     * the cut on, and each of its ranges replaces earlier entries from its first index on. The newest segment gives
     * every group's start; entries at or below it go. What is left must run on without a gap from the start: a gap
     * means a missing or damaged file, and the open fails naming the segment after it.
     */
    private void rebuildViews() {
        for (Segment s : sealed) {
            s.cuts.forEach((group, cut) -> view(group).cutSealed(cut));
            s.ranges.forEach((group, range) -> {
                View v = view(group);
                v.cutSealed(range[0]);
                v.sealed.put(range[0], new Slice(s, range[0], range[1]));
            });
        }
        if (!sealed.isEmpty()) {
            sealed.get(sealed.size() - 1).starts.forEach((group, start) -> {
                View v = view(group);
                v.startIndex = start[0];
                v.startTerm = start[1];
                v.sealedStartIndex = start[0];
            });
        }
        for (Map.Entry<String, View> e : views.entrySet()) {
            View v = e.getValue();
            v.dropThrough(v.sealedStartIndex);
            long expected = v.startIndex + 1;
            for (Slice slice : v.sealed.values()) {
                if (slice.first > expected) {
                    throw new StorageException("segment " + slice.segment.path + " holds entries " + slice.first + ".."
                            + slice.segment.ranges.get(e.getKey())[1] + " of group " + e.getKey() + " where index "
                            + expected + " should come next");
                }
                expected = slice.last + 1;
            }
        }
    }

    // ---- metadata ----

    /** The persisted state of a group, or null. */
    PersistentState loadState(String group) {
        return states.load(group);
    }

    /** Writes a group's state and makes it durable before returning. */
    void persistState(String group, PersistentState state) {
        states.persist(group, state);
    }

    /** Groups that have a persisted state. */
    Set<String> groups() {
        return states.groups();
    }

    /** {@code {fileSeq, offset}} of the WAL position applied in the sealed segments, {@code {0, 0}} when none. */
    long[] checkpoint() {
        return checkpoint.clone();
    }

    /** Sequence numbers of the sealed segments, oldest first (for tests). */
    List<Long> segmentSeqs() {
        rw.readLock().lock();
        try {
            return sealed.stream().map(seg -> seg.seq).toList();
        } finally {
            rw.readLock().unlock();
        }
    }

    /** Sealed segment files on disk. */
    int segmentCount() {
        rw.readLock().lock();
        try {
            return sealed.size();
        } finally {
            rw.readLock().unlock();
        }
    }

    // ---- writes by the segment writer and recovery; callers hold the lock ----

    /** Applies one WAL record to the building segment (readable after {@link #commit}). */
    void apply(WalRecord record) {
        apply(record, null);
    }

    /**
     * Applies one WAL record to the building segment; {@code frame}, if not null, is the record's WAL frame, whose
     * encoded entries are copied into the chunk as they are.
     */
    void apply(WalRecord record, byte[] frame) {
        Tail tail = tail(record.group());
        switch (record.kind()) {
            case TRUNCATE -> {
                if (record.index() <= tail.startIndex) {
                    throw new StorageException("WAL record for group " + record.group() + " truncates from "
                            + record.index() + ", at or below its log start " + tail.startIndex
                            + ": the WAL and the store disagree");
                }
                truncate(tail, record.index());
                return;
            }
            case COMPACT -> {
                compact(tail, record);
                return;
            }
            case RESET -> {
                reset(tail, record.index(), record.term());
                return;
            }
            case APPEND -> {
                // below
            }
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
            building.bytes += size;
            tail.lastIndex = e.index();
            if (isFull(tail)) {
                writeOpen(tail);
                tail.reset();
            }
        }
    }

    /**
     * Writes pending chunks to the building segment and makes them readable; {@code (walSeq, walOffset)} is the WAL
     * position after the last record applied. Nothing is durable here until {@link #seal}.
     */
    void commit(long walSeq, long walOffset) {
        pendingCheckpoint = new long[] {walSeq, walOffset};
        if (building == null) {
            return;
        }
        for (Tail t : building.tails.values()) {
            writeOpen(t);
        }
        rw.writeLock().lock();
        try {
            for (Map.Entry<String, Tail> e : building.tails.entrySet()) {
                Tail t = e.getValue();
                View v = view(e.getKey());
                v.buildingCut = t.cut;
                v.building = t.map.isEmpty() ? null : new Slice(building, t.map.firstKey(), t.lastIndex);
                v.startIndex = t.startIndex;
                v.startTerm = t.startTerm;
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Whether the building segment is big enough to seal. */
    boolean wantsSeal() {
        return building != null && building.bytes >= segmentBytes;
    }

    /**
     * Seals the building segment (after a {@link #commit}): records its ranges, cuts and WAL checkpoint, closes it,
     * fsyncs it, renames it to its final name and fsyncs the directory. Returns the WAL checkpoint now covered by
     * sealed segments (the WAL files before its file may go), or null if there was nothing to seal.
     */
    long[] seal() throws IOException {
        Segment b = building;
        if (b == null) {
            return null;
        }
        if (pendingCheckpoint == null) {
            throw new IllegalStateException("seal before commit");
        }
        Map<String, long[]> ranges = new HashMap<>(); // group -> {first or 0, last, cut or 0}
        for (Map.Entry<String, Tail> e : b.tails.entrySet()) {
            Tail t = e.getValue();
            writeOpen(t);
            long first = t.map.isEmpty() ? 0 : t.map.firstKey();
            if (first > 0) {
                b.meta.put(RANGE + e.getKey(), encodeLongs(first, t.lastIndex));
                b.ranges.put(e.getKey(), new long[] {first, t.lastIndex});
            }
            if (t.cut > 0) {
                b.meta.put(CUT + e.getKey(), encodeLongs(t.cut));
                b.cuts.put(e.getKey(), t.cut);
            }
            ranges.put(e.getKey(), new long[] {first, t.lastIndex, t.cut});
        }
        // Every group's start, not only those this segment touched: the newest sealed segment must hold them all.
        for (Map.Entry<String, View> e : views.entrySet()) {
            Tail t = b.tails.get(e.getKey());
            long[] start = t != null ? new long[] {t.startIndex, t.startTerm}
                    : new long[] {e.getValue().startIndex, e.getValue().startTerm};
            if (start[0] > 0 || start[1] > 0) {
                b.meta.put(START + e.getKey(), encodeLongs(start[0], start[1]));
                b.starts.put(e.getKey(), start);
            }
        }
        long[] cp = pendingCheckpoint;
        b.meta.put(CHECKPOINT, encodeLongs(cp[0], cp[1]));
        rw.writeLock().lock();
        try {
            b.close();
            b.open(false); // read-only from now on; the rename below keeps the open file
            for (Map.Entry<String, long[]> e : ranges.entrySet()) {
                long[] r = e.getValue();
                View v = view(e.getKey());
                if (r[2] > 0) {
                    v.cutSealed(r[2]);
                }
                if (r[0] > 0) {
                    v.cutSealed(r[0]);
                    v.sealed.put(r[0], new Slice(b, r[0], r[1]));
                }
                v.building = null;
                v.buildingCut = 0;
            }
            for (Map.Entry<String, View> e : views.entrySet()) {
                View v = e.getValue();
                long[] start = b.starts.get(e.getKey());
                v.startIndex = start == null ? 0 : start[0];
                v.startTerm = start == null ? 0 : start[1];
                v.sealedStartIndex = v.startIndex;
                v.dropThrough(v.sealedStartIndex);
            }
            b.tails.clear();
            sealed.add(b);
            building = null;
        } finally {
            rw.writeLock().unlock();
        }
        io.forceFile(b.path);
        Path target = segmentFile(b.seq, false);
        move(b.path, target);
        b.path = target;
        io.syncDirectory(segmentDir);
        checkpoint = cp;
        return cp.clone();
    }

    /**
     * Closes and deletes the sealed segments that serve nothing above their groups' sealed starts (after a
     * {@link #seal}, or on open for files a crash left behind), oldest first, fsyncing the directory after each;
     * returns how many. Never the newest (it carries every group's start and the WAL checkpoint). A segment whose
     * cut, or whose own range, voids entries above the start in an older segment that stays is kept as well: without
     * it those entries would come back on the next open. Readers never see a closed segment: it leaves the views
     * under the write lock.
     */
    int deleteDeadSegments() throws IOException {
        List<Segment> doomed = new ArrayList<>();
        rw.writeLock().lock();
        try {
            if (sealed.size() < 2) {
                return 0;
            }
            Set<Segment> live = Collections.newSetFromMap(new IdentityHashMap<>());
            for (View v : views.values()) {
                for (Slice slice : v.sealed.values()) {
                    live.add(slice.segment);
                }
            }
            Set<Segment> going = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Segment seg : sealed.subList(0, sealed.size() - 1)) {
                if (!live.contains(seg)) {
                    going.add(seg);
                }
            }
            boolean changed = !going.isEmpty();
            while (changed) {
                changed = going.removeIf(seg -> !voidsNothingLive(seg, going));
            }
            for (Segment seg : sealed) {
                if (going.contains(seg)) {
                    doomed.add(seg);
                }
            }
            sealed.removeAll(doomed);
            for (Segment seg : doomed) {
                seg.close();
            }
        } finally {
            rw.writeLock().unlock();
        }
        // Oldest first, each deletion synced before the next. Unsynced deletions may survive a crash in any mix, and a
        // segment that voids entries of an older one must never be gone while that older one is back. In this order a
        // crash leaves the files as after some prefix of the deletions, and removing a dead segment while every newer
        // one stays changes nothing an open reads.
        for (Segment seg : doomed) {
            io.delete(seg.path);
            io.syncDirectory(segmentDir);
        }
        return doomed.size();
    }

    /**
     * Whether deleting {@code d} leaves void what it voids: an older segment that stays ({@code going} goes too) must
     * not hold, for a group, entries at or after the index from which {@code d} voids that group's older entries (its
     * cut, or its range's first index) that lie above the group's sealed start.
     */
    private boolean voidsNothingLive(Segment d, Set<Segment> going) {
        Map<String, Long> voidsFrom = new HashMap<>(d.cuts);
        d.ranges.forEach((group, range) -> voidsFrom.merge(group, range[0], Math::min));
        for (Map.Entry<String, Long> e : voidsFrom.entrySet()) {
            View v = views.get(e.getKey());
            long start = v == null ? 0 : v.sealedStartIndex;
            for (Segment older : sealed) {
                if (older.seq >= d.seq) {
                    break;
                }
                long[] range = older.ranges.get(e.getKey());
                if (!going.contains(older) && range != null && range[1] >= e.getValue() && range[1] > start) {
                    return false;
                }
            }
        }
        return true;
    }

    private void truncate(Tail tail, long from) {
        writeOpen(tail);
        tail.reset();
        if (tail.map.isEmpty() || from < tail.map.firstKey()) {
            if (tail.cut == 0 || from < tail.cut) {
                tail.cut = from; // voids sealed entries from here on (harmless if there are none)
            }
        }
        for (Long k : new ArrayList<>(tail.map.tailMap(from, true).keySet())) {
            tail.map.remove(k);
        }
        Map.Entry<Long, byte[]> floor = tail.map.floorEntry(from - 1);
        if (floor != null) {
            List<LogEntry> kept = new ArrayList<>(EntryCodec.decodeChunk(floor.getValue(), "building segment chunk"));
            if (kept.get(kept.size() - 1).index() >= from) {
                kept.subList((int) (from - floor.getKey()), kept.size()).clear();
                tail.map.put(floor.getKey(), EntryCodec.encodeChunk(kept));
            }
            openWith(tail, EntryCodec.encodeChunk(kept), kept.size(), floor.getKey());
        }
        tail.lastIndex = Math.min(tail.lastIndex, from - 1);
    }

    /**
     * The log starts after {@code record.index()} from now on. The entries up to it stay in this segment (a segment is
     * deleted whole, once nothing in it is above its groups' starts); reads never ask for them again.
     */
    private void compact(Tail tail, WalRecord record) {
        if (record.index() <= tail.startIndex) {
            return;
        }
        if (record.index() > tail.lastIndex) {
            throw new StorageException("WAL record for group " + record.group() + " compacts up to " + record.index()
                    + ", past its last index " + tail.lastIndex + ": the WAL and the store disagree");
        }
        tail.startIndex = record.index();
        tail.startTerm = record.term();
    }

    /**
     * Drops every entry: this segment's own go at once, those of sealed segments by a cut from index 1. The log is
     * empty at {@code index} and goes on at {@code index + 1}.
     */
    private void reset(Tail tail, long index, long term) {
        tail.reset();
        tail.dirty = false;
        tail.map.clear();
        tail.cut = 1;
        tail.lastIndex = index;
        tail.startIndex = index;
        tail.startTerm = term;
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
        if (building == null) {
            long seq = nextSeq++;
            building = new Segment(seq, segmentFile(seq, true), true);
        }
        Tail t = building.tails.get(group);
        if (t == null) {
            View v = view(group);
            t = new Tail(building.log(group, true), v.lastIndex(), v.startIndex, v.startTerm);
            building.tails.put(group, t);
        }
        return t;
    }

    private View view(String group) {
        return views.computeIfAbsent(group, g -> new View());
    }

    // ---- reads, any thread ----

    /** The index of a group's last entry committed here, 0 if none. */
    long lastIndex(String group) {
        rw.readLock().lock();
        try {
            View v = views.get(group);
            return v == null ? 0 : v.lastIndex();
        } finally {
            rw.readLock().unlock();
        }
    }

    /** {@code {index, term}} of a group's log start (its snapshot point) as committed here; {@code {0, 0}} if none. */
    long[] start(String group) {
        rw.readLock().lock();
        try {
            View v = views.get(group);
            return v == null ? new long[] {0, 0} : new long[] {v.startIndex, v.startTerm};
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * The entries of the chunk that holds {@code index}, from {@code index} to the end of the chunk (or of the
     * entries its segment still serves); empty if no segment holds it. The CRC is verified.
     */
    List<LogEntry> readFrom(String group, long index) {
        rw.readLock().lock();
        try {
            View v = views.get(group);
            Slice slice = v == null ? null : v.find(index);
            if (slice == null) {
                return List.of();
            }
            BTreeMap<Long, byte[]> map = slice.segment.log(group, false);
            Map.Entry<Long, byte[]> floor = map == null ? null : map.floorEntry(index);
            String what = "chunk at index " + (floor == null ? index : floor.getKey()) + " of group " + group
                    + " in segment " + slice.segment.path;
            if (floor == null) {
                throw new StorageException(what + " is missing");
            }
            List<LogEntry> entries = EntryCodec.decodeChunk(floor.getValue(), what);
            int offset = (int) (index - floor.getKey());
            if (offset >= entries.size()) {
                throw new StorageException(what + " ends before index " + index);
            }
            LogEntry first = entries.get(offset);
            if (first.index() != index) {
                throw new StorageException("corrupt " + what + ": holds index " + first.index() + " where " + index
                        + " belongs");
            }
            int end = (int) Math.min(entries.size(), slice.last - floor.getKey() + 1);
            return List.copyOf(entries.subList(offset, end));
        } catch (IllegalAccessError closed) { // MapDB's signal for a closed store (a seal that failed half-way)
            throw new StorageException("cannot read group " + group + " at index " + index + ": " + closed, closed);
        } finally {
            rw.readLock().unlock();
        }
    }

    // ---- files ----

    private Path segmentFile(long seq, boolean building) {
        return segmentDir.resolve(String.format("seg-%016d.db%s", seq, building ? ".tmp" : ""));
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename " + from + " atomically", e);
        }
    }

    private static byte[] encodeLongs(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8 + 4);
        for (long v : values) {
            b.putLong(v);
        }
        b.putInt(EntryCodec.crc(b.array(), 0, values.length * 8));
        return b.array();
    }

    private static long[] decodeLongs(byte[] b, int count, Path file, String key) {
        if (b.length != count * 8 + 4 || ByteBuffer.wrap(b, count * 8, 4).getInt() != EntryCodec.crc(b, 0, count * 8)) {
            throw new StorageException("corrupt " + key + " in segment " + file);
        }
        ByteBuffer in = ByteBuffer.wrap(b);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = in.getLong();
        }
        return out;
    }

    /**
     * Closes every file. The building segment is thrown away, sealed or not: the WAL still holds its content and the
     * next open replays it, so a restart does not leave a small segment behind.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (building != null) {
                discardBuilding();
            }
        } finally {
            try {
                closeAll(); // also a segment whose seal failed half-way: it is in the sealed list by then
            } finally {
                lock.unlock();
            }
        }
    }

    /** Drops the building segment: readers stop seeing it first, then its file goes. */
    private void discardBuilding() {
        Segment b = building;
        rw.writeLock().lock();
        try {
            building = null;
            for (View v : views.values()) {
                v.building = null;
                v.buildingCut = 0;
            }
            try {
                b.close();
            } catch (RuntimeException ignored) {
                // closing is all that is left to do
            }
        } finally {
            rw.writeLock().unlock();
        }
        try {
            Files.deleteIfExists(b.path);
        } catch (IOException ignored) {
            // a leftover .tmp file is deleted at the next open
        }
    }

    private void closeAll() {
        rw.writeLock().lock();
        try {
            for (Segment s : sealed) {
                try {
                    s.close();
                } catch (RuntimeException ignored) {
                    // keep closing the others
                }
            }
            sealed.clear();
            views.clear();
        } finally {
            rw.writeLock().unlock();
        }
    }
}
