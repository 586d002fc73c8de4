package io.raftex.core.runtime;

import io.raftex.core.ApplyContext;
import io.raftex.core.Codec;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.log.LogEntry;
import io.raftex.core.session.CommandResult;
import io.raftex.core.session.EncodedStateMachine;
import io.raftex.core.session.SessionStateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;

/**
 * Owns a group's replicated state: the user's {@link StateMachine} behind the session table that makes commands
 * apply at most once. It applies committed entries in order, decodes answers, runs queries, captures snapshots and
 * restores them. It has no thread of its own: the group's shell calls it, one call at a time, on the group thread;
 * only {@link Capture#writeTo} runs elsewhere.
 *
 * <p>A snapshot's state bytes are {@code "RFXA" version:u8 sessionsLength:i32 sessions} followed by whatever the
 * user's capture writes, to the end.
 */
final class Applier<C, R> {

    private static final int MAGIC = 0x52465841; // "RFXA"
    private static final int VERSION = 1;
    /** A session table is small (bounded by raft.max-sessions); this bounds what a snapshot may claim. */
    private static final int MAX_SESSIONS_BYTES = 256 << 20;

    private final StateMachine<C, R> machine;
    private final Codec<C> commandCodec;
    private final Codec<R> resultCodec;
    private final SessionStateMachine sessions;
    private long lastAppliedTerm;
    private boolean snapshotsRefused;

    Applier(StateMachine<C, R> machine, Codec<C> commandCodec, Codec<R> resultCodec, int maxSessions) {
        this.machine = Objects.requireNonNull(machine, "machine");
        this.commandCodec = Objects.requireNonNull(commandCodec, "commandCodec");
        this.resultCodec = Objects.requireNonNull(resultCodec, "resultCodec");
        this.sessions = new SessionStateMachine(new Typed(), maxSessions);
    }

    /** Index of the last entry applied (or restored from a snapshot). */
    long lastApplied() {
        return sessions.lastApplied();
    }

    /**
     * Applies the next committed entry; entries must come in order, each index once. Returns the command's result, or
     * empty for an entry that is not a command of a session (see {@link SessionStateMachine#apply}).
     */
    Optional<CommandResult> apply(LogEntry entry) {
        Optional<CommandResult> result = sessions.apply(entry);
        lastAppliedTerm = entry.term();
        return result;
    }

    /** The answer a client gets for a result: the value the machine returned, or the stored answer decoded. */
    @SuppressWarnings("unchecked")
    R value(CommandResult result) {
        if (result instanceof CommandResult.Applied a && a.value() != null) {
            return (R) a.value();
        }
        return resultCodec.decode(result.bytes());
    }

    byte[] encodeCommand(C command) {
        return commandCodec.encode(command);
    }

    /** The user's machine, for queries. */
    StateMachine<C, R> machine() {
        return machine;
    }

    /** Whether the machine has refused to capture (its {@code snapshot()} returned null); asked once. */
    boolean snapshotsRefused() {
        return snapshotsRefused;
    }

    /**
     * Captures the state as of the last applied entry, or returns null if the machine takes no snapshots (then it is
     * not asked again).
     */
    Capture capture() {
        if (snapshotsRefused) {
            return null;
        }
        StateSnapshot state = machine.snapshot();
        if (state == null) {
            snapshotsRefused = true;
            return null;
        }
        return new Capture(lastApplied(), lastAppliedTerm, sessions.encodeSessions(), state);
    }

    /**
     * Replaces the state with a snapshot's, which covers entries up to {@code index} (term {@code term}). The session
     * table is read and checked first, then the machine restores itself from the rest; if either throws, the session
     * table is as it was (the machine must leave its own state as it was too).
     */
    void restore(long index, long term, InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] table;
        try {
            if (data.readInt() != MAGIC) {
                throw new IOException("not a state snapshot of this library (bad magic)");
            }
            int version = data.readUnsignedByte();
            if (version != VERSION) {
                throw new IOException("unknown state snapshot version " + version);
            }
            int length = data.readInt();
            if (length < 0 || length > MAX_SESSIONS_BYTES) {
                throw new IOException("session table of " + length + " bytes");
            }
            table = data.readNBytes(length);
            if (table.length != length) {
                throw new EOFException("session table is truncated");
            }
        } catch (EOFException e) {
            throw new IOException("state snapshot is truncated", e);
        }
        // a malformed table throws before the machine is touched; it is put in place only once the machine is restored
        SessionStateMachine.DecodedSessions decoded = SessionStateMachine.decodeSessions(table);
        machine.restore(in);
        sessions.install(decoded, index);
        lastAppliedTerm = term;
    }

    /** A capture of the whole replicated state: the session table's bytes and the user's {@link StateSnapshot}. */
    static final class Capture {
        final long index;
        final long term;
        private final byte[] sessions;
        private final StateSnapshot state;

        Capture(long index, long term, byte[] sessions, StateSnapshot state) {
            this.index = index;
            this.term = term;
            this.sessions = sessions;
            this.state = state;
        }

        /** Writes the whole state; runs off the group thread. */
        void writeTo(OutputStream out) throws IOException {
            DataOutputStream data = new DataOutputStream(out);
            data.writeInt(MAGIC);
            data.writeByte(VERSION);
            data.writeInt(sessions.length);
            data.write(sessions);
            data.flush();
            state.writeTo(out);
            out.flush();
        }

        /** Lets the user's capture go; call once, after writing or instead of it. */
        void release() {
            state.release();
        }
    }

    /** The user's machine at the byte level, answering with its typed value alongside the encoded one. */
    private final class Typed implements EncodedStateMachine {
        @Override
        public byte[] apply(byte[] command, ApplyContext context) {
            return applyForResult(command, context).result();
        }

        @Override
        public CommandResult.Applied applyForResult(byte[] command, ApplyContext context) {
            R result = machine.apply(commandCodec.decode(command), context);
            return new CommandResult.Applied(resultCodec.encode(result), result);
        }
    }
}
