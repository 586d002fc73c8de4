package io.raftex.core.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link GroupLog} held in memory, modelled as a disk with a write queue: appends and truncations are readable
 * at once, become durable in order when {@link #flush()} is called, and are lost by {@link #crash()} if not yet
 * flushed. Metadata is durable as soon as it is persisted. Used by the simulator and by tests; a real node uses the
 * WAL-backed store.
 */
public final class InMemoryGroupLog implements GroupLog {

    private sealed interface Op permits Append, Truncate {
    }

    private record Append(List<LogEntry> entries, long truncations) implements Op {
    }

    private record Truncate(long fromIndex) implements Op {
    }

    private final List<LogEntry> durable;
    private final List<LogEntry> visible;
    private final List<Op> pending = new ArrayList<>();
    private PersistentState state;
    private long truncations;
    private DurabilityListener listener;
    private boolean autoFlush;

    /** An empty log with the given initial metadata. */
    public InMemoryGroupLog(PersistentState initial) {
        this(initial, List.of());
    }

    private InMemoryGroupLog(PersistentState state, List<LogEntry> durable) {
        this.state = Objects.requireNonNull(state, "state");
        this.durable = new ArrayList<>(durable);
        this.visible = new ArrayList<>(durable);
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
    public void persistState(PersistentState newState) {
        this.state = Objects.requireNonNull(newState);
    }

    @Override
    public long firstIndex() {
        return 1;
    }

    @Override
    public long lastIndex() {
        return visible.size();
    }

    @Override
    public long termAt(long index) {
        if (index == 0) {
            return 0;
        }
        if (index < 0 || index > visible.size()) {
            return -1;
        }
        return visible.get((int) index - 1).term();
    }

    @Override
    public LogEntry entry(long index) {
        if (index < 1 || index > visible.size()) {
            throw new StorageException("no entry at index " + index + " (last " + visible.size() + ")");
        }
        return visible.get((int) index - 1);
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
            if (e.index() != visible.size() + 1) {
                throw new StorageException("append at " + e.index() + " does not follow last index " + visible.size());
            }
            visible.add(e);
        }
        pending.add(new Append(List.copyOf(entries), truncations));
        if (autoFlush) {
            flush();
        }
    }

    @Override
    public void truncateFrom(long fromIndex) {
        if (fromIndex < 1) {
            throw new StorageException("cannot truncate from " + fromIndex);
        }
        while (visible.size() >= fromIndex) {
            visible.remove(visible.size() - 1);
        }
        truncations++;
        pending.add(new Truncate(fromIndex));
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
                while (durable.size() >= t.fromIndex()) {
                    durable.remove(durable.size() - 1);
                }
            } else if (op instanceof Append a) {
                durable.addAll(a.entries());
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
        return index < 1 || index > durable.size() ? -1 : durable.get((int) index - 1).term();
    }
}
