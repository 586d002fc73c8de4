package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Codec;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.RaftGroup;
import io.raftex.core.ReadConsistency;
import io.raftex.core.StateMachine;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.protocol.ConfigChange;
import io.raftex.core.protocol.RaftMember;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The public face of one group on one node (docs/architecture.md): start, stop, and the {@link RaftGroup} methods,
 * each of which hands its request to the group's {@link GroupLoop}. The loop owns the {@link RaftMember} and its log,
 * runs every input (tick, message, durability report, request, a finished snapshot write) as a task on the group's
 * {@link GroupExecutor}, and routes every effect the core returns to one collaborator: {@link Applying} (committed
 * entries to the {@link Applier}, answers to commands), {@link Commands}, {@link Queries}, {@link MembershipChanges},
 * {@link LeadershipTransfers} (all {@link PendingWork}: deadlines, retries, failing on stop), {@link Snapshots}
 * (taken, written, installed) and {@link SnapshotTransfers}. Nothing needs a lock; only writing a snapshot out runs
 * elsewhere.
 *
 * <p>Fail-stop (rule 5): an exception from the core, the store or the state machine while a task runs, or a failure
 * the store reports, stops the group: pending requests fail (with {@link GroupStoppedException}, or
 * {@link CommandOutcomeUnknownException} for a command that may be in a leader's log), the timer stops,
 * new requests are refused, the store is closed.
 *
 * <p>Users obtain instances through {@link io.raftex.core.RaftNode}; this class is public only for that.
 */
public final class GroupRuntime<C, R> implements RaftGroup<C, R> {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);
    private static final long STATUS_WAIT_MILLIS = 2_000;

    private final String name;
    private final MemberId self;
    private final RuntimeSettings settings;
    private final Applier<C, R> applier;
    private final GroupEnvironment env;
    private final GroupExecutor executor;
    private final CopyOnWriteArrayList<GroupListener> listeners = new CopyOnWriteArrayList<>();
    /** The figures behind {@link #metrics()} and {@link #status()}, updated by the loop and its collaborators. */
    private final RuntimeCounters counters = new RuntimeCounters();
    private final GroupLoop<C, R> loop;

    /**
     * Creates the group; {@link #start()} opens the store and starts the member.
     *
     * @param config the group's configuration, used when the store holds none yet
     */
    public GroupRuntime(String name, ClusterConfig config, StateMachine<C, R> stateMachine, Codec<C> commandCodec,
                        Codec<R> resultCodec, RuntimeSettings settings, Transport transport,
                        StorageProvider storage) {
        this(name, config, stateMachine, commandCodec, resultCodec, settings, transport, storage,
                GroupEnvironment.system());
    }

    /** As above, with the thread, clock and randomness taken from {@code env} (a simulator passes virtual ones). */
    public GroupRuntime(String name, ClusterConfig config, StateMachine<C, R> stateMachine, Codec<C> commandCodec,
                        Codec<R> resultCodec, RuntimeSettings settings, Transport transport,
                        StorageProvider storage, GroupEnvironment env) {
        this.env = Objects.requireNonNull(env, "env");
        this.name = Objects.requireNonNull(name, "name");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.self = MemberId.of(settings.nodeId());
        this.applier = new Applier<>(Objects.requireNonNull(stateMachine, "stateMachine"),
                Objects.requireNonNull(commandCodec, "commandCodec"),
                Objects.requireNonNull(resultCodec, "resultCodec"), settings.maxSessions());
        this.executor = env.executors().apply(settings.nodeId(), name);
        this.loop = new GroupLoop<>(name, self, Objects.requireNonNull(config, "config"), applier, settings,
                Objects.requireNonNull(transport, "transport"), Objects.requireNonNull(storage, "storage"), env,
                executor, listeners, counters);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Opens the store, recovers the member and starts its timer; throws if that fails (the group is then stopped). */
    public void start() {
        try {
            startAsync().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GroupStoppedException("interrupted while starting group '" + name + "'", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new GroupStoppedException("group '" + name + "' failed to start", cause);
        }
    }

    /**
     * Queues the start on the group's executor: the future completes once the group runs, or exceptionally if it
     * could not start. For executors the caller drives itself (a simulator), which {@link #start()} would wait on
     * forever.
     */
    public CompletableFuture<Void> startAsync() {
        return loop.start();
    }

    /**
     * Stops the group and waits for its executor to end. Pending requests fail: a command that may be in a leader's
     * log with {@link CommandOutcomeUnknownException}, everything else with {@link GroupStoppedException}.
     */
    public void close() {
        if (loop.close()) {
            return; // called from one of the group's own tasks, which cannot wait for itself
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10_000)) {
                LOG.warn("[{}@{}] group thread did not stop within 10 s", name, self);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An inbound message for this group (from the transport's thread). */
    public void receive(RaftMessage message) {
        loop.receive(message);
    }

    /** The effect types the loop routes (for tests: every kind the core has). */
    Set<Class<?>> routedEffectTypes() {
        return loop.routedEffectTypes();
    }

    // ------------------------------------------------------------------ requests

    @Override
    @SuppressWarnings("unchecked")
    public CompletableFuture<R> command(C command) {
        CompletableFuture<Object> future = new CompletableFuture<>();
        counters.commandSubmitted();
        if (loop.refusing()) {
            GroupStoppedException stopped = loop.stoppedException();
            loop.commandFailed(stopped);
            future.completeExceptionally(stopped);
            return (CompletableFuture<R>) (CompletableFuture<?>) future;
        }
        byte[] payload;
        try {
            payload = applier.encodeCommand(command);
        } catch (RuntimeException e) {
            loop.commandFailed(e);
            future.completeExceptionally(e);
            return (CompletableFuture<R>) (CompletableFuture<?>) future;
        }
        long deadline = loop.nowMillis() + settings.commandTimeout().toMillis();
        loop.command(new CommandTracker.Pending(payload, future, env.nanoTime().getAsLong(), deadline));
        return (CompletableFuture<R>) (CompletableFuture<?>) future;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> query(Function<? super StateMachine<C, R>, ? extends T> query,
                                          ReadConsistency consistency) {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(consistency, "consistency");
        CompletableFuture<Object> future = new CompletableFuture<>();
        loop.query(new ReadTracker.PendingRead(sm -> query.apply((StateMachine<C, R>) sm), future, consistency,
                loop.nowMillis() + settings.queryTimeout().toMillis()));
        return (CompletableFuture<T>) (CompletableFuture<?>) future;
    }

    @Override
    public CompletableFuture<SnapshotMeta> snapshot() {
        CompletableFuture<SnapshotMeta> future = new CompletableFuture<>();
        loop.snapshot(future);
        return future;
    }

    @Override
    public CompletableFuture<ClusterConfig> addMember(Member newMember) {
        return changeMembership(new ConfigChange.Add(Objects.requireNonNull(newMember, "member")));
    }

    @Override
    public CompletableFuture<ClusterConfig> removeMember(MemberId id) {
        return changeMembership(new ConfigChange.Remove(Objects.requireNonNull(id, "id")));
    }

    private CompletableFuture<ClusterConfig> changeMembership(ConfigChange change) {
        CompletableFuture<ClusterConfig> future = new CompletableFuture<>();
        loop.changeMembership(change, future);
        return future;
    }

    @Override
    public CompletableFuture<Void> transferLeadership(MemberId target) {
        Objects.requireNonNull(target, "target");
        CompletableFuture<Void> future = new CompletableFuture<>();
        loop.transferLeadership(target, future);
        return future;
    }

    @Override
    public void addListener(GroupListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeListener(GroupListener listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------ views

    @Override
    public String name() {
        return name;
    }

    @Override
    public MemberId self() {
        return self;
    }

    @Override
    public boolean isRunning() {
        return loop.isRunning();
    }

    @Override
    public GroupStatus status() {
        if (executor.inExecutor()) {
            return loop.statusHere();
        }
        try {
            return statusAsync().get(STATUS_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return loop.lastStatus();
        } catch (ExecutionException | TimeoutException e) {
            return loop.lastStatus();
        }
    }

    @Override
    public CompletableFuture<GroupStatus> statusAsync() {
        return loop.statusAsync();
    }

    @Override
    public GroupMetrics metrics() {
        return loop.metrics();
    }

    @Override
    public String toString() {
        return "RaftGroup[" + name + "@" + self + " " + counters.role() + " t" + counters.term() + " applied="
                + counters.lastApplied() + "]";
    }
}
