package io.raftex.core.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link GroupLog} held in memory, modelled as a disk with a write queue: appends and truncations are readable
 * at once, become durable in order when {@link #flush()} is called, and are lost by {@link #crash()} if not yet
 * flushed. Metadata is durable as soon as it is persisted, and so are {@link #compact} and {@link #resetTo}. Used
 * by the simulator and by tests; a real node uses the WAL-backed store.
 */
public final class InMemoryGroupLog implements GroupLog {

    private sealed interface Op permits Append, Truncate {
    }

    private record Append(List<LogEntry> entries, long truncations) implements Op {
    }

    private record Truncate(long fromIndex) implements Op {
    }

    /** Entries after a snapshot point: {@code entries.get(0)} has index {@code base + 1}. */
    private static final class Entries {
        long base;
        long baseTerm;
        final List<LogEntry> list = new ArrayList<>();

        Entries(long base, long baseTerm, List<LogEntry> entries) {
            this.base = base;
            this.baseTerm = baseTerm;
            list.addAll(entries);
        }

        long last() {
            return base + list.size();
        }

        long termAt(long index) {
            if (index == base) {
                return baseTerm;
            }
            if (index < base || index > last()) {
                return -1;
            }
            return list.get((int) (index - base - 1)).term();
        }

        void truncateFrom(long fromIndex) {
            while (last() >= fromIndex && !list.isEmpty()) {
                list.remove(list.size() - 1);
            }
        }

        void compact(long index, long term) {
            if (index <= base) {
                return;
            }
            if (index > last()) {
                list.clear();
            } else {
                list.subList(0, (int) (index - base)).clear();
            }
            base = index;
            baseTerm = term;
        }

        Entries copy() {
            return new Entries(base, baseTerm, list);
        }
    }

    private final Entries durable;
    private final Entries visible;
    private final List<Op> pending = new ArrayList<>();
    private PersistentState state;
    private long truncations;
    private DurabilityListener listener;
    private boolean autoFlush;

    /** An empty log with the given initial metadata. */
    public InMemoryGroupLog(PersistentState initial) {
        this(initial, new Entries(0, 0, List.of()));
    }

    private InMemoryGroupLog(PersistentState state, Entries durable) {
        this.state = Objects.requireNonNull(state, "state");
        this.durable = durable.copy();
        this.visible = durable.copy();
    }

    /** Makes every write durable as soon as it is issued (reporting it at once). */
    public InMemoryGroupLog autoFlush(boolean on) {
        this.autoFlush = on;
        return this;
    }

    @Override
    public PersistentState state() {
        return state;
    }

    @Override
    public long truncations() {
        return truncations;
    }

    @Override
    public void persistState(PersistentState newState) {
        this.state = Objects.requireNonNull(newState);
    }

    @Override
    public long firstIndex() {
        return visible.base + 1;
    }

    @Override
    public long lastIndex() {
        return visible.last();
    }

    @Override
    public long termAt(long index) {
        if (index == 0) {
            return 0;
        }
        return visible.termAt(index);
    }

    @Override
    public LogEntry entry(long index) {
        if (index <= visible.base || index > visible.last()) {
            throw new StorageException("no entry at index " + index + " (first " + firstIndex() + ", last "
                    + lastIndex() + ")");
        }
        return visible.list.get((int) (index - visible.base - 1));
    }

    @Override
    public List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes) {
        List<LogEntry> result = new ArrayList<>();
        long bytes = 0;
        for (long i = fromIndex; i <= toIndex; i++) {
            LogEntry e = entry(i);
            bytes += e.sizeInBytes();
            if (!result.isEmpty() && bytes > maxBytes) {
                break;
            }
            result.add(e);
        }
        return result;
    }

    @Override
    public void append(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        for (LogEntry e : entries) {
            if (e.index() != visible.last() + 1) {
                throw new StorageException("append at " + e.index() + " does not follow last index " + visible.last());
            }
            visible.list.add(e);
        }
        pending.add(new Append(List.copyOf(entries), truncations));
        if (autoFlush) {
            flush();
        }
    }

    @Override
    public void truncateFrom(long fromIndex) {
        if (fromIndex <= visible.base) {
            throw new StorageException("cannot truncate from " + fromIndex + ": entries up to " + visible.base
                    + " are compacted");
        }
        visible.truncateFrom(fromIndex);
        truncations++;
        pending.add(new Truncate(fromIndex));
    }

    @Override
    public void compact(long index, long term) {
        if (index <= visible.base) {
            return;
        }
        if (index > visible.last() || visible.termAt(index) != term) {
            throw new StorageException("cannot compact up to " + index + " in term " + term + ": the log holds "
                    + visible.termAt(index) + " there (last " + visible.last() + ")");
        }
        visible.compact(index, term);
        // the durable copy forgets the same prefix (it may hold less: then it starts at the snapshot point)
        if (durable.last() >= index && durable.termAt(index) == term) {
            durable.compact(index, term);
        } else {
            durable.list.clear();
            durable.base = index;
            durable.baseTerm = term;
            // the pending writes still rebuild what follows the snapshot point
            pending.removeIf(op -> op instanceof Append a && a.entries().get(a.entries().size() - 1).index() <= index);
        }
    }

    @Override
    public void resetTo(long index, long term) {
        if (index < 0 || term < 0) {
            throw new StorageException("cannot reset to " + index + "/" + term);
        }
        pending.clear();
        truncations++;
        visible.list.clear();
        visible.base = index;
        visible.baseTerm = term;
        durable.list.clear();
        durable.base = index;
        durable.baseTerm = term;
    }

    @Override
    public void setDurabilityListener(DurabilityListener listener) {
        this.listener = listener;
    }

    /** Whether writes are waiting to become durable. */
    public boolean hasPendingWrites() {
        return !pending.isEmpty();
    }

    /** Makes every pending write durable, in order, and reports each append to the listener. */
    public void flush() {
        List<Op> ops = new ArrayList<>(pending);
        pending.clear();
        for (Op op : ops) {
            if (op instanceof Truncate t) {
                durable.truncateFrom(Math.max(t.fromIndex(), durable.base + 1));
            } else if (op instanceof Append a) {
                for (LogEntry e : a.entries()) {
                    if (e.index() == durable.last() + 1) {
                        durable.list.add(e);
                    }
                }
                LogEntry last = a.entries().get(a.entries().size() - 1);
                if (listener != null) {
                    listener.onDurable(last.index(), last.term(), a.truncations());
                }
            }
        }
    }

    /** The store as a restarted process would find it: durable entries and metadata only. */
    public InMemoryGroupLog crash() {
        return new InMemoryGroupLog(state, durable);
    }

    /** Term of the entry at {@code index} among those that would survive a crash now; -1 if none. */
    public long durableTermAt(long index) {
        if (index == 0) {
            return 0;
        }
        return durable.termAt(index);
    }
}
