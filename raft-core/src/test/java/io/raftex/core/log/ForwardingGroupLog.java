package io.raftex.core.log;

import java.util.List;

/** A {@link GroupLog} that passes every call to another; tests override the calls they watch or break. */
public class ForwardingGroupLog implements GroupLog {

    protected final GroupLog delegate;

    public ForwardingGroupLog(GroupLog delegate) {
        this.delegate = delegate;
    }

    /** The log calls go to. */
    public GroupLog delegate() {
        return delegate;
    }

    @Override
    public PersistentState state() {
        return delegate.state();
    }

    @Override
    public void persistState(PersistentState state) {
        delegate.persistState(state);
    }

    @Override
    public void compact(long index, long term) {
        delegate.compact(index, term);
    }

    @Override
    public void resetTo(long index, long term) {
        delegate.resetTo(index, term);
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
        delegate.append(entries);
    }

    @Override
    public void truncateFrom(long fromIndex) {
        delegate.truncateFrom(fromIndex);
    }

    @Override
    public long truncations() {
        return delegate.truncations();
    }

    @Override
    public boolean backPressured() {
        return delegate.backPressured();
    }

    @Override
    public void setDurabilityListener(DurabilityListener listener) {
        delegate.setDurabilityListener(listener);
    }
}
