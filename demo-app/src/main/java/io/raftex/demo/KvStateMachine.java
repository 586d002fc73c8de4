package io.raftex.demo;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateMachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The key-value store as a Raft state machine: each command is applied as SQL on an embedded H2 database of this
 * node, and snapshots are H2's own export ({@code SCRIPT TO}) and import ({@code RUNSCRIPT FROM}).
 *
 * <p>The database is in memory on purpose. On restart the Raft group rebuilds its state machine from the latest
 * snapshot and the committed log (the runtime does not persist how far the state machine had applied), so a
 * database kept on disk would see commands it had already applied a second time, on top of a later state. A
 * compare-and-set replayed that way could decide differently than it did the first time. Kept in memory, the
 * database starts empty with the process and the log is the only durable copy, as Raft intends.
 *
 * <p>Every method runs on the group's thread (applies, queries through
 * {@link io.raftex.autoconfigure.client.RaftClient#query}, snapshots), except {@link #close()}; they are
 * synchronized anyway, so a query run from elsewhere, for example in a test, cannot interleave with an apply.
 */
public final class KvStateMachine implements StateMachine<KvCommand, KvResult>, AutoCloseable {

    private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS KV ("
            + "K CHARACTER VARYING(" + KvCommand.MAX_KEY_LENGTH + ") PRIMARY KEY, "
            + "V CHARACTER VARYING(" + KvCommand.MAX_VALUE_LENGTH + ") NOT NULL, "
            + "IDX BIGINT NOT NULL)";

    private final String url;
    private final Connection connection;
    private final PreparedStatement select;
    private final PreparedStatement merge;
    private final PreparedStatement delete;
    private final PreparedStatement count;

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

    /** Exports the table with H2's {@code SCRIPT TO} (a SQL script) and copies the script to {@code out}. */
    @Override
    public synchronized void writeSnapshot(OutputStream out) throws IOException {
        Path script = Files.createTempFile("raftex-kv-snapshot-", ".sql");
        try {
            try (Statement s = connection.createStatement()) {
                s.execute("SCRIPT TO " + literal(script) + " TABLE KV");
            } catch (SQLException e) {
                throw new IOException("H2 could not export the store: " + e.getMessage(), e);
            }
            Files.copy(script, out);
            out.flush();
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /**
     * Replaces the whole store with a script written by {@link #writeSnapshot}, with H2's {@code RUNSCRIPT FROM}.
     * DDL commits at once in H2, so a failure half-way leaves the store in an unknown state: it is reported as an
     * {@link IOException}, which stops the group rather than letting it go on from there.
     */
    @Override
    public synchronized void readSnapshot(InputStream in) throws IOException {
        Path script = Files.createTempFile("raftex-kv-restore-", ".sql");
        try {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            try (Statement s = connection.createStatement()) {
                s.execute("DROP TABLE IF EXISTS KV");
                s.execute("RUNSCRIPT FROM " + literal(script));
                s.execute(CREATE_TABLE); // in case the script held no table at all
            } catch (SQLException e) {
                throw new IOException("H2 could not import the snapshot: " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** A path as an SQL string literal. */
    private static String literal(Path path) {
        return "'" + path.toAbsolutePath().toString().replace("'", "''") + "'";
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
