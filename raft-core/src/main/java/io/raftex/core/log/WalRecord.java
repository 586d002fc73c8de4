package io.raftex.core.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One WAL record of a group: an append (a run of consecutive entries), a truncation, a compaction or a reset.
 *
 * <p>Frame: {@code magic:i32 crc32c:i32 length:i32 body}, the CRC covering the length field and the body, so a
 * garbled length is caught too. Body: {@code kind:u8 groupLength:u16 group:utf8} then, for an append (kind 1),
 * {@code count:i32 entries} (see {@link EntryCodec}); for a truncation (2), {@code fromIndex:i64}; for a compaction
 * (4) and a reset (5), {@code index:i64 term:i64}, the new log start. Every batch the WAL writer syncs ends with a
 * batch-commit marker frame ({@link #commitFrame}, kind 3), which recovery uses to tell an unsynced (torn) last batch
 * from corruption of a synced one.
 *
 * @param kind    what the record does
 * @param group   the group the record belongs to
 * @param entries the appended entries (empty for every other kind)
 * @param index   the first index dropped by a truncation; the new snapshot index of a compaction or reset; 0 for an
 *                append
 * @param term    the term at {@code index} for a compaction or reset, else 0
 */
public record WalRecord(Kind kind, String group, List<LogEntry> entries, long index, long term) {

    /** The kinds of record. */
    public enum Kind {
        /** Entries appended after the last one. */
        APPEND,
        /** Every entry from {@link #index} on dropped. */
        TRUNCATE,
        /** Entries up to {@link #index} (term {@link #term}) let go: the log now starts after it. */
        COMPACT,
        /** Every entry dropped; the log is empty at snapshot point {@link #index} / {@link #term}. */
        RESET
    }

    /** Marks the start of every frame ("RFXW"). */
    static final int MAGIC = 0x52465857;
    /** Bytes before the body. */
    static final int HEADER = 12;
    /** Largest body recovery accepts; a larger length field is damage. */
    static final int MAX_BODY = 256 << 20;

    private static final byte APPEND = 1;
    private static final byte TRUNCATE = 2;
    private static final byte COMMIT = 3;
    private static final byte COMPACT = 4;
    private static final byte RESET = 5;
    /** Body of a batch-commit marker: {@code kind groupLength(0) startOffset:i64 records:i32 batchCrc:i32}. */
    private static final int COMMIT_BODY = 1 + 2 + 8 + 4 + 4;
    /** Length of a whole batch-commit marker frame. */
    static final int COMMIT_FRAME = HEADER + COMMIT_BODY;

    /**
     * A batch-commit marker, the last frame of every batch the WAL writer syncs: the batch's first byte in the file,
     * the number of records in it and the CRC32C of all their frames.
     */
    record BatchCommit(long startOffset, int records, int batchCrc) {
    }

    public WalRecord {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(group, "group");
        entries = List.copyOf(entries);
    }

    /** An append record; it holds the very entry objects the memory table holds, so eviction can compare identity. */
    static WalRecord append(String group, List<LogEntry> entries) {
        return new WalRecord(Kind.APPEND, group, entries, 0, 0);
    }

    /** A truncation record. */
    static WalRecord truncate(String group, long fromIndex) {
        return new WalRecord(Kind.TRUNCATE, group, List.of(), fromIndex, 0);
    }

    /** A compaction record: the log starts after {@code index} (whose term is {@code term}). */
    static WalRecord compact(String group, long index, long term) {
        return new WalRecord(Kind.COMPACT, group, List.of(), index, term);
    }

    /** A reset record: every entry is dropped, and the log is empty at {@code index} / {@code term}. */
    static WalRecord reset(String group, long index, long term) {
        return new WalRecord(Kind.RESET, group, List.of(), index, term);
    }

    /** Whether this is an append. */
    public boolean isAppend() {
        return kind == Kind.APPEND;
    }

    /** Whether this is a truncation. */
    public boolean isTruncate() {
        return kind == Kind.TRUNCATE;
    }

    /** The first index a truncation drops, or 0 for any other kind. */
    public long truncateFrom() {
        return kind == Kind.TRUNCATE ? index : 0;
    }

    /** The whole frame, ready to be written. */
    byte[] toFrame() {
        byte[] groupBytes = group.getBytes(StandardCharsets.UTF_8);
        if (groupBytes.length > 0xFFFF) {
            throw new IllegalArgumentException("group id too long");
        }
        long body = 1 + 2 + groupBytes.length;
        switch (kind) {
            case APPEND -> {
                body += 4;
                for (LogEntry e : entries) {
                    body += EntryCodec.encodedSize(e);
                }
            }
            case TRUNCATE -> body += 8;
            case COMPACT, RESET -> body += 16;
        }
        if (body > MAX_BODY) {
            // Recovery would take a larger length field for damage, so such a record must never be written.
            throw new StorageException("WAL record of group " + group + " too large: " + body + " bytes (max "
                    + MAX_BODY + "); append fewer entries at a time");
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER + (int) body);
        out.putInt(MAGIC).putInt(0).putInt((int) body);
        byte code = switch (kind) {
            case APPEND -> APPEND;
            case TRUNCATE -> TRUNCATE;
            case COMPACT -> COMPACT;
            case RESET -> RESET;
        };
        out.put(code).putShort((short) groupBytes.length).put(groupBytes);
        switch (kind) {
            case APPEND -> {
                out.putInt(entries.size());
                for (LogEntry e : entries) {
                    EntryCodec.write(out, e);
                }
            }
            case TRUNCATE -> out.putLong(index);
            case COMPACT, RESET -> out.putLong(index).putLong(term);
        }
        byte[] frame = out.array();
        out.putInt(4, EntryCodec.crc(frame, 8, frame.length - 8));
        return frame;
    }

    /** The batch-commit marker frame for a batch of {@code records} frames from {@code startOffset}. */
    static byte[] commitFrame(long startOffset, int records, int batchCrc) {
        ByteBuffer out = ByteBuffer.allocate(COMMIT_FRAME);
        out.putInt(MAGIC).putInt(0).putInt(COMMIT_BODY);
        out.put(COMMIT).putShort((short) 0).putLong(startOffset).putInt(records).putInt(batchCrc);
        byte[] frame = out.array();
        out.putInt(4, EntryCodec.crc(frame, 8, frame.length - 8));
        return frame;
    }

    /**
     * Parses a batch-commit marker at {@code offset} of {@code data[0, limit)}, or returns null if there is no whole,
     * valid marker there (which may mean there is a record instead).
     */
    static BatchCommit parseCommit(byte[] data, int offset, int limit) {
        if (limit - offset < COMMIT_FRAME || data[offset + HEADER] != COMMIT) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(data, offset, COMMIT_FRAME);
        if (in.getInt() != MAGIC) {
            return null;
        }
        int crc = in.getInt();
        if (in.getInt() != COMMIT_BODY || crc != EntryCodec.crc(data, offset + 8, COMMIT_BODY + 4)) {
            return null;
        }
        in.get();
        if (in.getShort() != 0) {
            return null;
        }
        long start = in.getLong();
        int records = in.getInt();
        return start < 0 || records < 1 ? null : new BatchCommit(start, records, in.getInt());
    }

    /**
     * Parses the record frame at {@code offset} of {@code data[0, limit)}, or returns null if there is no whole,
     * valid record frame there (bad magic, impossible length, short data, CRC mismatch, malformed body, or a
     * batch-commit marker, see {@link #parseCommit}).
     */
    static WalRecord parse(byte[] data, int offset, int limit) {
        if (limit - offset < HEADER) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(data, offset, limit - offset);
        if (in.getInt() != MAGIC) {
            return null;
        }
        int crc = in.getInt();
        int body = in.getInt();
        if (body < 3 || body > MAX_BODY || body > limit - offset - HEADER) {
            return null;
        }
        if (crc != EntryCodec.crc(data, offset + 8, body + 4)) {
            return null;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(data, offset + HEADER, body);
            byte kind = b.get();
            byte[] groupBytes = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(groupBytes);
            String group = new String(groupBytes, StandardCharsets.UTF_8);
            WalRecord record;
            if (kind == TRUNCATE) {
                record = truncate(group, b.getLong());
            } else if (kind == COMPACT || kind == RESET) {
                long index = b.getLong();
                long term = b.getLong();
                if (index < 0 || term < 0) {
                    return null;
                }
                record = kind == COMPACT ? compact(group, index, term) : reset(group, index, term);
            } else if (kind == APPEND) {
                int count = b.getInt();
                if (count < 0 || count > body / LogEntry.OVERHEAD_BYTES) {
                    return null;
                }
                List<LogEntry> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    entries.add(EntryCodec.read(b, "WAL record"));
                }
                record = append(group, entries);
            } else {
                return null;
            }
            return b.hasRemaining() ? null : record;
        } catch (RuntimeException e) {
            return null; // a CRC collision on garbage; treat as an invalid frame
        }
    }

    /** Where the encoded entries of an append frame (as {@link #toFrame} builds it) start in the frame. */
    static int entriesOffset(byte[] frame) {
        int groupLength = ((frame[HEADER + 1] & 0xFF) << 8) | (frame[HEADER + 2] & 0xFF);
        return HEADER + 1 + 2 + groupLength + 4;
    }

    /** Size of the frame at {@code offset}, valid only after {@link #parse} accepted it. */
    static int frameLength(byte[] data, int offset) {
        return HEADER + ByteBuffer.wrap(data, offset + 8, 4).getInt();
    }
}
