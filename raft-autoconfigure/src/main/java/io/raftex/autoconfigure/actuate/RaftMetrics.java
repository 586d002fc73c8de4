package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.admin.RaftStatusJson;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.RaftGroup;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.UnknownGroupException;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The per-group meters of docs/contracts.md, each tagged {@code group}:
 * <ul>
 *   <li>gauges {@code raft.term}, {@code raft.commit.index}, {@code raft.applied.index}, {@code raft.log.last.index},
 *       {@code raft.snapshot.index}, {@code raft.leader} (1 while this member leads, else 0) and {@code raft.role}
 *       (follower 0, pre_candidate 1, candidate 2, leader 3);</li>
 *   <li>counters {@code raft.elections} (elections this member has seen start, as candidate or voter: each rise of
 *       its term), {@code raft.leader.changes} (times the leader it knows changed to another member) and
 *       {@code raft.commands} (commands submitted through this node) and {@code raft.snapshot.failures} (snapshots
 *       of its own state this member failed to take; each failure is retried after a back-off);</li>
 *   <li>timer {@code raft.command.latency} (commands submitted through this node and answered, submit to result;
 *       every command is recorded, so percentiles and histogram buckets follow the registry's configuration, e.g.
 *       {@code management.metrics.distribution.percentiles-histogram.raft.command.latency=true}).</li>
 * </ul>
 * {@code raft.commands} is tagged {@code outcome} as well ({@code success}, {@code failed}, {@code timeout},
 * {@code no-leader}, {@code rejected}: see docs/operations.md), counted when the group answers the command. More
 * meters, all tagged {@code group}:
 * <ul>
 *   <li>counter {@code raft.queries} (tags {@code outcome}: success, failed, timeout, no-leader; {@code consistency}:
 *       linearizable, leader, local);</li>
 *   <li>gauge {@code raft.member.role} (tag {@code role}: 1 for this member's role while the group runs, 0 for the
 *       others);</li>
 *   <li>gauge {@code raft.follower.lag} (tag {@code peer}; on the leader only: entries of its log not yet durable on
 *       that member; refreshed every {@link #DEFAULT_LAG_REFRESH});</li>
 *   <li>counters {@code raft.snapshots.taken}, {@code raft.snapshots.installed},
 *       {@code raft.snapshot.install.failures} (snapshots from the leader that did not verify or that the state
 *       machine refused), {@code raft.snapshot.sent} and {@code raft.snapshot.received} (bytes of InstallSnapshot
 *       chunks); timer {@code raft.snapshot.duration} (tag {@code kind}: taken, from capture to written; installed,
 *       from the first chunk to installed);</li>
 *   <li>gauges {@code raft.snapshot.install.received} and {@code raft.snapshot.install.size} (bytes of the snapshot
 *       this member is receiving now; 0 while none).</li>
 * </ul>
 * The meters of a group are registered when the group starts (groups start with the application, after meter
 * binders are bound), in the phase right after {@link RaftNodeLifecycle}'s; they read the core's cheap
 * {@link io.raftex.core.GroupMetrics} when scraped.
 */
public final class RaftMetrics implements MeterBinder, SmartLifecycle {

    /** How often the {@code raft.follower.lag} gauges are brought up to date. */
    public static final Duration DEFAULT_LAG_REFRESH = Duration.ofSeconds(1);

    private final RaftNodeLifecycle lifecycle;
    private final Duration lagRefresh;
    private volatile ScheduledExecutorService refresher;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final Map<String, GroupMeterState> groups = new ConcurrentHashMap<>();
    private volatile boolean running;

    public RaftMetrics(RaftNodeLifecycle lifecycle) {
        this(lifecycle, DEFAULT_LAG_REFRESH);
    }

    /** Meters whose {@code raft.follower.lag} gauges are refreshed every {@code lagRefresh}. */
    public RaftMetrics(RaftNodeLifecycle lifecycle, Duration lagRefresh) {
        this.lifecycle = lifecycle;
        if (lagRefresh.isNegative() || lagRefresh.isZero()) {
            throw new IllegalArgumentException("lagRefresh must be positive: " + lagRefresh);
        }
        this.lagRefresh = lagRefresh;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        registries.add(registry);
        for (GroupMeterState state : groups.values()) {
            register(registry, state);
        }
    }

    @Override
    public synchronized void start() {
        for (String name : lifecycle.groupNames()) {
            try {
                attach(name);
            } catch (UnknownGroupException | GroupStoppedException e) {
                // stopped meanwhile
            }
        }
        if (refresher == null) {
            refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "raft-metrics");
                t.setDaemon(true);
                return t;
            });
            long period = lagRefresh.toMillis();
            refresher.scheduleWithFixedDelay(this::refreshLag, 0, period, TimeUnit.MILLISECONDS);
        }
        running = true;
    }

    /** Brings every group's {@code raft.follower.lag} rows up to date from its status (without blocking on it). */
    private void refreshLag() {
        ScheduledExecutorService executor = refresher;
        if (executor == null) {
            return;
        }
        for (GroupMeterState state : groups.values()) {
            RaftGroup<?, ?> handle = state.handle();
            if (handle == null) {
                continue;
            }
            try {
                if (handle.metrics().role() != Role.LEADER) {
                    // only a leader has lag rows: no status (a task on the group's thread) for the others
                    state.followerLag(List.of());
                    continue;
                }
                // the rows are set on this thread, not the group's
                handle.statusAsync().thenAcceptAsync(status -> state.followerLag(lagRows(status)), executor);
            } catch (RuntimeException e) {
                state.followerLag(List.of());
            }
        }
    }

    /** On a running leader, one row per other member: its lag behind the leader's log; elsewhere none. */
    static List<MultiGauge.Row<?>> lagRows(GroupStatus s) {
        if (!s.running() || !s.isLeader()) {
            return List.of();
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (GroupStatus.MemberInfo m : s.members()) {
            if (!m.id().equals(s.nodeId())) {
                rows.add(MultiGauge.Row.of(Tags.of("peer", m.id()), Math.max(0, s.lastLogIndex() - m.matchIndex())));
            }
        }
        return rows;
    }

    private void attach(String name) {
        GroupMeterState state = groups.get(name);
        if (state == null) {
            state = new GroupMeterState(name);
            state.attach(lifecycle.group(name));
            groups.put(name, state);
            for (MeterRegistry registry : registries) {
                register(registry, state);
            }
        } else {
            state.attach(lifecycle.group(name));
        }
    }

    private static void register(MeterRegistry registry, GroupMeterState state) {
        Tags tags = Tags.of("group", state.group());
        gauge(registry, "raft.term", "Current term of this member", tags, state, GroupMeterState::term);
        gauge(registry, "raft.commit.index", "Highest log index this member knows committed", tags, state,
                GroupMeterState::commitIndex);
        gauge(registry, "raft.applied.index", "Highest log index applied to this member's state machine", tags,
                state, GroupMeterState::appliedIndex);
        gauge(registry, "raft.log.last.index", "Index of this member's last log entry", tags, state,
                GroupMeterState::lastLogIndex);
        gauge(registry, "raft.snapshot.index", "Log index covered by this member's latest snapshot", tags, state,
                GroupMeterState::snapshotIndex);
        gauge(registry, "raft.leader", "1 while this member is the group's leader, else 0", tags, state,
                GroupMeterState::leader);
        gauge(registry, "raft.role", "Role of this member: follower 0, pre_candidate 1, candidate 2, leader 3", tags,
                state, GroupMeterState::role);
        FunctionCounter.builder("raft.elections", state, GroupMeterState::elections)
                .description("Elections this member has seen start (each rise of its term)")
                .tags(tags).register(registry);
        FunctionCounter.builder("raft.leader.changes", state, GroupMeterState::leaderChanges)
                .description("Times the leader this member knows changed to another member")
                .tags(tags).register(registry);
        for (GroupMeterState.Outcome outcome : GroupMeterState.Outcome.values()) {
            FunctionCounter.builder("raft.commands", state, s -> s.commands(outcome))
                    .description("Commands submitted through this node, by how they ended")
                    .tags(tags).tag("outcome", outcome.tag()).register(registry);
        }
        for (GroupMeterState.Outcome outcome : GroupMeterState.QUERY_OUTCOMES) {
            for (ReadConsistency consistency : ReadConsistency.values()) {
                FunctionCounter.builder("raft.queries", state, s -> s.queries(outcome, consistency))
                        .description("Queries run through this node, by how they ended and their consistency")
                        .tags(tags).tag("outcome", outcome.tag())
                        .tag("consistency", consistency.name().toLowerCase(Locale.ROOT)).register(registry);
            }
        }
        for (Role role : Role.values()) {
            Gauge.builder("raft.member.role", state, s -> s.hasRole(role))
                    .description("1 for this member's current role while the group runs, 0 for the other roles")
                    .tags(tags).tag("role", RaftStatusJson.role(role)).strongReference(true).register(registry);
        }
        state.followerLagInto(MultiGauge.builder("raft.follower.lag")
                .description("On the leader: entries of its log not yet durable on the member (tag peer)")
                .tags(tags).register(registry));
        FunctionCounter.builder("raft.snapshots.taken", state, GroupMeterState::snapshotsTaken)
                .description("Snapshots of its own state this member wrote")
                .tags(tags).register(registry);
        FunctionCounter.builder("raft.snapshots.installed", state, GroupMeterState::snapshotsInstalled)
                .description("Snapshots this member received from a leader and installed")
                .tags(tags).register(registry);
        FunctionCounter.builder("raft.snapshot.install.failures", state, GroupMeterState::snapshotInstallFailures)
                .description("Snapshots received from a leader that did not verify or that the state machine refused")
                .tags(tags).register(registry);
        FunctionCounter.builder("raft.snapshot.sent", state, GroupMeterState::snapshotBytesSent)
                .description("Bytes of InstallSnapshot chunks this member sent as leader")
                .baseUnit("bytes").tags(tags).register(registry);
        FunctionCounter.builder("raft.snapshot.received", state, GroupMeterState::snapshotBytesReceived)
                .description("Bytes of InstallSnapshot chunks this member stored from a leader")
                .baseUnit("bytes").tags(tags).register(registry);
        Gauge.builder("raft.snapshot.install.received", state, GroupMeterState::snapshotInstallBytesReceived)
                .description("Bytes received so far of the snapshot this member is receiving (0: none)")
                .baseUnit("bytes").tags(tags).strongReference(true).register(registry);
        Gauge.builder("raft.snapshot.install.size", state, GroupMeterState::snapshotInstallTotalBytes)
                .description("Size of the snapshot this member is receiving (0: none)")
                .baseUnit("bytes").tags(tags).strongReference(true).register(registry);
        for (boolean installed : new boolean[] {false, true}) {
            state.recordSnapshotsInto(Timer.builder("raft.snapshot.duration")
                    .description("Snapshots taken (capture to written) and installed (first chunk to installed)")
                    .tags(tags).tag("kind", installed ? "installed" : "taken").register(registry), installed);
        }
        FunctionCounter.builder("raft.snapshot.failures", state, GroupMeterState::snapshotFailures)
                .description("Snapshots of its own state this member failed to take (retried after a back-off)")
                .tags(tags).register(registry);
        state.recordLatenciesInto(Timer.builder("raft.command.latency")
                .description("Commands submitted through this node and answered, from submit to result")
                .tags(tags).register(registry));
    }

    private static void gauge(MeterRegistry registry, String name, String description, Tags tags,
                              GroupMeterState state, ToDoubleFunction<GroupMeterState> value) {
        Gauge.builder(name, state, value).description(description).tags(tags).strongReference(true)
                .register(registry);
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (refresher != null) {
            refresher.shutdownNow();
            refresher = null;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Right after {@link RaftNodeLifecycle} has started its groups. */
    @Override
    public int getPhase() {
        return RaftNodeLifecycle.PHASE + 1;
    }
}
