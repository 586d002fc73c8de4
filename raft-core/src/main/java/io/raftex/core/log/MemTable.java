package io.raftex.core.log;

import java.util.Arrays;
import java.util.List;

/**
 * A group's in-memory table of entries not yet known to be in MapDB: a ring of slots indexed by log index, cheaper
 * than a sorted map (no boxing, no per-entry nodes). The group's thread puts, reads and truncates; the segment writer
 * evicts. All methods synchronize on the table (one short, normally uncontended lock per call).
 *
 * <p>Slots hold indexes {@code base .. base + size - 1}; an evicted slot is null (read falls back to MapDB), and
 * the front advances past evicted slots, so the ring holds only the window the WAL has not yet moved.
 */
final class MemTable {

    private LogEntry[] slots = new LogEntry[256];
    private long base = 1;  // index in the slot at position head
    private int head;
    private int size;       // slots in use from head (the last one holds the highest index in the table)
    private int held;       // non-null slots

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
        slots[(head + size) & (slots.length - 1)] = e;
        size++;
        held++;
    }

    /** The entry at {@code index}, or null if the table does not hold it. */
    synchronized LogEntry get(long index) {
        long offset = index - base;
        if (offset < 0 || offset >= size) {
            return null;
        }
        return slots[(int) ((head + offset) & (slots.length - 1))];
    }

    /** Drops every entry at or after {@code fromIndex}. */
    synchronized void truncateFrom(long fromIndex) {
        long keep = Math.max(0, fromIndex - base);
        while (size > keep) {
            int at = (head + size - 1) & (slots.length - 1);
            if (slots[at] != null) {
                held--;
                slots[at] = null;
            }
            size--;
        }
    }

    /** Evicts these entries if the table still holds these very objects (a replaced entry stays). */
    synchronized void evict(List<LogEntry> flushed) {
        int mask = slots.length - 1;
        for (LogEntry e : flushed) {
            long offset = e.index() - base;
            if (offset >= 0 && offset < size) {
                int at = (int) ((head + offset) & mask);
                if (slots[at] == e) {
                    slots[at] = null;
                    held--;
                }
            }
        }
        while (size > 0 && slots[head] == null) {
            head = (head + 1) & mask;
            base++;
            size--;
        }
    }

    /** Drops everything. */
    synchronized void clear() {
        Arrays.fill(slots, null);
        head = 0;
        size = 0;
        held = 0;
    }

    /** Entries held. */
    synchronized int size() {
        return held;
    }

    private void grow() {
        LogEntry[] bigger = new LogEntry[slots.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = slots[(head + i) & (slots.length - 1)];
        }
        slots = bigger;
        head = 0;
    }
}
