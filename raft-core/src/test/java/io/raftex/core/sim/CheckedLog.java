package io.raftex.core.sim;

import io.raftex.core.log.GroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;

import java.util.List;

/** Hands every append to the invariant checker (log matching) before passing it to the in-memory disk. */
final class CheckedLog implements GroupLog {

    private final InMemoryGroupLog delegate;
    private final SimCluster cluster;
    private final SimNode node;

    CheckedLog(InMemoryGroupLog delegate, SimCluster cluster, SimNode node) {
        this.delegate = delegate;
        this.cluster = cluster;
        this.node = node;
    }

    @Override
    public PersistentState state() {
        return delegate.state();
    }

    @Override
    public void persistState(PersistentState state) {
        if (state.currentTerm() < delegate.state().currentTerm()) {
            throw new AssertionError(node.id + " lowered its durable term from " + delegate.state().currentTerm()
                    + " to " + state.currentTerm());
        }
        delegate.persistState(state);
    }

    @Override
    public long firstIndex() {
        return delegate.firstIndex();
    }

    @Override
    public long lastIndex() {
        return delegate.lastIndex();
    }

    @Override
    public long termAt(long index) {
        return delegate.termAt(index);
    }

    @Override
    public LogEntry entry(long index) {
        return delegate.entry(index);
    }

    @Override
    public List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes) {
        return delegate.entries(fromIndex, toIndex, maxBytes);
    }

    @Override
    public void append(List<LogEntry> entries) {
        long prevTerm = delegate.termAt(entries.get(0).index() - 1);
        cluster.invariants.onAppend(node, entries, prevTerm);
        delegate.append(entries);
    }

    @Override
    public void truncateFrom(long fromIndex) {
        cluster.invariants.onTruncate(node, fromIndex);
        delegate.truncateFrom(fromIndex);
    }

    @Override
    public void setDurabilityListener(DurabilityListener listener) {
        delegate.setDurabilityListener(listener);
    }
}
