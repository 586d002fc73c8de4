package io.raftex.core.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One WAL record: a group's append (a run of consecutive entries) or truncation.
 *
 * <p>Frame: {@code magic:i32 crc32c:i32 length:i32 body}, the CRC covering the length field and the body, so a
 * garbled length is caught too. Body: {@code kind:u8 groupLength:u16 group:utf8} then, for an append,
 * {@code count:i32 entries} (see {@link EntryCodec}) and, for a truncation, {@code fromIndex:i64}. The magic lets
 * recovery look past a damaged record for valid ones, which tells a torn tail from corruption.
 *
 * @param group        the group the record belongs to
 * @param entries      the appended entries (empty for a truncation)
 * @param truncateFrom the first index dropped, or 0 for an append
 */
public record WalRecord(String group, List<LogEntry> entries, long truncateFrom) {

    /** Marks the start of every frame ("RFXW"). */
    static final int MAGIC = 0x52465857;
    /** Bytes before the body. */
    static final int HEADER = 12;
    /** Largest body recovery accepts; a larger length field is damage. */
    static final int MAX_BODY = 256 << 20;

    private static final byte APPEND = 1;
    private static final byte TRUNCATE = 2;

    public WalRecord {
        Objects.requireNonNull(group, "group");
        entries = List.copyOf(entries);
    }

    /** An append record; it holds the very entry objects the memory table holds, so eviction can compare identity. */
    static WalRecord append(String group, List<LogEntry> entries) {
        return new WalRecord(group, entries, 0);
    }

    /** A truncation record. */
    static WalRecord truncate(String group, long fromIndex) {
        return new WalRecord(group, List.of(), fromIndex);
    }

    /** Whether this is a truncation. */
    public boolean isTruncate() {
        return truncateFrom > 0;
    }

    /** The whole frame, ready to be written. */
    byte[] toFrame() {
        byte[] groupBytes = group.getBytes(StandardCharsets.UTF_8);
        if (groupBytes.length > 0xFFFF) {
            throw new IllegalArgumentException("group id too long");
        }
        long body = 1 + 2 + groupBytes.length;
        if (isTruncate()) {
            body += 8;
        } else {
            body += 4;
            for (LogEntry e : entries) {
                body += EntryCodec.encodedSize(e);
            }
        }
        if (body > MAX_BODY) {
            // Recovery would take a larger length field for damage, so such a record must never be written.
            throw new StorageException("WAL record of group " + group + " too large: " + body + " bytes (max "
                    + MAX_BODY + "); append fewer entries at a time");
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER + (int) body);
        out.putInt(MAGIC).putInt(0).putInt((int) body);
        out.put(isTruncate() ? TRUNCATE : APPEND).putShort((short) groupBytes.length).put(groupBytes);
        if (isTruncate()) {
            out.putLong(truncateFrom);
        } else {
            out.putInt(entries.size());
            for (LogEntry e : entries) {
                EntryCodec.write(out, e);
            }
        }
        byte[] frame = out.array();
        out.putInt(4, EntryCodec.crc(frame, 8, frame.length - 8));
        return frame;
    }

    /**
     * Parses the frame at {@code offset} of {@code data[0, limit)}, or returns null if there is no whole, valid
     * frame there (bad magic, impossible length, short data, CRC mismatch or malformed body).
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

    /** Size of the frame at {@code offset}, valid only after {@link #parse} accepted it. */
    static int frameLength(byte[] data, int offset) {
        return HEADER + ByteBuffer.wrap(data, offset + 8, 4).getInt();
    }
}
