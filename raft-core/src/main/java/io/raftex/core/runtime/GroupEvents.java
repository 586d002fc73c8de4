package io.raftex.core.runtime;

import io.raftex.core.GroupListener;
import io.raftex.core.MemberId;
import io.raftex.core.ReadConsistency;
import io.raftex.core.RoleChangeEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/**
 * What the group reports as it happens: each event counted in the {@link RuntimeCounters} first, then told to every
 * {@link GroupListener}; a listener that throws is logged and skipped, and never stops the group. Used on the
 * group's loop, and by callers refused before their request reached it.
 */
final class GroupEvents {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    private final String group;
    private final MemberId self;
    private final List<GroupListener> listeners;
    private final RuntimeCounters counters;

    /** @param listeners the group's listeners, read at each event (a list safe to read while it changes) */
    GroupEvents(String group, MemberId self, List<GroupListener> listeners, RuntimeCounters counters) {
        this.group = group;
        this.self = self;
        this.listeners = listeners;
        this.counters = counters;
    }

    /** A command of this member got its value, {@code latencyNanos} after it was submitted. */
    void commandCompleted(long latencyNanos) {
        counters.commandCompleted(latencyNanos);
        tell(l -> l.onCommandCompleted(latencyNanos));
    }

    /** A command failed for {@code reason}; called before its future completes. */
    void commandFailed(Throwable reason) {
        counters.commandFailed();
        tell(l -> l.onCommandFailed(reason));
    }

    /** A query got its value. */
    void queryCompleted(ReadConsistency consistency) {
        counters.queryCompleted();
        tell(l -> l.onQueryEnded(consistency, null));
    }

    /** A query failed for {@code reason}. */
    void queryFailed(ReadConsistency consistency, Throwable reason) {
        counters.queryFailed();
        tell(l -> l.onQueryEnded(consistency, reason));
    }

    /** A snapshot was taken and written, in {@code tookNanos}. */
    void snapshotTaken(long tookNanos) {
        counters.snapshotTaken();
        tell(l -> l.onSnapshotTaken(tookNanos));
    }

    /** A leader's snapshot was installed, in {@code tookNanos}; the state machine is at {@code lastApplied}. */
    void snapshotInstalled(long lastApplied, long tookNanos) {
        counters.applied(lastApplied);
        counters.snapshotInstalled();
        tell(l -> l.onSnapshotInstalled(tookNanos));
    }

    /** The role or the leader changed (counted by the caller): each listener hears of the role, then the leader. */
    void roleChanged(RoleChangeEvent event) {
        tell(l -> {
            if (event.roleChanged()) {
                l.onRoleChange(event);
            }
            if (event.leaderChanged()) {
                l.onLeaderChange(event);
            }
        });
    }

    private void tell(Consumer<GroupListener> call) {
        for (GroupListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("[{}@{}] group listener failed", group, self, e);
            }
        }
    }
}
