package io.raftex.core.session;

import io.raftex.core.ApplyContext;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The replicated state of a group: the user's state machine plus a table of client sessions that makes a retried
 * command apply at most once and answer with its first result (Raft thesis §6.3). Both are changed only by
 * applying committed entries in order, so every member holds the same table.
 *
 * <p>Each session remembers the results of its commands at or above the lowest sequence number the client has not
 * yet seen answered ({@code ackedBelow}). When there are more than {@code maxSessions} sessions, the one used least
 * recently (by log index, so every member evicts the same one) is forgotten; a later command of a forgotten session
 * that has already had answers is refused with {@link CommandResult.SessionExpired} instead of being applied.
 */
public final class SessionStateMachine {

    private static final class Session {
        final TreeMap<Long, CommandResult> results = new TreeMap<>();
        long ackedBelow;
        long lastUsedIndex;
    }

    private final EncodedStateMachine machine;
    private final int maxSessions;
    private final Map<Long, Session> sessions = new HashMap<>();
    private long lastApplied;

    public SessionStateMachine(EncodedStateMachine machine, int maxSessions) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be >= 1");
        }
        this.machine = machine;
        this.maxSessions = maxSessions;
    }

    /** Index of the last entry applied. */
    public long lastApplied() {
        return lastApplied;
    }

    /** Number of live client sessions. */
    public int sessionCount() {
        return sessions.size();
    }

    /**
     * Applies the next committed entry. Entries must come in order, each index exactly once; a command yields its
     * result, other entries yield nothing.
     */
    public Optional<CommandResult> apply(LogEntry entry) {
        if (entry.index() != lastApplied + 1) {
            throw new IllegalStateException("apply out of order: expected " + (lastApplied + 1) + ", got "
                    + entry.index());
        }
        lastApplied = entry.index();
        if (entry.type() != EntryType.COMMAND) {
            return Optional.empty();
        }
        if (entry.clientId() == 0) {
            // a command without a session is applied as it is, with no de-duplication
            return Optional.of(applyToMachine(entry));
        }
        Session session = sessions.get(entry.clientId());
        if (session == null) {
            if (entry.ackedBelow() > 1) {
                // the client has had answers from this session before, so it was evicted: never apply twice
                return Optional.of(new CommandResult.SessionExpired(entry.clientId(), entry.sequence()));
            }
            session = new Session();
            sessions.put(entry.clientId(), session);
            evictIfNeeded(entry.clientId());
        }
        session.lastUsedIndex = entry.index();
        if (entry.ackedBelow() > session.ackedBelow) {
            session.ackedBelow = entry.ackedBelow();
            session.results.headMap(entry.ackedBelow()).clear();
        }
        CommandResult cached = session.results.get(entry.sequence());
        if (cached != null) {
            return Optional.of(cached instanceof CommandResult.Applied a ? new CommandResult.Duplicate(a.result())
                    : cached);
        }
        if (entry.sequence() < session.ackedBelow) {
            return Optional.of(new CommandResult.SessionExpired(entry.clientId(), entry.sequence()));
        }
        CommandResult result = applyToMachine(entry);
        // a retry is answered from the encoded form: the unencoded value is not kept
        session.results.put(entry.sequence(), result instanceof CommandResult.Applied a && a.value() != null
                ? new CommandResult.Applied(a.result()) : result);
        return Optional.of(result);
    }

    /**
     * Applies a command to the user's machine. A command that does not decode, or that the machine refuses by
     * throwing, becomes a {@link CommandResult.Failed} result on every member alike: what a client or peer sent
     * never stops the group. An {@link Error} still does.
     */
    private CommandResult applyToMachine(LogEntry entry) {
        try {
            return machine.applyForResult(entry.payload(), context(entry));
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? "" : ": " + e.getMessage();
            return new CommandResult.Failed(e.getClass().getSimpleName() + message);
        }
    }

    /**
     * Writes the session table (not the user's machine) for a snapshot: a version byte, then each session with the
     * results it still remembers, in client-id order so that equal tables write equal bytes.
     */
    public byte[] encodeSessions() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeInt(sessions.size());
            for (Map.Entry<Long, Session> e : new TreeMap<>(sessions).entrySet()) {
                Session session = e.getValue();
                out.writeLong(e.getKey());
                out.writeLong(session.ackedBelow);
                out.writeLong(session.lastUsedIndex);
                out.writeInt(session.results.size());
                for (Map.Entry<Long, CommandResult> r : session.results.entrySet()) {
                    out.writeLong(r.getKey());
                    if (r.getValue() instanceof CommandResult.Failed f) {
                        out.writeByte(2);
                        out.writeUTF(f.reason().length() > 10_000 ? f.reason().substring(0, 10_000) : f.reason());
                    } else {
                        byte[] result = r.getValue().bytes();
                        out.writeByte(1);
                        out.writeInt(result.length);
                        out.write(result);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** A session table read and checked by {@link #decodeSessions}, not yet in use. */
    public static final class DecodedSessions {
        private final Map<Long, Session> sessions;

        private DecodedSessions(Map<Long, Session> sessions) {
            this.sessions = sessions;
        }
    }

    /**
     * Reads and checks a session table {@link #encodeSessions} wrote, without changing this one; {@link #install}
     * puts it in place once the user's machine has been restored too.
     *
     * @throws IOException if the bytes are not a session table
     */
    public static DecodedSessions decodeSessions(byte[] encoded) throws IOException {
        Map<Long, Session> restored = new HashMap<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int version = in.readUnsignedByte();
            if (version != 1) {
                throw new IOException("unknown session table version " + version);
            }
            int count = in.readInt();
            if (count < 0 || count > encoded.length / 28) {
                throw new IOException("session table claims " + count + " sessions in " + encoded.length + " bytes");
            }
            for (int i = 0; i < count; i++) {
                long clientId = in.readLong();
                Session session = new Session();
                session.ackedBelow = in.readLong();
                session.lastUsedIndex = in.readLong();
                int results = in.readInt();
                if (results < 0 || results > encoded.length / 9) {
                    throw new IOException("session " + clientId + " claims " + results + " results");
                }
                for (int j = 0; j < results; j++) {
                    long sequence = in.readLong();
                    int kind = in.readUnsignedByte();
                    if (kind == 2) {
                        session.results.put(sequence, new CommandResult.Failed(in.readUTF()));
                    } else if (kind == 1) {
                        int length = in.readInt();
                        if (length < 0 || length > in.available()) {
                            throw new IOException("result of " + length + " bytes does not fit the session table");
                        }
                        session.results.put(sequence, new CommandResult.Applied(in.readNBytes(length)));
                    } else {
                        throw new IOException("unknown result kind " + kind);
                    }
                }
                if (restored.put(clientId, session) != null) {
                    throw new IOException("session " + clientId + " appears twice");
                }
            }
            if (in.available() > 0) {
                throw new IOException(in.available() + " bytes after the session table");
            }
        } catch (EOFException e) {
            throw new IOException("session table is truncated", e);
        }
        return new DecodedSessions(restored);
    }

    /** Replaces the session table with a decoded one, and the applied index with {@code appliedIndex}. */
    public void install(DecodedSessions decoded, long appliedIndex) {
        sessions.clear();
        sessions.putAll(decoded.sessions);
        lastApplied = appliedIndex;
    }

    private static ApplyContext context(LogEntry entry) {
        return new ApplyContext(entry.index(), entry.term(), entry.leaderTime());
    }

    private void evictIfNeeded(long keep) {
        while (sessions.size() > maxSessions) {
            long oldest = 0;
            long oldestIndex = Long.MAX_VALUE;
            for (Map.Entry<Long, Session> e : sessions.entrySet()) {
                long id = e.getKey();
                long used = e.getValue().lastUsedIndex;
                if (id != keep && (used < oldestIndex || (used == oldestIndex && id < oldest))) {
                    oldest = id;
                    oldestIndex = used;
                }
            }
            sessions.remove(oldest);
        }
    }
}
