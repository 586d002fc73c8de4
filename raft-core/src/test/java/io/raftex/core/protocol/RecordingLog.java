package io.raftex.core.protocol;

import io.raftex.core.log.ForwardingGroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;

import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory log for protocol tests that records every metadata write, so a test can compare it with what was sent,
 * and whose back-pressure a test can switch on.
 */
final class RecordingLog extends ForwardingGroupLog {

    final InMemoryGroupLog disk;
    final List<PersistentState> persisted = new ArrayList<>();
    boolean pressured;

    RecordingLog(PersistentState initial) {
        this(new InMemoryGroupLog(initial));
    }

    RecordingLog(InMemoryGroupLog disk) {
        super(disk);
        this.disk = disk;
    }

    @Override
    public void persistState(PersistentState s) {
        persisted.add(s);
        disk.persistState(s);
    }

    @Override
    public boolean backPressured() {
        return pressured;
    }
}
