package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * The configurations a member's log holds, oldest first: a base (the bootstrap configuration, a snapshot's, or the
 * newest one at or below the log's snapshot point) and every configuration entry after it. The newest is the one in
 * force, committed or not (Raft thesis §4.1); a truncation that drops a configuration entry puts the one before it
 * back in force.
 */
final class ConfigHistory {

    /** Bytes read per call while recovery reads the log's tail for configuration entries. */
    private static final long SCAN_BYTES = 1 << 20;

    private final List<ConfigEntry> entries = new ArrayList<>();

    ConfigHistory(List<ConfigEntry> entries) {
        this.entries.addAll(entries);
    }

    /**
     * Recovers the history from a persisted list and the log it was written for. The log is the authority: the list
     * runs ahead of it (it is written before an entry is appended), so an entry after the log's snapshot point that
     * the log does not hold with the same term is dropped, and with it everything after; and the list can lag it (a
     * truncation shortens the list at once but reaches the disk later, so a crash in between leaves the entry in the
     * log), so every configuration entry the log holds after the last one kept is read back from the log. A
     * snapshot's configuration, if the member restored one, replaces what it covers; when the log holds every entry
     * after that snapshot, the history is read from the snapshot and the log alone: the list's base may be the
     * configuration of a newer snapshot that turned out damaged, recorded at its index, which stands for
     * configuration entries the list dropped but the log after the restored snapshot still holds.
     */
    static ConfigHistory recover(List<ConfigEntry> persisted, GroupLog log, ConfigEntry restored) {
        if (restored != null && restored.index() >= log.snapshotIndex()) {
            List<ConfigEntry> fromSnapshot = new ArrayList<>();
            fromSnapshot.add(restored);
            fromSnapshot.addAll(configEntriesAfter(restored.index(), log));
            return new ConfigHistory(fromSnapshot);
        }
        List<ConfigEntry> kept = new ArrayList<>();
        for (ConfigEntry e : persisted) {
            boolean covered = e.index() <= log.snapshotIndex();
            if (!covered && (e.index() > log.lastIndex() || log.termAt(e.index()) != e.term())) {
                break;
            }
            kept.add(e);
        }
        if (kept.isEmpty()) {
            kept.add(persisted.get(0)); // the base is committed or the bootstrap configuration: never lost
        }
        kept.addAll(configEntriesAfter(Math.max(kept.get(kept.size() - 1).index(), log.snapshotIndex()), log));
        ConfigHistory history = new ConfigHistory(kept);
        if (restored != null) {
            history.rebase(restored);
        }
        return history;
    }

    /** The configuration entries the log holds after {@code index}, oldest first. */
    private static List<ConfigEntry> configEntriesAfter(long index, GroupLog log) {
        List<ConfigEntry> found = new ArrayList<>();
        long next = index + 1;
        while (next <= log.lastIndex()) {
            for (LogEntry e : log.entries(next, log.lastIndex(), SCAN_BYTES)) {
                if (e.type() == EntryType.CONFIG) {
                    found.add(new ConfigEntry(e.index(), e.term(), ConfigCodec.decode(e.payload())));
                }
                next = e.index() + 1;
            }
        }
        return found;
    }

    /** The configuration in force: the newest. */
    ClusterConfig latest() {
        return entries.get(entries.size() - 1).config();
    }

    /** Index of the entry that carries the newest configuration (0 for the bootstrap configuration). */
    long latestIndex() {
        return entries.get(entries.size() - 1).index();
    }

    /** The configuration in force at {@code index}: the newest whose entry is at or below it. */
    ClusterConfig at(long index) {
        ClusterConfig config = entries.get(0).config();
        for (ConfigEntry e : entries) {
            if (e.index() > index) {
                break;
            }
            config = e.config();
        }
        return config;
    }

    /** Records a configuration entry appended at {@code index}. */
    void add(long index, long term, ClusterConfig config) {
        if (index <= latestIndex()) {
            throw new IllegalStateException("configuration at " + index + " does not follow " + latestIndex());
        }
        entries.add(new ConfigEntry(index, term, config));
    }

    /** Drops the configurations of entries at or after {@code index}; true if one went. */
    boolean truncateFrom(long index) {
        boolean changed = false;
        while (entries.size() > 1 && entries.get(entries.size() - 1).index() >= index) {
            entries.remove(entries.size() - 1);
            changed = true;
        }
        return changed;
    }

    /**
     * A snapshot up to {@code base.index()} is in place: its configuration becomes the base, and the configurations
     * of entries after it stay.
     */
    void rebase(ConfigEntry base) {
        entries.removeIf(e -> e.index() <= base.index());
        entries.add(0, base);
    }

    /** Forgets configurations older than the newest one at or below {@code index} (the log's snapshot point). */
    void trimTo(long index) {
        while (entries.size() > 1 && entries.get(1).index() <= index) {
            entries.remove(0);
        }
    }

    /** The history as persisted. */
    List<ConfigEntry> entries() {
        return List.copyOf(entries);
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
