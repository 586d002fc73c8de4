package io.raftex.core.snapshot;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.log.ConfigCodec;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * The whole form of a snapshot, shared by every {@link SnapshotStore}, all big-endian:
 *
 * <pre>
 * magic "RFXS" (4 bytes)  version:u8 (1)  index:i64  term:i64
 * memberCount:i32  (id:str  address:str  membership:u8)*      strings as length:i32 utf8
 * stateLength:i64  state (stateLength bytes)  crc32c:i32 (over every byte before it)
 * </pre>
 *
 * Membership codes are fixed here (0 voter, 1 promotable, 2 non-voter), independent of the enum's order.
 */
final class SnapshotFormat {

    static final byte[] MAGIC = {'R', 'F', 'X', 'S'};
    static final int VERSION = 1;
    static final int TRAILER_BYTES = 4;
    /** Bytes of the state-length field, the last of the header. */
    static final int STATE_LENGTH_BYTES = 8;

    private SnapshotFormat() {
    }

    /** A parsed header: what it describes, how many state bytes follow, and its own length. */
    record Header(SnapshotMeta meta, long stateLength, long headerBytes) {

        /** The length of the whole form this header announces. */
        long formBytes() {
            return headerBytes + stateLength + TRAILER_BYTES;
        }
    }

    /** The header of a snapshot with this metadata and state length. */
    static byte[] header(SnapshotMeta meta, long stateLength) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeLong(meta.index());
            out.writeLong(meta.term());
            ConfigCodec.write(out, meta.config());
            out.writeLong(stateLength);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen on a byte array
        }
    }

    /** The whole form of a snapshot whose state is already in memory. */
    static byte[] encode(SnapshotMeta meta, byte[] state) {
        byte[] header = header(meta, state.length);
        byte[] form = Arrays.copyOf(header, header.length + state.length + TRAILER_BYTES);
        System.arraycopy(state, 0, form, header.length, state.length);
        int body = header.length + state.length;
        ByteBuffer.wrap(form, body, TRAILER_BYTES).putInt(crc(form, 0, body));
        return form;
    }

    /** CRC32C of a byte range. */
    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /**
     * Reads and checks a header from {@code in}, the start of a form of {@code size} bytes: magic, version, sane
     * counts and lengths, a valid configuration, and a state length that makes the form exactly {@code size} long.
     *
     * @param what names the snapshot in error messages
     * @throws SnapshotCorruptException if the header is broken or does not fit {@code size}
     */
    static Header readHeader(DataInputStream in, long size, String what) throws IOException {
        Reader r = new Reader(in, size, what);
        byte[] magic = r.bytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            throw corrupt(what, "bad magic " + printable(magic) + ", expected RFXS");
        }
        int version = r.u8();
        if (version != VERSION) {
            throw corrupt(what, "unsupported format version " + version + ", expected " + VERSION);
        }
        long index = r.i64();
        long term = r.i64();
        int count = r.i32();
        if (count < 1 || count > r.remaining() / 9) { // each member takes at least 9 bytes
            throw corrupt(what, "impossible member count " + count);
        }
        List<Member> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String id = r.string();
            String address = r.string();
            int code = r.u8();
            // a bound member's incarnation follows its membership code (ConfigCodec)
            long incarnation = ConfigCodec.isBound(code) ? r.i64() : Member.UNBOUND;
            try {
                members.add(new Member(MemberId.of(id), address, ConfigCodec.membership(ConfigCodec.unflagged(code)),
                        incarnation));
            } catch (IllegalArgumentException e) {
                throw corrupt(what, "bad member #" + i + ": " + e.getMessage());
            }
        }
        long stateLength = r.i64();
        SnapshotMeta meta;
        try {
            meta = new SnapshotMeta(index, term, new ClusterConfig(members));
        } catch (IllegalArgumentException e) {
            throw corrupt(what, "bad header: " + e.getMessage());
        }
        Header header = new Header(meta, stateLength, r.consumed);
        if (stateLength < 0 || stateLength != size - r.consumed - TRAILER_BYTES) {
            throw corrupt(what, "length mismatch: the header announces " + stateLength + " state bytes, "
                    + (size - r.consumed - TRAILER_BYTES) + " are there (the form is " + size + " bytes)");
        }
        return header;
    }

    /**
     * Verifies a whole form of {@code size} bytes read from {@code raw}: header, lengths, checksum, and that nothing
     * follows the checksum. Returns the metadata of its header.
     *
     * @throws SnapshotCorruptException if it does not verify
     */
    static SnapshotMeta verify(InputStream raw, long size, String what) throws IOException {
        try (InputStream state = stateStream(raw, size, what)) {
            byte[] buffer = new byte[64 << 10];
            while (state.read(buffer) >= 0) {
                // the stream checks the CRC at its end
            }
            return ((StateStream) state).header.meta();
        }
    }

    /** The header of the form that {@code state} (from {@link #stateStream}) reads. */
    static Header headerOf(InputStream state) {
        return ((StateStream) state).header;
    }

    /**
     * Reads the header of a form of {@code size} bytes from {@code raw} (throwing on a broken one) and returns a
     * stream of its state bytes that checks the CRC as they are read and throws {@link SnapshotCorruptException}
     * at their end on a mismatch. Closing it closes {@code raw}.
     */
    static InputStream stateStream(InputStream raw, long size, String what) throws IOException {
        boolean ok = false;
        try {
            CheckedInputStream checked = new CheckedInputStream(raw, new CRC32C());
            Header header = readHeader(new DataInputStream(checked), size, what);
            ok = true;
            return new StateStream(raw, checked, header, what);
        } finally {
            if (!ok) {
                raw.close();
            }
        }
    }

    static SnapshotCorruptException corrupt(String what, String why) {
        return new SnapshotCorruptException("snapshot " + what + " is corrupt (" + why + ")");
    }

    private static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder("0x");
        for (byte b : bytes) {
            s.append(String.format("%02x", b & 0xff));
        }
        return s.toString();
    }

    /** Reads header fields, never past the form's announced size, turning a premature end into corruption. */
    private static final class Reader {
        private final DataInputStream in;
        private final long size;
        private final String what;
        long consumed;

        Reader(DataInputStream in, long size, String what) {
            this.in = in;
            this.size = size;
            this.what = what;
        }

        long remaining() {
            return size - consumed - TRAILER_BYTES;
        }

        private void need(int n) throws SnapshotCorruptException {
            if (n > remaining()) {
                throw corrupt(what, "truncated: " + size + " bytes end inside the header");
            }
            consumed += n;
        }

        byte[] bytes(int n) throws IOException {
            need(n);
            byte[] b = new byte[n];
            try {
                in.readFully(b);
            } catch (EOFException e) {
                throw corrupt(what, "truncated: the header ends early");
            }
            return b;
        }

        int u8() throws IOException {
            return bytes(1)[0] & 0xff;
        }

        int i32() throws IOException {
            return ByteBuffer.wrap(bytes(4)).getInt();
        }

        long i64() throws IOException {
            return ByteBuffer.wrap(bytes(8)).getLong();
        }

        String string() throws IOException {
            int length = i32();
            if (length < 0 || length > remaining()) {
                throw corrupt(what, "impossible string length " + length + " in the header");
            }
            return new String(bytes(length), StandardCharsets.UTF_8);
        }
    }

    /**
     * The state bytes of a form whose header was read; checks the trailer CRC at their end. {@code skip} keeps
     * {@link InputStream}'s read-through default, so the CRC covers skipped bytes too.
     */
    private static final class StateStream extends InputStream {
        private final InputStream raw;
        private final CheckedInputStream checked;
        final Header header;
        private final String what;
        private long left;
        private boolean verified;

        StateStream(InputStream raw, CheckedInputStream checked, Header header, String what) {
            this.raw = raw;
            this.checked = checked;
            this.header = header;
            this.what = what;
            this.left = header.stateLength();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left == 0) {
                finish();
                return -1;
            }
            int n = checked.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw corrupt(what, "truncated: the state ends " + left + " bytes early");
            }
            left -= n;
            return n;
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, left);
        }

        private void finish() throws IOException {
            if (verified) {
                return;
            }
            int expected = (int) checked.getChecksum().getValue();
            byte[] trailer = new byte[TRAILER_BYTES];
            try {
                new DataInputStream(raw).readFully(trailer);
            } catch (EOFException e) {
                throw corrupt(what, "truncated: the CRC32C trailer is missing");
            }
            if (ByteBuffer.wrap(trailer).getInt() != expected) {
                throw corrupt(what, "CRC32C mismatch");
            }
            if (raw.read() >= 0) {
                throw corrupt(what, "bytes after the CRC32C trailer");
            }
            verified = true;
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }
}
