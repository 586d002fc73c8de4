package io.raftex.core.log;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Binary encoding of {@link LogEntry} values, alone or packed into checksummed chunks.
 *
 * <p>An entry is encoded as {@code index:i64 term:i64 type:u8 clientId:i64 sequence:i64 ackedBelow:i64
 * leaderTime:i64 payloadLength:i32 payload}, which is exactly {@link LogEntry#OVERHEAD_BYTES} plus the payload.
 * A chunk is {@code version:u8 count:i32 entries... crc32c:i32}, the CRC covering everything before it; every
 * decode verifies it, so a damaged chunk is never returned as entries.
 */
public final class EntryCodec {

    private static final byte CHUNK_VERSION = 1;
    private static final EntryType[] TYPES = EntryType.values();

    private EntryCodec() {
    }

    /** Bytes {@link #write} produces for this entry. */
    public static int encodedSize(LogEntry e) {
        return LogEntry.OVERHEAD_BYTES + e.payload().length;
    }

    /** Writes one entry at the buffer's position (no checksum: the enclosing frame or chunk carries one). */
    public static void write(ByteBuffer out, LogEntry e) {
        out.putLong(e.index()).putLong(e.term()).put((byte) e.type().ordinal())
                .putLong(e.clientId()).putLong(e.sequence()).putLong(e.ackedBelow()).putLong(e.leaderTime())
                .putInt(e.payload().length).put(e.payload());
    }

    /**
     * Reads one entry written by {@link #write}. Structural damage (an unknown type, an impossible length)
     * throws {@link StorageException} naming {@code what}; the caller is expected to have verified a CRC first.
     */
    public static LogEntry read(ByteBuffer in, String what) {
        try {
            long index = in.getLong();
            long term = in.getLong();
            int type = in.get();
            long clientId = in.getLong();
            long sequence = in.getLong();
            long ackedBelow = in.getLong();
            long leaderTime = in.getLong();
            int length = in.getInt();
            if (type < 0 || type >= TYPES.length || length < 0 || length > in.remaining()) {
                throw new StorageException("malformed entry in " + what + " (index " + index + ")");
            }
            byte[] payload = new byte[length];
            in.get(payload);
            return new LogEntry(index, term, TYPES[type], clientId, sequence, ackedBelow, leaderTime, payload);
        } catch (RuntimeException e) {
            if (e instanceof StorageException se) {
                throw se;
            }
            throw new StorageException("malformed entry in " + what + ": " + e, e);
        }
    }

    /** Encodes consecutive entries as one checksummed chunk. */
    public static byte[] encodeChunk(List<LogEntry> entries) {
        int size = 1 + 4 + 4;
        for (LogEntry e : entries) {
            size += encodedSize(e);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(CHUNK_VERSION).putInt(entries.size());
        for (LogEntry e : entries) {
            write(out, e);
        }
        out.putInt(crc(out.array(), 0, size - 4));
        return out.array();
    }

    /**
     * A chunk from entries already encoded back to back by {@link #write} ({@code encoded[0, length)}, {@code count}
     * of them), without decoding or re-encoding them.
     */
    static byte[] chunkOf(byte[] encoded, int length, int count) {
        byte[] chunk = new byte[1 + 4 + length + 4];
        chunk[0] = CHUNK_VERSION;
        ByteBuffer.wrap(chunk, 1, 4).putInt(count);
        System.arraycopy(encoded, 0, chunk, 5, length);
        ByteBuffer.wrap(chunk, chunk.length - 4, 4).putInt(crc(chunk, 0, chunk.length - 4));
        return chunk;
    }

    /** Where the encoded entries of a chunk start (they end 4 bytes before the chunk does). */
    static final int CHUNK_ENTRIES_OFFSET = 5;

    /**
     * Decodes a chunk, verifying its CRC first.
     *
     * @param what names the chunk in the error message, e.g. {@code "chunk at index 65 of group g1"}
     * @throws StorageException if the chunk is damaged
     */
    public static List<LogEntry> decodeChunk(byte[] chunk, String what) {
        if (chunk == null || chunk.length < 9) {
            throw new StorageException("corrupt " + what + ": truncated (" + (chunk == null ? 0 : chunk.length)
                    + " bytes)");
        }
        int stored = ByteBuffer.wrap(chunk, chunk.length - 4, 4).getInt();
        if (stored != crc(chunk, 0, chunk.length - 4)) {
            throw new StorageException("corrupt " + what + ": CRC32C mismatch");
        }
        ByteBuffer in = ByteBuffer.wrap(chunk, 0, chunk.length - 4);
        if (in.get() != CHUNK_VERSION) {
            throw new StorageException("corrupt " + what + ": unknown chunk version");
        }
        int count = in.getInt();
        if (count < 0 || count > chunk.length / LogEntry.OVERHEAD_BYTES) {
            throw new StorageException("corrupt " + what + ": impossible entry count " + count);
        }
        List<LogEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(read(in, what));
        }
        if (in.hasRemaining()) {
            throw new StorageException("corrupt " + what + ": " + in.remaining() + " trailing bytes");
        }
        return entries;
    }

    /** CRC32C of a byte range. */
    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
