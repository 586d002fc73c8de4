package io.raftex.core.session;

import io.raftex.core.ApplyContext;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;

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
        session.results.put(entry.sequence(), result);
        return Optional.of(result);
    }

    /**
     * Applies a command to the user's machine. A command that does not decode, or that the machine refuses by
     * throwing, becomes a {@link CommandResult.Failed} result on every member alike: what a client or peer sent
     * never stops the group. An {@link Error} still does.
     */
    private CommandResult applyToMachine(LogEntry entry) {
        try {
            return new CommandResult.Applied(machine.apply(entry.payload(), context(entry)));
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? "" : ": " + e.getMessage();
            return new CommandResult.Failed(e.getClass().getSimpleName() + message);
        }
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
