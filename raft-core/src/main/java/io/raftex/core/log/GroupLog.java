package io.raftex.core.log;

import java.util.List;

/**
 * The storage contract of one group's log and metadata, as the protocol core sees it.
 *
 * <p>Appends are asynchronous: an appended entry is readable at once but becomes durable later, and the store
 * reports that through {@link DurabilityListener#onDurable(long, long)}. The protocol core acknowledges entries
 * only once they are durable (safety rule 2 of docs/contracts.md). Metadata writes are synchronous: when
 * {@link #persistState} returns, the state survives a crash (rule 1).
 *
 * <p>Every method is called from the group's single protocol thread. A method that cannot do its job throws
 * {@link StorageException}; the group then stops (rule 5).
 */
public interface GroupLog {

    /** The metadata recovered at open, or last persisted. */
    PersistentState state();

    /** Makes {@code state} durable before returning. */
    void persistState(PersistentState state);

    /** Index of the first entry still held (1 while nothing is compacted). */
    long firstIndex();

    /** Index of the last entry, 0 when the log is empty. */
    long lastIndex();

    /** Term of the entry at {@code index}; 0 for index 0; -1 when the index is not in the log. */
    long termAt(long index);

    /** The entry at {@code index}; throws {@link StorageException} if it is not in the log. */
    LogEntry entry(long index);

    /**
     * Entries from {@code fromIndex} up to {@code toIndex} inclusive, stopping early after {@code maxBytes}
     * (at least one entry is returned when {@code fromIndex <= toIndex}).
     */
    List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes);

    /**
     * Appends entries that directly follow the last entry. They are readable at once and made durable in the
     * background; the listener hears when.
     */
    void append(List<LogEntry> entries);

    /**
     * Drops every entry at or after {@code fromIndex} (conflict resolution on a follower). The store counts its
     * truncations since it was opened and stamps every durability report with that count as it stood when the
     * reported write was issued, so the core can ignore reports for entries that a later truncation replaced.
     */
    void truncateFrom(long fromIndex);

    /**
     * How many truncations ({@link #truncateFrom} and {@link #resetTo} calls) this store has seen since it was opened:
     * the count that stamps the durability report of a write issued now. A report stamped with a lower count is for
     * entries a later truncation replaced.
     */
    long truncations();

    /**
     * Index of the last entry a snapshot covers, below {@link #firstIndex()}: {@code firstIndex() - 1}, 0 while nothing
     * is compacted. {@link #termAt} answers its term even though the entry itself is gone.
     */
    default long snapshotIndex() {
        return firstIndex() - 1;
    }

    /**
     * Lets the entries up to {@code index} (whose term is {@code term}) go, because a durable snapshot covers them.
     * From the return on, {@link #firstIndex()} is {@code index + 1} and {@code termAt(index) == term}; entries after
     * {@code index} stay as they are. The space they held may be reclaimed later, in the background. Need not be
     * durable at once: after a crash the log may start earlier again, never later. A no-op for an index at or below
     * {@link #snapshotIndex()}.
     *
     * @throws StorageException if {@code index > lastIndex()} or the entry at {@code index} has another term
     */
    void compact(long index, long term);

    /**
     * Replaces the whole log by a snapshot point (a member installing a leader's snapshot): every entry goes, then
     * {@code snapshotIndex() == lastIndex() == index}, {@code termAt(index) == term}, and the next append is at
     * {@code index + 1}. Durable when it returns, like {@link #persistState}. It counts as a truncation (see
     * {@link #truncateFrom}), so a durability report for an entry appended before it is stamped with an older count.
     */
    void resetTo(long index, long term);

    /**
     * True while the store is behind with moving written entries into long-term storage. Appends still go through
     * (they never block), but the protocol core takes no new commands and no new entries from a leader until it
     * clears, so memory stays bounded while heartbeats and votes go on.
     */
    default boolean backPressured() {
        return false;
    }

    /** Registers the one listener that hears of durability and storage failures. */
    void setDurabilityListener(DurabilityListener listener);

    /** Hears from the store about the progress of asynchronous writes. */
    interface DurabilityListener {

        /**
         * Entries up to {@code index} are durable, the entry at {@code index} had term {@code term}, and the write
         * was issued after {@code truncations} calls to {@link #truncateFrom} since the store was opened. Reports come
         * in the order the writes were issued. May be called from a storage thread; the receiver hands it to the
         * protocol thread.
         */
        void onDurable(long index, long term, long truncations);

        /** A write or sync failed; the group must stop. */
        void onFailure(StorageException failure);
    }
}
