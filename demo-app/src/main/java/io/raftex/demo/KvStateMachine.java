package io.raftex.demo;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The key-value store as a Raft state machine: each command is applied as SQL on an embedded H2 database of this
 * node, and snapshots are a data-only binary copy of the table, never SQL.
 *
 * <p>The database is in memory on purpose. On restart the Raft group rebuilds its state machine from the latest
 * snapshot and the committed log (the runtime does not persist how far the state machine had applied), so a
 * database kept on disk would see commands it had already applied a second time, on top of a later state. A
 * compare-and-set replayed that way could decide differently than it did the first time. Kept in memory, the
 * database starts empty with the process and the log is the only durable copy, as Raft intends.
 *
 * <p>Snapshot format, version 1 (all integers big-endian):
 * <pre>
 *   int32 magic 0x52584B56 ("RXKV") | int32 version = 1 | int32 row count n &gt;= 0
 *   n rows, in key order:  int32 key length, key as UTF-8 | int32 value length, value as UTF-8 | int64 index
 *   int32 CRC32C of every byte before it
 * </pre>
 * and nothing after. {@link #snapshot()} copies the rows out on the apply thread, and the returned
 * {@link StateSnapshot} encodes that copy later. {@link #restore} reads the whole stream and checks all of it (magic,
 * version, lengths and {@link KvCommand}'s key and value rules, no duplicate key, no negative index, the checksum,
 * the end) before it changes anything, then replaces the table in one transaction with prepared statements: a
 * snapshot is data, whatever text its keys and values hold.
 *
 * <p>Every method runs on the group's thread (applies, queries through
 * {@link io.raftex.autoconfigure.client.RaftClient#query}, snapshot capture and restore), except {@link #close()} and
 * the capture's write; they are synchronized anyway, so a query run from elsewhere, for example in a test, cannot
 * interleave with an apply.
 */
public final class KvStateMachine implements StateMachine<KvCommand, KvResult>, AutoCloseable {

    private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS KV ("
            + "K CHARACTER VARYING(" + KvCommand.MAX_KEY_LENGTH + ") PRIMARY KEY, "
            + "V CHARACTER VARYING(" + KvCommand.MAX_VALUE_LENGTH + ") NOT NULL, "
            + "IDX BIGINT NOT NULL)";

    /** The first four bytes of a snapshot: "RXKV". */
    static final int MAGIC = 0x52584B56;

    /** The snapshot format this class writes, and the only one it reads. */
    static final int FORMAT_VERSION = 1;

    /** Longest UTF-8 form of a key: three bytes per UTF-16 unit at most (a 4-byte character is two units). */
    private static final int MAX_KEY_BYTES = 3 * KvCommand.MAX_KEY_LENGTH;

    /** Longest UTF-8 form of a value. */
    private static final int MAX_VALUE_BYTES = 3 * KvCommand.MAX_VALUE_LENGTH;

    /** Rows per JDBC batch when a snapshot is loaded. */
    private static final int INSERT_BATCH = 1_000;

    private final String url;
    private final Connection connection;
    private final PreparedStatement select;
    private final PreparedStatement merge;
    private final PreparedStatement delete;
    private final PreparedStatement count;
    private final PreparedStatement selectAll;
    private final PreparedStatement deleteAll;
    private final PreparedStatement insert;

    private KvStateMachine(String url) {
        this.url = url;
        try {
            connection = DriverManager.getConnection(url, "sa", "");
            try (Statement s = connection.createStatement()) {
                s.execute(CREATE_TABLE);
            }
            select = connection.prepareStatement("SELECT V, IDX FROM KV WHERE K = ?");
            merge = connection.prepareStatement("MERGE INTO KV (K, V, IDX) KEY (K) VALUES (?, ?, ?)");
            delete = connection.prepareStatement("DELETE FROM KV WHERE K = ?");
            count = connection.prepareStatement("SELECT COUNT(*) FROM KV");
            selectAll = connection.prepareStatement("SELECT K, V, IDX FROM KV ORDER BY K");
            deleteAll = connection.prepareStatement("DELETE FROM KV");
            insert = connection.prepareStatement("INSERT INTO KV (K, V, IDX) VALUES (?, ?, ?)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the H2 database " + url + ": " + e.getMessage(), e);
        }
    }

    /**
     * A store in a fresh in-memory H2 database named after the node. The name also carries a random part, so two
     * nodes in one JVM (as in tests) never share a database; the database lives as long as this object's
     * connection.
     */
    public static KvStateMachine inMemory(String nodeId) {
        String node = nodeId == null ? "node" : nodeId.replaceAll("[^A-Za-z0-9_-]", "_");
        String name = "kv-" + node + "-" + UUID.randomUUID().toString().substring(0, 8);
        return new KvStateMachine("jdbc:h2:mem:" + name);
    }

    /** The JDBC URL of this store's database. */
    public String url() {
        return url;
    }

    @Override
    public synchronized KvResult apply(KvCommand command, ApplyContext context) {
        Objects.requireNonNull(command, "command");
        try {
            if (command instanceof KvCommand.Put put) {
                write(put.key(), put.value(), context.index());
                return new KvResult(true, put.value(), context.index());
            }
            if (command instanceof KvCommand.Delete del) {
                Optional<KvEntry> current = read(del.key());
                if (current.isPresent()) {
                    delete.setString(1, del.key());
                    delete.executeUpdate();
                }
                return new KvResult(current.isPresent(), current.map(KvEntry::value).orElse(null), context.index());
            }
            KvCommand.CompareAndSet cas = (KvCommand.CompareAndSet) command;
            String current = read(cas.key()).map(KvEntry::value).orElse(null);
            if (!Objects.equals(current, cas.expected())) {
                return new KvResult(false, current, context.index());
            }
            write(cas.key(), cas.value(), context.index());
            return new KvResult(true, cas.value(), context.index());
        } catch (SQLException e) {
            // each command changes the table with one statement, so a failure changed nothing: the group turns the
            // exception into a CommandFailedException for the client, alike on every member
            throw new IllegalStateException("H2 failed to apply " + command + " at index " + context.index()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The key's entry, if the key is present. */
    public synchronized Optional<KvEntry> get(String key) {
        try {
            return read(key);
        } catch (SQLException e) {
            throw new IllegalStateException("H2 failed to read key '" + key + "': " + e.getMessage(), e);
        }
    }

    /** How many keys the store holds. */
    public synchronized long size() {
        try (ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("H2 failed to count keys: " + e.getMessage(), e);
        }
    }

    private Optional<KvEntry> read(String key) throws SQLException {
        select.setString(1, key);
        try (ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new KvEntry(key, rs.getString(1), rs.getLong(2)));
        }
    }

    private void write(String key, String value, long index) throws SQLException {
        merge.setString(1, key);
        merge.setString(2, value);
        merge.setLong(3, index);
        merge.executeUpdate();
    }

    /**
     * Captures the store for a snapshot: reads every row, in key order, into memory. It runs on the apply thread
     * and is synchronized with {@link #apply}, so the capture is the state as of the last applied command; the
     * returned snapshot encodes these rows later, on any thread, and never reads the database again.
     */
    @Override
    public synchronized StateSnapshot snapshot() {
        List<KvEntry> rows = new ArrayList<>();
        try (ResultSet rs = selectAll.executeQuery()) {
            while (rs.next()) {
                rows.add(new KvEntry(rs.getString(1), rs.getString(2), rs.getLong(3)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("H2 failed to read the store for a snapshot: " + e.getMessage(), e);
        }
        return new Capture(Collections.unmodifiableList(rows));
    }

    /**
     * Replaces the whole store with a snapshot written by {@link #snapshot()}. The stream is read to its end and
     * checked completely first (see the class comment for the format and its checks); anything malformed throws an
     * {@link IOException} before the table is touched. The table is then emptied and filled in one transaction,
     * rolled back if H2 fails, so the store is either the snapshot's or, with an exception, what it was.
     */
    @Override
    public synchronized void restore(InputStream in) throws IOException {
        List<KvEntry> rows = decode(in);
        try {
            connection.setAutoCommit(false);
            try {
                deleteAll.executeUpdate();
                int pending = 0;
                for (KvEntry row : rows) {
                    insert.setString(1, row.key());
                    insert.setString(2, row.value());
                    insert.setLong(3, row.index());
                    insert.addBatch();
                    if (++pending == INSERT_BATCH) {
                        insert.executeBatch();
                        pending = 0;
                    }
                }
                if (pending > 0) {
                    insert.executeBatch();
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                insert.clearBatch();
                connection.rollback();
                throw new IOException("H2 failed to load the snapshot (" + rows.size() + " rows); the store is"
                        + " unchanged: " + e.getMessage(), e);
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            // a failed switch of autocommit or a failed rollback: if it came after the delete, the state is not known
            throw new IOException("H2 failed while loading the snapshot, and the store may be partly replaced: "
                    + e.getMessage(), e);
        }
    }

    /** Writes {@code rows} in the snapshot format (see the class comment) to {@code out}, without closing it. */
    static void encode(List<KvEntry> rows, OutputStream out) throws IOException {
        CharsetEncoder utf8 = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CRC32C crc = new CRC32C();
        BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
        DataOutputStream data = new DataOutputStream(new CheckedOutputStream(buffered, crc));
        data.writeInt(MAGIC);
        data.writeInt(FORMAT_VERSION);
        data.writeInt(rows.size());
        for (KvEntry row : rows) {
            writeString(data, utf8, row.key(), "key", row.key());
            writeString(data, utf8, row.value(), "value", row.key());
            data.writeLong(row.index());
        }
        int checksum = (int) crc.getValue();
        new DataOutputStream(buffered).writeInt(checksum);
        buffered.flush();
    }

    private static void writeString(DataOutputStream data, CharsetEncoder utf8, String text, String field, String key)
            throws IOException {
        ByteBuffer bytes;
        try {
            bytes = utf8.encode(CharBuffer.wrap(text));
        } catch (CharacterCodingException e) {
            // a lone surrogate: Java holds it, UTF-8 cannot; failing beats writing a '?' the source never had
            throw new IOException("the " + field + " of key '" + key + "' is not valid Unicode (a lone surrogate)"
                    + " and cannot be written as UTF-8", e);
        }
        data.writeInt(bytes.remaining());
        data.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
    }

    /**
     * Reads and checks a whole snapshot, to the end of {@code in}. Memory grows with the rows actually read, never
     * with the counts and lengths the stream claims: a length is checked against its limit before anything is
     * allocated for it, and the row count only bounds the loop.
     */
    static List<KvEntry> decode(InputStream in) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CRC32C crc = new CRC32C();
        DataInputStream data = new DataInputStream(new CheckedInputStream(new BufferedInputStream(in, 1 << 16), crc));
        String at = "in the header";
        try {
            int magic = data.readInt();
            if (magic != MAGIC) {
                throw new IOException(String.format("not a key-value snapshot: it starts with 0x%08x, not 0x%08x"
                        + " (\"RXKV\")", magic, MAGIC));
            }
            int version = data.readInt();
            if (version != FORMAT_VERSION) {
                throw new IOException("unsupported key-value snapshot version " + version + "; this build reads"
                        + " version " + FORMAT_VERSION);
            }
            int count = data.readInt();
            if (count < 0) {
                throw new IOException("the snapshot claims a negative row count (" + count + ")");
            }
            List<KvEntry> rows = new ArrayList<>(Math.min(count, 1024));
            Set<String> keys = new HashSet<>(Math.min(count, 1024));
            for (int i = 0; i < count; i++) {
                at = "in row " + (i + 1) + " of " + count;
                String key = readString(data, utf8, 1, MAX_KEY_BYTES, "key", at);
                String value = readString(data, utf8, 0, MAX_VALUE_BYTES, "value", at);
                long index = data.readLong();
                try {
                    KvCommand.checkKey(key);
                    KvCommand.checkValue("value", value);
                } catch (IllegalArgumentException e) {
                    throw new IOException("bad snapshot " + at + ": " + e.getMessage(), e);
                }
                if (index < 0) {
                    throw new IOException("bad snapshot " + at + ": negative index " + index);
                }
                if (!keys.add(key)) {
                    throw new IOException("bad snapshot " + at + ": key '" + key + "' appears twice");
                }
                rows.add(new KvEntry(key, value, index));
            }
            at = "before its checksum";
            int computed = (int) crc.getValue();
            int stored = data.readInt();
            if (stored != computed) {
                throw new IOException(String.format("snapshot checksum mismatch: CRC32C of the content is 0x%08x,"
                        + " the trailer says 0x%08x", computed, stored));
            }
            if (data.read() != -1) {
                throw new IOException("bad snapshot: bytes follow its checksum");
            }
            return rows;
        } catch (EOFException e) {
            throw new IOException("snapshot is truncated: it ends " + at, e);
        }
    }

    private static String readString(DataInputStream data, CharsetDecoder utf8, int min, int max, String field,
                                     String at) throws IOException {
        int length = data.readInt();
        if (length < min || length > max) {
            throw new IOException("bad snapshot " + at + ": " + field + " of " + length + " bytes; it must be "
                    + min + " to " + max + " bytes of UTF-8");
        }
        byte[] bytes = new byte[length];
        data.readFully(bytes);
        try {
            return utf8.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("bad snapshot " + at + ": " + field + " is not valid UTF-8", e);
        }
    }

    /** Rows read at capture time; encodes them when asked, once, on whatever thread the runtime uses. */
    private static final class Capture implements StateSnapshot {
        private volatile List<KvEntry> rows;

        Capture(List<KvEntry> rows) {
            this.rows = rows;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            List<KvEntry> captured = rows;
            if (captured == null) {
                throw new IOException("this snapshot was released");
            }
            encode(captured, out);
        }

        @Override
        public void release() {
            rows = null;
        }
    }

    /** Closes the connection, which drops the in-memory database. */
    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new UncheckedIOException(new IOException("cannot close " + url, e));
        }
    }
}
