package io.raftex.core.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Replays the WAL into the store of record when a node's storage opens.
 *
 * <p>Files before the store's checkpoint are already applied and skipped; the checkpoint file is read from the
 * checkpoint offset, later files from their start, every record's CRC verified. When a record cannot be read:
 * <ul>
 *   <li>if it is in the last file and no valid record follows it anywhere in that file, it is a torn tail left by
 *       a crash mid-write (never acknowledged, since the sync had not returned): the file is cut at the record's
 *       start, synced, and a warning is logged;</li>
 *   <li>otherwise (a valid record follows, or the file is not the last one) it is corruption of data that may
 *       have been acknowledged, and the whole open fails with a {@link StorageException} naming the file, the
 *       offset and the last good record, because silently dropping it could lose committed entries.</li>
 * </ul>
 */
final class WalRecovery {

    private static final Logger log = LoggerFactory.getLogger(WalRecovery.class);

    /** What replay found: the position after the last valid record, and counts. */
    record Result(long lastSeq, long endOffset, long records, long tornBytes) {
    }

    private WalRecovery() {
    }

    /** Applies every WAL record after the store's checkpoint to the store and commits; the caller holds no lock. */
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
                String lastGood = "none";
                boolean lastFile = f == seqs.size() - 1;
                while (offset < data.length) {
                    WalRecord r = WalRecord.parse(data, offset, data.length);
                    if (r == null) {
                        if (lastFile && !validRecordAfter(data, offset + 1)) {
                            torn = data.length - offset;
                            log.warn("WAL {}: cutting a torn tail of {} bytes at offset {} (last good record: {})",
                                    file, torn, offset, lastGood);
                            cut(file, offset);
                            break;
                        }
                        throw new StorageException("corrupt WAL record in " + file + " at offset " + offset
                                + " (last good record before it: " + lastGood + "); "
                                + (lastFile ? "valid records follow it" : "later WAL files follow it")
                                + ", so this is not a torn tail and entries may have been acknowledged");
                    }
                    store.apply(r);
                    records++;
                    offset += WalRecord.frameLength(data, offset);
                    lastGood = describe(r);
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

    private static boolean validRecordAfter(byte[] data, int from) {
        for (int i = from; i + WalRecord.HEADER <= data.length; i++) {
            // Cheap magic test first; the full parse (length, CRC, body) only where it matches.
            if (data[i] == (byte) (WalRecord.MAGIC >>> 24) && WalRecord.parse(data, i, data.length) != null) {
                return true;
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
        if (r.isTruncate()) {
            return "group " + r.group() + " truncate from " + r.truncateFrom();
        }
        List<LogEntry> e = r.entries();
        return "group " + r.group() + " entries "
                + (e.isEmpty() ? "none" : e.get(0).index() + ".." + e.get(e.size() - 1).index());
    }
}
