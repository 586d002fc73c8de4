package io.raftex.core.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One group's {@link GroupLog} on top of the node's shared {@link Wal} and MapDB {@link SegmentStore}; obtained
 * from {@link LogStorage#openGroup}.
 *
 * <p>Appended entries go to an in-memory table at once (so they are readable) and to the WAL as one record; the
 * WAL writer reports them durable after its group-commit sync. The segment writer later copies them into MapDB
 * and then evicts them from the table, comparing object identity, so an entry that a truncation replaced in the
 * meantime is never evicted in favour of the stale copy. Reads therefore try the table first and fall back to
 * MapDB only for entries that were committed there and not replaced since.
 *
 * <p>{@link #compact} and {@link #resetTo} take effect in memory at once (the table drops the entries) and go to the
 * WAL as records of their own, so that recovery applies them in order with the appends and truncations around them;
 * a reset waits for its WAL sync. Sealed segments record each group's log start, see {@link SegmentStore}.
 *
 * <p>Every method except {@link #evict} and the reports runs on the group's protocol thread.
 */
public final class DurableGroupLog implements GroupLog {

    private final String group;
    private final LogStorage storage;
    private final MemTable memTable = new MemTable();
    private volatile DurabilityListener listener;
    private PersistentState state;
    private long snapshotIndex;
    private long snapshotTerm;
    private long lastIndex;
    private long truncations;
    /** WAL requests of this group not yet committed in MapDB (or given up, when the storage failed). */
    private final AtomicLong unmoved = new AtomicLong();
    private volatile boolean closed;
    /** Test hook run in {@link #entries} right after a read from MapDB, before the memory table is consulted. */
    volatile Runnable afterStoreReadHook;

    DurableGroupLog(String group, LogStorage storage, PersistentState state, long snapshotIndex, long snapshotTerm,
                    long lastIndex) {
        this.group = group;
        this.storage = storage;
        this.state = state;
        this.snapshotIndex = snapshotIndex;
        this.snapshotTerm = snapshotTerm;
        this.lastIndex = lastIndex;
    }

    /** The group's id. */
    public String group() {
        return group;
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
        Objects.requireNonNull(newState, "state");
        checkWritable();
        try {
            storage.store().persistState(group, newState);
        } catch (StorageException e) {
            storage.fail(e); // a state that may not be durable must not be acted on: fail-stop, like a WAL error
            throw e;
        }
        this.state = newState;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The memory table drops the entries at once; a WAL record carries the new start to recovery and to the next
     * sealed segment, whose seal makes it durable for good and lets segments wholly below it be deleted.
     */
    @Override
    public void compact(long index, long term) {
        if (index <= snapshotIndex) {
            return;
        }
        checkWritable();
        if (index > lastIndex) {
            throw new StorageException("group " + group + " cannot compact up to " + index + ": its last index is "
                    + lastIndex);
        }
        long held = termAt(index);
        if (held != term) {
            throw new StorageException("group " + group + " cannot compact up to " + index + " in term " + term
                    + ": the entry there has term " + held);
        }
        submit(new WalRequest(this, WalRecord.compact(group, index, term), lastIndex, 0, truncations));
        memTable.dropBefore(index + 1);
        snapshotIndex = index;
        snapshotTerm = term;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Waits until the reset's WAL record is synced (one group commit). Recovery applies it in WAL order: the
     * group's records before it are void, those after it recover as usual.
     */
    @Override
    public void resetTo(long index, long term) {
        if (index < 0 || term < 0) {
            throw new StorageException("group " + group + " cannot reset to index " + index + " in term " + term);
        }
        checkWritable();
        truncations++;
        WalRequest request = new WalRequest(this, WalRecord.reset(group, index, term), index, term, truncations, true);
        submit(request);
        memTable.clear();
        snapshotIndex = index;
        snapshotTerm = term;
        lastIndex = index;
        try {
            request.synced.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StorageException se
                    ? new StorageException("group " + group + ": reset to " + index + " is not durable: "
                    + se.getMessage(), se)
                    : new StorageException("group " + group + ": reset to " + index + " failed: " + e.getCause(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("group " + group + ": interrupted while its reset to " + index
                    + " was being made durable", e);
        }
    }

    @Override
    public long firstIndex() {
        return snapshotIndex + 1;
    }

    @Override
    public long snapshotIndex() {
        return snapshotIndex;
    }

    @Override
    public long lastIndex() {
        return lastIndex;
    }

    @Override
    public long termAt(long index) {
        if (index == 0) {
            return 0;
        }
        if (index == snapshotIndex) {
            return snapshotTerm;
        }
        if (index < snapshotIndex || index > lastIndex) {
            return -1;
        }
        return entry(index).term();
    }

    @Override
    public LogEntry entry(long index) {
        if (index <= snapshotIndex || index > lastIndex) {
            throw new StorageException("group " + group + " has no entry " + index + " (first is " + firstIndex()
                    + ", last is " + lastIndex + ")");
        }
        LogEntry e = memTable.get(index);
        if (e != null) {
            return e;
        }
        List<LogEntry> stored = storage.store().readFrom(group, index);
        if (stored.isEmpty()) {
            throw new StorageException("entry " + index + " of group " + group + " is missing from the store");
        }
        return stored.get(0);
    }

    @Override
    public List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes) {
        long to = Math.min(toIndex, lastIndex);
        if (fromIndex <= snapshotIndex || fromIndex > to) {
            if (fromIndex <= toIndex && (fromIndex <= snapshotIndex || fromIndex > lastIndex)) {
                throw new StorageException("group " + group + " has no entry " + fromIndex + " (first is "
                        + firstIndex() + ", last is " + lastIndex + ")");
            }
            return List.of();
        }
        List<LogEntry> out = new ArrayList<>((int) Math.min(to - fromIndex + 1, 1024));
        long bytes = 0;
        long i = fromIndex;
        while (i <= to) {
            LogEntry e = memTable.get(i);
            long[] held = e != null ? null : memTable.heldRange(); // before the read from MapDB
            List<LogEntry> run = e != null ? List.of(e) : storage.store().readFrom(group, i);
            Runnable hook = afterStoreReadHook;
            if (e == null && hook != null) {
                hook.run();
            }
            if (run.isEmpty()) {
                throw new StorageException("entry " + i + " of group " + group + " is missing from the store");
            }
            for (LogEntry r : run) {
                if (r.index() > to) {
                    return out;
                }
                LogEntry newer = e != null ? e : memTable.get(r.index()); // the table wins over MapDB
                if (newer == null && held != null && r.index() >= held[0] && r.index() <= held[1]) {
                    // Evicted since the chunk was read: the chunk may predate a truncation the segment writer has
                    // moved meanwhile. MapDB held this entry before it left the table, so read again from here.
                    break;
                }
                LogEntry chosen = newer != null ? newer : r;
                bytes += chosen.sizeInBytes();
                if (!out.isEmpty() && bytes > maxBytes) {
                    return out;
                }
                out.add(chosen);
                i = r.index() + 1;
            }
        }
        return out;
    }

    @Override
    public boolean backPressured() {
        return storage.backPressured();
    }

    @Override
    public void append(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        checkWritable();
        long expected = lastIndex + 1;
        for (LogEntry e : entries) {
            if (e.index() != expected++) {
                throw new StorageException("group " + group + ": entry " + e.index()
                        + " does not follow " + (expected - 2));
            }
        }
        LogEntry last = entries.get(entries.size() - 1);
        WalRequest request = new WalRequest(this, WalRecord.append(group, entries), last.index(), last.term(),
                truncations);
        storage.reserve(request.frame.length);
        // Into the table before the WAL sees it, so that an eviction can never run ahead of the insertion.
        for (LogEntry e : request.record.entries()) {
            memTable.put(e);
        }
        unmoved.incrementAndGet();
        try {
            storage.wal().submit(request);
        } catch (StorageException ex) {
            unmoved.decrementAndGet();
            memTable.truncateFrom(entries.get(0).index());
            storage.release(request.frame.length);
            throw ex;
        }
        lastIndex = last.index();
    }

    @Override
    public void truncateFrom(long fromIndex) {
        if (fromIndex < 1) {
            throw new IllegalArgumentException("fromIndex must be >= 1: " + fromIndex);
        }
        if (fromIndex <= snapshotIndex) {
            throw new StorageException("group " + group + " cannot truncate from " + fromIndex + ": entries up to "
                    + snapshotIndex + " are compacted");
        }
        checkWritable();
        truncations++;
        if (fromIndex > lastIndex) {
            return;
        }
        submit(new WalRequest(this, WalRecord.truncate(group, fromIndex), fromIndex - 1, 0, truncations));
        memTable.truncateFrom(fromIndex);
        lastIndex = fromIndex - 1;
    }

    /** Queues a record that is not an append (no bytes reserved, no report), counted until it is moved. */
    private void submit(WalRequest request) {
        unmoved.incrementAndGet();
        try {
            storage.wal().submit(request);
        } catch (StorageException ex) {
            unmoved.decrementAndGet();
            throw ex;
        }
    }

    @Override
    public void setDurabilityListener(DurabilityListener listener) {
        this.listener = listener;
    }

    /** Drops entries now committed in MapDB from the table, if the table still holds these very objects. */
    void evict(List<LogEntry> flushed) {
        memTable.evict(flushed);
    }

    /** The segment writer committed {@code requests} of this group's WAL requests in MapDB. */
    void moved(int requests) {
        unmoved.addAndGet(-requests);
    }

    /** Whether every WAL request of this group is committed in MapDB. */
    boolean allMoved() {
        return unmoved.get() == 0;
    }

    /**
     * First step of {@link LogStorage#closeGroup}: later writes are refused and reports no longer reach the listener.
     */
    void beginClose() {
        closed = true;
        listener = null;
    }

    /** Drops the memory table once MapDB holds every entry of the group (or the storage has failed). */
    void dropTable() {
        memTable.clear();
    }

    /** Whether {@link LogStorage#closeGroup} closed this log. */
    boolean isClosed() {
        return closed;
    }

    private void checkWritable() {
        if (closed) {
            throw new StorageException("group " + group + " is closed");
        }
        storage.checkUsable();
    }

    /** Entries held in memory (for tests and metrics). */
    int memTableSize() {
        return memTable.size();
    }

    void reportDurable(long index, long term, long truncationsAtIssue) {
        DurabilityListener l = listener;
        if (l != null) {
            l.onDurable(index, term, truncationsAtIssue);
        }
    }

    void reportFailure(StorageException failure) {
        DurabilityListener l = listener;
        if (l != null) {
            l.onFailure(failure);
        }
    }

    @Override
    public String toString() {
        return "DurableGroupLog[" + group + ", first " + firstIndex() + ", last " + lastIndex + "]";
    }
}
