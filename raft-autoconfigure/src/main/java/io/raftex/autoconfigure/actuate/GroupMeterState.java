package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Timer;
import io.raftex.core.CommandFailedException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.RaftGroup;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

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
    private long carriedSnapshotFailures;
    private long carriedSnapshotsTaken;
    private long carriedSnapshotsInstalled;
    private long carriedSnapshotInstallFailures;
    private long carriedSnapshotBytesSent;
    private long carriedSnapshotBytesReceived;
    /** Commands by outcome, indexed like {@link Outcome#values()}. */
    private final LongAdder[] commands = adders(Outcome.values().length);
    /** Queries by outcome and consistency: {@code [outcome.ordinal() * consistencies + consistency.ordinal()]}. */
    private final LongAdder[] queries = adders(Outcome.values().length * ReadConsistency.values().length);
    /** The {@code raft.command.latency} timers (one per registry), fed by {@link #listener}. */
    private final Set<Timer> latencyTimers = new CopyOnWriteArraySet<>(); // a registry returns one timer per id
    private final Set<MultiGauge> lagGauges = new CopyOnWriteArraySet<>();
    private final Set<Timer> snapshotTakenTimers = new CopyOnWriteArraySet<>();
    private final Set<Timer> snapshotInstalledTimers = new CopyOnWriteArraySet<>();
    private final GroupListener listener = new GroupListener() {
        @Override
        public void onCommandCompleted(long latencyNanos) {
            commands[Outcome.SUCCESS.ordinal()].increment();
            record(latencyTimers, latencyNanos);
        }

        @Override
        public void onCommandFailed(Throwable reason) {
            commands[Outcome.of(reason).ordinal()].increment();
        }

        @Override
        public void onQueryEnded(ReadConsistency consistency, Throwable failure) {
            Outcome outcome = failure == null ? Outcome.SUCCESS : Outcome.of(failure);
            queries[queryIndex(outcome, consistency)].increment();
        }

        @Override
        public void onSnapshotTaken(long durationNanos) {
            record(snapshotTakenTimers, durationNanos);
        }

        @Override
        public void onSnapshotInstalled(long durationNanos) {
            record(snapshotInstalledTimers, durationNanos);
        }
    };

    /**
     * How a command or query ended, the {@code outcome} tag of {@code raft.commands} and {@code raft.queries}:
     * {@code success}; {@code timeout} (its outcome was not known in time: {@link CommandTimeoutException},
     * {@link QueryTimeoutException}); {@code no-leader} ({@link NoLeaderException}); {@code rejected} (the state
     * machine refused a committed command, {@link CommandFailedException}, or the command could not be encoded);
     * {@code failed} (anything else: the group stopped, the session expired, the query function threw).
     */
    enum Outcome {
        SUCCESS, FAILED, TIMEOUT, NO_LEADER, REJECTED;

        /** The tag value. */
        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Outcome of(Throwable failure) {
            Throwable t = failure;
            while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof CommandTimeoutException || t instanceof QueryTimeoutException) {
                return TIMEOUT;
            }
            if (t instanceof NoLeaderException) {
                return NO_LEADER;
            }
            if (t instanceof CommandFailedException || t instanceof IllegalArgumentException) {
                return REJECTED;
            }
            return FAILED;
        }
    }

    /** The outcomes a query can have (a query is never rejected). */
    static final List<Outcome> QUERY_OUTCOMES = List.of(Outcome.SUCCESS, Outcome.FAILED, Outcome.TIMEOUT,
            Outcome.NO_LEADER);

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    private static int queryIndex(Outcome outcome, ReadConsistency consistency) {
        return outcome.ordinal() * ReadConsistency.values().length + consistency.ordinal();
    }

    private static void record(Set<Timer> timers, long nanos) {
        for (Timer t : timers) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

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
            carriedSnapshotFailures += m.snapshotFailures();
            carriedSnapshotsTaken += m.snapshotsTaken();
            carriedSnapshotsInstalled += m.snapshotsInstalled();
            carriedSnapshotInstallFailures += m.snapshotInstallFailures();
            carriedSnapshotBytesSent += m.snapshotBytesSent();
            carriedSnapshotBytesReceived += m.snapshotBytesReceived();
            previous.removeListener(listener);
        }
        baseTerm = next.metrics().term();
        handle = next;
        next.addListener(listener);
    }

    /** The group's current handle, or null before the first. */
    RaftGroup<?, ?> handle() {
        return handle;
    }

    /** Records every command answered from now on into {@code timer} as well. */
    void recordLatenciesInto(Timer timer) {
        latencyTimers.add(timer);
    }

    /** Records the durations of the snapshots this member takes ({@code installed} false) or installs. */
    void recordSnapshotsInto(Timer timer, boolean installed) {
        (installed ? snapshotInstalledTimers : snapshotTakenTimers).add(timer);
    }

    /** Sets the {@code raft.follower.lag} rows in every registry. */
    void followerLag(List<MultiGauge.Row<?>> rows) {
        for (MultiGauge g : lagGauges) {
            g.register(rows, true);
        }
    }

    /** Feeds {@code gauge} with the {@code raft.follower.lag} rows from now on. */
    void followerLagInto(MultiGauge gauge) {
        lagGauges.add(gauge);
    }

    /** Commands submitted through this node that ended with {@code outcome}. */
    double commands(Outcome outcome) {
        return commands[outcome.ordinal()].sum();
    }

    /** Queries run through this node at {@code consistency} that ended with {@code outcome}. */
    double queries(Outcome outcome, ReadConsistency consistency) {
        return queries[queryIndex(outcome, consistency)].sum();
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

    /** 1 while the group runs and this member's role is {@code role}, else 0. */
    double hasRole(Role role) {
        GroupMetrics m = metrics();
        return m != null && running() && m.role() == role ? 1 : 0;
    }

    /** Bytes stored so far of the snapshot this member receives from the leader; 0 while it receives none. */
    double snapshotInstallBytesReceived() {
        GroupMetrics m = metrics();
        return m == null ? 0 : m.snapshotInstallBytesReceived();
    }

    /** Size of the snapshot this member receives from the leader; 0 while it receives none. */
    double snapshotInstallTotalBytes() {
        GroupMetrics m = metrics();
        return m == null ? 0 : m.snapshotInstallTotalBytes();
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


    synchronized double snapshotFailures() {
        GroupMetrics m = metrics();
        return carriedSnapshotFailures + (m == null ? 0 : m.snapshotFailures());
    }

    synchronized double snapshotsTaken() {
        GroupMetrics m = metrics();
        return carriedSnapshotsTaken + (m == null ? 0 : m.snapshotsTaken());
    }

    synchronized double snapshotsInstalled() {
        GroupMetrics m = metrics();
        return carriedSnapshotsInstalled + (m == null ? 0 : m.snapshotsInstalled());
    }

    synchronized double snapshotInstallFailures() {
        GroupMetrics m = metrics();
        return carriedSnapshotInstallFailures + (m == null ? 0 : m.snapshotInstallFailures());
    }

    synchronized double snapshotBytesSent() {
        GroupMetrics m = metrics();
        return carriedSnapshotBytesSent + (m == null ? 0 : m.snapshotBytesSent());
    }

    synchronized double snapshotBytesReceived() {
        GroupMetrics m = metrics();
        return carriedSnapshotBytesReceived + (m == null ? 0 : m.snapshotBytesReceived());
    }
}
