package io.raftex.core.sim;

import io.raftex.core.log.ForwardingGroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;

import java.util.List;

/** Hands every append and truncation to the invariant checker before passing it to the in-memory disk. */
final class CheckedLog extends ForwardingGroupLog {

    private final InMemoryGroupLog disk;
    private final SimCluster cluster;
    private final SimNode node;

    CheckedLog(InMemoryGroupLog disk, SimCluster cluster, SimNode node) {
        super(disk);
        this.disk = disk;
        this.cluster = cluster;
        this.node = node;
    }

    @Override
    public void persistState(PersistentState state) {
        if (state.currentTerm() < disk.state().currentTerm()) {
            throw new AssertionError(node.id + " lowered its durable term from " + disk.state().currentTerm()
                    + " to " + state.currentTerm());
        }
        disk.persistState(state);
    }

    @Override
    public void append(List<LogEntry> entries) {
        long prevTerm = disk.termAt(entries.get(0).index() - 1);
        cluster.invariants.onAppend(node, entries, prevTerm);
        disk.append(entries);
    }

    @Override
    public void truncateFrom(long fromIndex) {
        cluster.invariants.onTruncate(node, fromIndex);
        disk.truncateFrom(fromIndex);
    }
}
