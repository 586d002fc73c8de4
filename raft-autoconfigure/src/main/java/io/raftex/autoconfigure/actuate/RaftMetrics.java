package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.UnknownGroupException;
import org.springframework.context.SmartLifecycle;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * The meters of a group are registered when the group starts (groups start with the application, after meter
 * binders are bound), in the phase right after {@link RaftNodeLifecycle}'s; they read the core's cheap
 * {@link io.raftex.core.GroupMetrics} when scraped.
 */
public final class RaftMetrics implements MeterBinder, SmartLifecycle {

    private final RaftNodeLifecycle lifecycle;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final Map<String, GroupMeterState> groups = new ConcurrentHashMap<>();
    private volatile boolean running;

    public RaftMetrics(RaftNodeLifecycle lifecycle) {
        this.lifecycle = lifecycle;
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
        running = true;
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
        FunctionCounter.builder("raft.commands", state, GroupMeterState::commands)
                .description("Commands submitted through this node")
                .tags(tags).register(registry);
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
    public void stop() {
        running = false;
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
