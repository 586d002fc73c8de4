package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.log.ForwardingGroupLog;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.snapshot.SnapshotStore;
import io.raftex.core.log.StorageException;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** In-memory storage whose logs can be told to fail, to test fail-stop. */
final class FailingStorageProvider implements StorageProvider {

    /** How the next append fails. */
    enum Mode {
        /** Works. */
        NONE,
        /** The append is accepted, but the store reports a failure from its own thread instead of durability. */
        REPORT_FAILURE,
        /** The append throws. */
        THROW
    }

    private final InMemoryStorageProvider delegate = new InMemoryStorageProvider();
    final AtomicReference<Mode> mode = new AtomicReference<>(Mode.NONE);

    @Override
    public GroupLog open(String group, MemberId self, PersistentState initial) {
        return new FailingLog(delegate.open(group, self, initial));
    }

    @Override
    public SnapshotStore snapshots(String group, MemberId self) {
        return delegate.snapshots(group, self);
    }

    @Override
    public void close(String group, GroupLog log) {
        delegate.close(group, ((FailingLog) log).delegate());
    }

    @Override
    public void close() {
        delegate.close();
    }

    private final class FailingLog extends ForwardingGroupLog {
        volatile DurabilityListener listener;

        FailingLog(GroupLog delegate) {
            super(delegate);
        }

        @Override
        public void append(List<LogEntry> entries) {
            switch (mode.get()) {
                case NONE -> delegate.append(entries);
                case THROW -> throw new StorageException("injected: disk on fire");
                case REPORT_FAILURE -> {
                    DurabilityListener l = listener;
                    Thread t = new Thread(() -> l.onFailure(new StorageException("injected: fsync failed")),
                            "injected-storage-failure");
                    t.start();
                }
            }
        }

        @Override
        public void setDurabilityListener(DurabilityListener listener) {
            this.listener = listener;
            delegate.setDurabilityListener(listener);
        }
    }
}
