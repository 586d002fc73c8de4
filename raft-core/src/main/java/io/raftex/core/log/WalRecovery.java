package io.raftex.core.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays the WAL into the store of record when a node's storage opens.
 *
 * <p>The WAL writer ends every batch with a batch-commit marker (the batch's start offset, record count and a
 * CRC32C over its frames) written in the same write, before the batch's single sync; a batch is reported durable only
 * after that sync. Batches are synced one after the other, so at most the last batch of the last file can be
 * unsynced, and after a power loss its pages may have reached the disk in any order (some records garbage, its marker
 * present or not).
 *
 * <p>Files before the store's checkpoint are already applied and skipped; the checkpoint file is read from the
 * checkpoint offset (always a batch boundary), later files from their start. Records of every kind (appends,
 * truncations, compactions, resets) are applied in WAL order, so a reset voids exactly the records before it. They are
 * applied batch by batch, and only once the batch's marker is found and matches (start, count, CRC). When a batch does not end in a matching
 * marker (a record that does not parse, a marker that does not match, or records up to the end of the file):
 * <ul>
 *   <li>in the last file, with no valid marker of a <em>later</em> batch anywhere after it, it is the unsynced tail
 *       (never acknowledged): the file is cut at the batch's start, synced, and a warning names the file, the offset
 *       and the bytes cut;</li>
 *   <li>otherwise (a later batch's marker follows, so this batch was synced before it; or later WAL files exist) it is
 *       corruption of data that may have been acknowledged, and the whole open fails with a
 *       {@link StorageException} naming the file, the offset of the bad frame and the last good record, because
 *       silently dropping it could lose committed entries.</li>
 * </ul>
 */
final class WalRecovery {

    private static final Logger log = LoggerFactory.getLogger(WalRecovery.class);

    /** What replay found: the position after the last complete batch, and counts. */
    record Result(long lastSeq, long endOffset, long records, long tornBytes) {
    }

    private WalRecovery() {
    }

    /**
     * Applies every WAL record after the store's checkpoint to the building segment (not sealed: the WAL files stay
     * until a seal covers them); the caller holds no lock.
     */
    static Result replay(Path walDir, SegmentStore store) throws IOException {
        long[] checkpoint = store.checkpoint();
        List<Long> seqs = Wal.listFiles(walDir);
        long lastSeq = checkpoint[0];
        long endOffset = checkpoint[1];
        long records = 0;
        long torn = 0;
        store.lock.lock();
        try {
            for (int f = 0; f < seqs.size(); f++) {
                long seq = seqs.get(f);
                if (seq < checkpoint[0]) {
                    continue; // fully applied before a crash that came ahead of its deletion
                }
                Path file = Wal.fileFor(walDir, seq);
                byte[] data = Files.readAllBytes(file);
                int offset = seq == checkpoint[0] ? (int) checkpoint[1] : 0;
                if (offset > data.length) {
                    throw new StorageException("WAL file " + file + " is " + data.length
                            + " bytes, shorter than the checkpoint offset " + offset + " already applied to MapDB");
                }
                boolean lastFile = f == seqs.size() - 1;
                String lastGood = "none";
                int batchStart = offset;
                List<WalRecord> pending = new ArrayList<>();
                int bad = -1; // offset of the frame that ends the replay of this file early, if any
                while (offset < data.length) {
                    WalRecord.BatchCommit commit = WalRecord.parseCommit(data, offset, data.length);
                    if (commit != null) {
                        if (commit.startOffset() != batchStart || commit.records() != pending.size()
                                || commit.batchCrc() != EntryCodec.crc(data, batchStart, offset - batchStart)) {
                            bad = offset; // a marker that does not match the frames before it
                            break;
                        }
                        for (WalRecord r : pending) {
                            store.apply(r);
                        }
                        records += pending.size();
                        pending.clear();
                        offset += WalRecord.COMMIT_FRAME;
                        batchStart = offset;
                        continue;
                    }
                    WalRecord r = WalRecord.parse(data, offset, data.length);
                    if (r == null) {
                        bad = offset;
                        break;
                    }
                    pending.add(r);
                    offset += WalRecord.frameLength(data, offset);
                    lastGood = describe(r);
                }
                if (bad >= 0 || !pending.isEmpty()) {
                    int at = bad >= 0 ? bad : batchStart;
                    if (!lastFile || laterBatchCommitted(data, at, batchStart)) {
                        throw new StorageException((bad >= 0 ? "corrupt WAL record in " : "WAL batch without its"
                                + " batch-commit marker in ") + file + " at offset " + at
                                + " (last good record before it: " + lastGood + "); "
                                + (lastFile ? "a later batch's commit marker follows it" : "later WAL files follow it")
                                + ", so this is not a torn tail and entries may have been acknowledged");
                    }
                    torn = data.length - batchStart;
                    log.warn("WAL {}: cutting the unsynced tail at offset {}: {} bytes ({} complete records and {}) "
                                    + "after the last committed batch; last good record: {}", file, batchStart, torn,
                            pending.size(), bad >= 0 ? "a damaged frame at offset " + bad : "no batch-commit marker",
                            lastGood);
                    cut(file, batchStart);
                    offset = batchStart;
                }
                lastSeq = seq;
                endOffset = offset;
            }
            store.commit(lastSeq, endOffset);
        } finally {
            store.lock.unlock();
        }
        return new Result(lastSeq, endOffset, records, torn);
    }

    /**
     * Whether a valid batch-commit marker of a batch after the one starting at {@code batchStart} lies after
     * {@code from}: that batch was written only after this one was synced, so this one's damage is corruption.
     * A marker of this very batch (written out of order with its records by a power loss) does not count.
     */
    private static boolean laterBatchCommitted(byte[] data, int from, int batchStart) {
        for (int i = from + 1; i + WalRecord.COMMIT_FRAME <= data.length; i++) {
            // Cheap magic test first; the full parse (length, CRC, body) only where it matches.
            if (data[i] == (byte) (WalRecord.MAGIC >>> 24)) {
                WalRecord.BatchCommit c = WalRecord.parseCommit(data, i, data.length);
                if (c != null && c.startOffset() != batchStart) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void cut(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
            ch.force(true);
        }
    }

    private static String describe(WalRecord r) {
        switch (r.kind()) {
            case TRUNCATE -> {
                return "group " + r.group() + " truncate from " + r.truncateFrom();
            }
            case COMPACT -> {
                return "group " + r.group() + " compact up to " + r.index() + " (term " + r.term() + ")";
            }
            case RESET -> {
                return "group " + r.group() + " reset to " + r.index() + " (term " + r.term() + ")";
            }
            case APPEND -> {
                // below
            }
        }
        List<LogEntry> e = r.entries();
        return "group " + r.group() + " entries "
                + (e.isEmpty() ? "none" : e.get(0).index() + ".." + e.get(e.size() - 1).index());
    }
}
