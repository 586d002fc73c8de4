package io.raftex.core.log;

import java.util.Arrays;
import java.util.List;

/**
 * A group's in-memory table of recent entries: a ring of slots indexed by log index, cheaper than a sorted map (no
 * boxing, no per-entry nodes). The group's thread puts, reads, truncates and compacts; the segment writer marks
 * entries moved once MapDB holds them. All methods synchronize on the table (one short, normally uncontended lock per
 * call).
 *
 * <p>Every entry not yet in MapDB is held. Entries already moved are kept too while they are among the last
 * {@link #RETAINED_ENTRIES}: the protocol thread reads the recent tail all the time (terms for heartbeats and
 * appends, entries to apply and to send to followers), and a read that falls through to MapDB can wait behind the
 * segment writer (a seal holds the store's lock while it reopens a segment), which would stall the group.
 */
final class MemTable {

    /** Moved entries kept for reads, counted back from the highest index held. */
    static final int RETAINED_ENTRIES = 4096;

    private LogEntry[] slots = new LogEntry[256];
    private boolean[] moved = new boolean[256];
    private long base = 1;  // index in the slot at position head
    private int head;
    private int size;       // slots in use from head (the last one holds the highest index in the table)
    private int unmoved;    // entries not yet in MapDB

    /** Puts {@code e}, which follows the highest index held (or any index, when the table is empty). */
    synchronized void put(LogEntry e) {
        long index = e.index();
        if (size == 0) {
            base = index;
            head = 0;
        } else if (index != base + size) {
            throw new IllegalStateException("memory table holds " + base + ".." + (base + size - 1)
                    + ", cannot put " + index);
        }
        if (size == slots.length) {
            grow();
        }
        int at = (head + size) & (slots.length - 1);
        slots[at] = e;
        moved[at] = false;
        size++;
        unmoved++;
        trim();
    }

    /** The entry at {@code index}, or null if the table does not hold it. */
    synchronized LogEntry get(long index) {
        long offset = index - base;
        if (offset < 0 || offset >= size) {
            return null;
        }
        return slots[(int) ((head + offset) & (slots.length - 1))];
    }

    /**
     * {@code {first, last}} index held, or null when empty. Only the group's own thread adds entries; others can only
     * move some out (see {@link #evict}), so an entry in this range that is missing later has left since.
     */
    synchronized long[] heldRange() {
        return size == 0 ? null : new long[] {base, base + size - 1};
    }

    /** Drops every entry at or after {@code fromIndex}. */
    synchronized void truncateFrom(long fromIndex) {
        long keep = Math.max(0, fromIndex - base);
        while (size > keep) {
            int at = (head + size - 1) & (slots.length - 1);
            if (slots[at] != null && !moved[at]) {
                unmoved--;
            }
            slots[at] = null;
            moved[at] = false;
            size--;
        }
    }

    /**
     * Drops every entry below {@code fromIndex} (a compaction), moved or not: the log no longer holds them, so reads
     * never ask for them, and one not yet in MapDB stops counting as such.
     */
    synchronized void dropBefore(long fromIndex) {
        int mask = slots.length - 1;
        while (size > 0 && base < fromIndex) {
            if (slots[head] != null && !moved[head]) {
                unmoved--;
            }
            slots[head] = null;
            moved[head] = false;
            head = (head + 1) & mask;
            base++;
            size--;
        }
    }

    /** MapDB now holds these entries, if the table still holds these very objects (a replaced entry stays). */
    synchronized void evict(List<LogEntry> flushed) {
        int mask = slots.length - 1;
        for (LogEntry e : flushed) {
            long offset = e.index() - base;
            if (offset >= 0 && offset < size) {
                int at = (int) ((head + offset) & mask);
                if (slots[at] == e && !moved[at]) {
                    moved[at] = true;
                    unmoved--;
                }
            }
        }
        trim();
    }

    /** Frees moved entries from the front while more than the retained tail is held. */
    private void trim() {
        int mask = slots.length - 1;
        while (size > 0 && (slots[head] == null || (moved[head] && size > RETAINED_ENTRIES))) {
            slots[head] = null;
            moved[head] = false;
            head = (head + 1) & mask;
            base++;
            size--;
        }
    }

    /** Drops everything. */
    synchronized void clear() {
        Arrays.fill(slots, null);
        Arrays.fill(moved, false);
        head = 0;
        size = 0;
        unmoved = 0;
    }

    /** Entries held that MapDB does not hold yet. */
    synchronized int size() {
        return unmoved;
    }

    private void grow() {
        LogEntry[] bigger = new LogEntry[slots.length * 2];
        boolean[] biggerMoved = new boolean[slots.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = slots[(head + i) & (slots.length - 1)];
            biggerMoved[i] = moved[(head + i) & (slots.length - 1)];
        }
        slots = bigger;
        moved = biggerMoved;
        head = 0;
    }
}
