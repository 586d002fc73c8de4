package io.raftex.core.sim;

import io.raftex.core.log.ForwardingGroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;

import java.util.List;

/**
 * Hands every append and truncation to the invariant checker before passing it to the in-memory disk, then tells
 * the shell that a write waits to be made durable (the runtime mode schedules a flush; {@link SimNode} flushes after
 * each batch of effects and passes nothing).
 */
class CheckedLog extends ForwardingGroupLog {

    private final InMemoryGroupLog disk;
    private final Invariants invariants;
    private final SimMember node;
    private final Runnable afterWrite;

    CheckedLog(InMemoryGroupLog disk, Invariants invariants, SimMember node) {
        this(disk, invariants, node, () -> {
        });
    }

    CheckedLog(InMemoryGroupLog disk, Invariants invariants, SimMember node, Runnable afterWrite) {
        super(disk);
        this.disk = disk;
        this.invariants = invariants;
        this.node = node;
        this.afterWrite = afterWrite;
    }

    @Override
    public void persistState(PersistentState state) {
        if (state.currentTerm() < disk.state().currentTerm()) {
            throw invariants.violation(node.id() + " lowered its durable term from " + disk.state().currentTerm()
                    + " to " + state.currentTerm());
        }
        invariants.onPersistState(node, state);
        disk.persistState(state);
    }

    @Override
    public void append(List<LogEntry> entries) {
        long prevTerm = disk.termAt(entries.get(0).index() - 1);
        invariants.onAppend(node, entries, prevTerm);
        disk.append(entries);
        afterWrite.run();
    }

    @Override
    public void truncateFrom(long fromIndex) {
        invariants.onTruncate(node, fromIndex);
        disk.truncateFrom(fromIndex);
        afterWrite.run();
    }
}
