package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.Timer;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.RaftGroup;
import io.raftex.core.Role;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;

/**
 * What the meters of one group read: the group's current handle plus what earlier handles counted, so counters keep
 * rising when the group is stopped and started again in the same application (a new handle counts from zero).
 * The meters hold a strong reference to this object.
 */
final class GroupMeterState {

    private final String group;
    private volatile RaftGroup<?, ?> handle;
    private volatile long baseTerm;
    private long carriedElections;
    private long carriedLeaderChanges;
    private long carriedCommands;
    private long carriedSnapshotFailures;
    /** The {@code raft.command.latency} timers (one per registry), fed by {@link #latencies}. */
    private final Set<Timer> latencyTimers = new CopyOnWriteArraySet<>(); // a registry returns one timer per id
    private final GroupListener latencies = new GroupListener() {
        @Override
        public void onCommandCompleted(long latencyNanos) {
            for (Timer t : latencyTimers) {
                t.record(latencyNanos, TimeUnit.NANOSECONDS);
            }
        }
    };

    GroupMeterState(String group) {
        this.group = group;
    }

    String group() {
        return group;
    }

    /** Follows a new handle of the group (started again), folding in what the previous one counted. */
    synchronized void attach(RaftGroup<?, ?> next) {
        RaftGroup<?, ?> previous = handle;
        if (previous == next) {
            return;
        }
        if (previous != null) {
            GroupMetrics m = previous.metrics();
            carriedElections += Math.max(0, m.term() - baseTerm);
            carriedLeaderChanges += m.leaderChanges();
            carriedCommands += m.commandsSubmitted();
            carriedSnapshotFailures += m.snapshotFailures();
            previous.removeListener(latencies);
        }
        baseTerm = next.metrics().term();
        handle = next;
        next.addListener(latencies);
    }

    /** Records every command answered from now on into {@code timer} as well. */
    void recordLatenciesInto(Timer timer) {
        latencyTimers.add(timer);
    }

    private GroupMetrics metrics() {
        RaftGroup<?, ?> h = handle;
        return h == null ? null : h.metrics();
    }

    private boolean running() {
        RaftGroup<?, ?> h = handle;
        return h != null && h.isRunning();
    }

    double term() {
        GroupMetrics m = metrics();
        return m == null ? Double.NaN : m.term();
    }

    double commitIndex() {
        GroupMetrics m = metrics();
        return m == null ? Double.NaN : m.commitIndex();
    }

    double appliedIndex() {
        GroupMetrics m = metrics();
        return m == null ? Double.NaN : m.lastApplied();
    }

    double lastLogIndex() {
        GroupMetrics m = metrics();
        return m == null ? Double.NaN : m.lastLogIndex();
    }

    double snapshotIndex() {
        GroupMetrics m = metrics();
        return m == null ? Double.NaN : m.snapshotIndex();
    }

    /** 1 while this member leads a running group, else 0. */
    double leader() {
        GroupMetrics m = metrics();
        return m != null && running() && m.role() == Role.LEADER ? 1 : 0;
    }

    /** The role as a number: see {@link #roleCode(Role)}; NaN while the group is not running. */
    double role() {
        GroupMetrics m = metrics();
        return m == null || !running() ? Double.NaN : roleCode(m.role());
    }

    /** follower 0, pre_candidate 1, candidate 2, leader 3. */
    static int roleCode(Role role) {
        switch (role) {
            case FOLLOWER:
                return 0;
            case PRE_CANDIDATE:
                return 1;
            case CANDIDATE:
                return 2;
            default:
                return 3;
        }
    }

    /** Elections this member has seen start: each rise of its term is one (it stood, or voted in it). */
    synchronized double elections() {
        GroupMetrics m = metrics();
        return carriedElections + (m == null ? 0 : Math.max(0, m.term() - baseTerm));
    }

    synchronized double leaderChanges() {
        GroupMetrics m = metrics();
        return carriedLeaderChanges + (m == null ? 0 : m.leaderChanges());
    }

    synchronized double commands() {
        GroupMetrics m = metrics();
        return carriedCommands + (m == null ? 0 : m.commandsSubmitted());
    }

    synchronized double snapshotFailures() {
        GroupMetrics m = metrics();
        return carriedSnapshotFailures + (m == null ? 0 : m.snapshotFailures());
    }
}
