package io.raftex.core.log;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a group's log.
 *
 * @param index       position in the log, from 1
 * @param term        the term of the leader that appended it
 * @param type        what it carries
 * @param clientId    the client session that sent the command (0 for entries that are not commands)
 * @param sequence    the command's sequence number within its session (0 for entries that are not commands)
 * @param ackedBelow  every sequence number of this session below this one has been answered to the client, so
 *                    cached results for them may be dropped
 * @param leaderTime  the leader's wall-clock time (epoch millis) when it appended the entry
 * @param payload     the encoded command or configuration; empty for a no-op
 */
public record LogEntry(long index, long term, EntryType type, long clientId, long sequence, long ackedBelow,
                       long leaderTime, byte[] payload) {

    /** Bytes an entry takes beyond its payload, as counted against message size limits. */
    public static final int OVERHEAD_BYTES = 53;

    public LogEntry {
        if (index < 1) {
            throw new IllegalArgumentException("index must be >= 1: " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("term must be >= 1: " + term);
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
    }

    /** A no-op entry. */
    public static LogEntry noop(long index, long term, long leaderTime) {
        return new LogEntry(index, term, EntryType.NOOP, 0, 0, 0, leaderTime, new byte[0]);
    }

    /** The same entry at another position (used when a proposal is appended). */
    public LogEntry at(long newIndex, long newTerm) {
        return new LogEntry(newIndex, newTerm, type, clientId, sequence, ackedBelow, leaderTime, payload);
    }

    /** Approximate encoded size, for batching limits. */
    public int sizeInBytes() {
        return OVERHEAD_BYTES + payload.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogEntry e && index == e.index && term == e.term && type == e.type
                && clientId == e.clientId && sequence == e.sequence && ackedBelow == e.ackedBelow
                && leaderTime == e.leaderTime && Arrays.equals(payload, e.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type, clientId, sequence) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "LogEntry[" + index + "@" + term + " " + type
                + (type == EntryType.COMMAND ? " c" + clientId + "#" + sequence : "") + " " + payload.length + "B]";
    }
}
