package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.log.StorageException;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.InstallSnapshotResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.protocol.ConfigChange;
import io.raftex.core.protocol.Effect;
import io.raftex.core.protocol.Proposal;
import io.raftex.core.protocol.RaftMember;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.snapshot.SnapshotStore;
import io.raftex.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The loop of one group on one node: owns the {@link RaftMember} and its {@link GroupLog}, takes ticks, inbound
 * messages, durability reports and the requests {@link GroupRuntime} hands it, and routes every effect the core
 * returns through an {@link EffectRouter} to exactly one receiver, in order (effects produced meanwhile queue behind,
 * never re-entrantly). It has no thread of its own: every input is a task on the {@link GroupExecutor} it is given,
 * which runs one task at a time, so nothing here needs a lock; fields other threads read are volatile.
 *
 * <p>It provides each collaborator its narrow host, none of which hands out the member. Fail-stop (rule 5): a throw
 * in any task, or a failure the store reports, stops the group ({@link #stop}).
 *
 * <p>It is longer than the other runtime classes because those hosts (about 40% of it) are inner classes here: each
 * is a few one-line forwards to the member, the log or another collaborator, and as top-level classes they would
 * need the loop to hand those out to every one of them, which is what the narrow hosts exist to avoid.
 */
final class GroupLoop<C, R> {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    private enum State { STARTING, RUNNING, STOPPED }

    private final String name;
    private final MemberId self;
    private final RuntimeSettings settings;
    private final StorageProvider storage;
    private final ClusterConfig initialConfig;
    /** Messages to the transport, addressed from the configuration in force or every member known. */
    private final Outbox outbox;
    private final Applier<C, R> applier;
    private final GroupEnvironment env;
    private final GroupExecutor executor;
    private final CommandTracker commands;
    /** Commands submitted from any thread, proposed in batches. */
    private final CommandIntake intake;
    /** Counts what happens and tells the listeners. */
    private final GroupEvents events;
    /** Role and leader changes: counted, logged, told to the listeners. */
    private final RoleChanges roleChanges;
    private final Answers answers;
    private final MembershipChanges changes;
    private final LeadershipTransfers leadershipTransfers;
    /** Everything waiting on the core with a deadline, swept in this order on every tick and when a leader is found. */
    private final List<PendingWork> pending;
    private final EffectRouter router;
    private final Applying applying;
    private final Queries queries;
    private final Commands commandFlow;
    /** The figures behind metrics and status, updated here and by the collaborators' hosts. */
    private final RuntimeCounters counters;

    // ---- owned by the loop's tasks
    private RaftMember member;
    private GroupLog log;
    private GroupExecutor.Timer ticker;
    /** Request ids start at a random base per incarnation, so a late answer to an earlier one matches nothing. */
    private long nextRequestId;
    private final ArrayDeque<Effect> effectQueue = new ArrayDeque<>();
    private boolean executingEffects;
    /** Snapshots taken, written and installed; made at start, once the store is open. */
    private Snapshots snapshots;
    /** Snapshots on their way to followers (as leader) or from the leader (as follower). */
    private volatile SnapshotTransfers transfers;
    private IncarnationWatch incarnationWatch;
    private long nextSnapshotRequestAtMillis;

    // ---- published for other threads
    private volatile State state = State.STARTING;
    private volatile boolean refusing;
    private volatile boolean closeRequested;
    /** The status at a stop, readable from any thread. */
    private final StatusBoard status;

    /**
     * @param config    the group's configuration, used when the store holds none yet
     * @param executor  runs the loop's tasks one at a time
     * @param listeners told of role changes, commands, queries and snapshots (read on the loop's tasks)
     * @param counters  the figures the loop and the hosts update
     */
    GroupLoop(String name, MemberId self, ClusterConfig config, Applier<C, R> applier, RuntimeSettings settings,
              Transport transport, StorageProvider storage, GroupEnvironment env, GroupExecutor executor,
              List<GroupListener> listeners, RuntimeCounters counters) {
        this.name = name;
        this.self = self;
        this.initialConfig = config;
        this.applier = applier;
        this.settings = settings;
        this.outbox = new Outbox(name, self, transport);
        this.storage = storage;
        this.env = env;
        this.events = new GroupEvents(name, self, listeners, counters);
        this.roleChanges = new RoleChanges(name, self, counters, events, new RoleHost());
        this.counters = counters;
        this.commands = new CommandTracker(randomClientId(env));
        this.intake = new CommandIntake(new IntakeLoop());
        this.nextRequestId = (1 + (env.seeds().getAsLong() >>> 33)) << 32;
        this.executor = executor;
        this.answers = new Answers(settings.callbackExecutor());
        this.changes = new MembershipChanges(name, self, new ChangesCore(), answers, this::nowMillis,
                settings.commandTimeout().toMillis(), settings.resendAfterMillis(), settings.backoffMillis());
        long tickMillis = settings.tickInterval().toMillis();
        this.leadershipTransfers = new LeadershipTransfers(name, self, new TransfersCore(), answers,
                settings.electionTimeoutMillis() + tickMillis, settings.protocol().heartbeatTicks() * tickMillis);
        this.queries = new Queries(name, new QueriesHost(), answers, this::nowMillis,
                settings.queryTimeout().toMillis(), settings.resendAfterMillis(), settings.backoffMillis());
        this.commandFlow = new Commands(name, self, commands, new CommandsHost(), this::nowMillis,
                settings.commandTimeout().toMillis(), settings.resendAfterMillis(), settings.acceptedWaitMillis(),
                settings.backoffMillis());
        this.pending = List.of(commandFlow, queries, leadershipTransfers, changes);
        this.applying = new Applying(name, applier, commands, new ApplyingHost(), answers, env.nanoTime());
        this.router = routeEffects();
        this.status = new StatusBoard(name, settings.nodeId());
    }

    private static long randomClientId(GroupEnvironment env) {
        long id = 0;
        while (id == 0) {
            id = env.seeds().getAsLong();
        }
        return id;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Queues the start: opens the store, recovers the member, starts the timer ({@link GroupRuntime#startAsync}). */
    CompletableFuture<Void> start() {
        CompletableFuture<Void> started = new CompletableFuture<>();
        executor.execute(() -> {
            if (closeRequested) {
                // closed before the start ran: nothing was opened, and the executor takes no timer any more
                started.completeExceptionally(new GroupStoppedException("group '" + name + "' on node " + self
                        + " was closed before it started", null));
                return;
            }
            try {
                log = storage.open(name, self, new PersistentState(0, Optional.empty(), initialConfig));
                log.setDurabilityListener(new DurabilityRelay());
                SnapshotStore store = storage.snapshots(name, self);
                transfers = new SnapshotTransfers(name, self, store, settings.snapshotChunkBytes(),
                        settings.electionTimeoutMillis(), new TransferHost());
                snapshots = new Snapshots(name, self, store, applier, answers, env.background(),
                        settings.snapshotInterval(), new SnapshotsHost());
                long restored = snapshots.recover(log);
                member = new RaftMember(name, self, settings.protocol(), log, new Random(env.seeds().getAsLong()),
                        snapshots.newest());
                member.setStateMissing(stateMissing());
                member.setIncarnation(storage.incarnation());
                incarnationWatch = new IncarnationWatch(name, self);
                outbox.learn(initialConfig);
                log.state().configs().forEach(c -> outbox.learn(c.config()));
                roleChanges.startAs(member.role(), member.leader());
                state = State.RUNNING;
                publish();
                long tick = settings.tickInterval().toMillis();
                ticker = executor.scheduleAtFixedRate(() -> guarded("tick", this::onTick), tick);
                LOG.info("[{}@{}] group started: term {}, snapshot {}, log {}..{}, members {}", name, self,
                        member.term(), restored, log.firstIndex(), log.lastIndex(), member.config().ids());
                if (member.config().member(self).isEmpty()) {
                    LOG.info("[{}@{}] this node is not a member of group '{}' yet: it takes no part until a leader"
                            + " adds it", name, self, name);
                }
                started.complete(null);
            } catch (Throwable t) {
                stop(new GroupStoppedException("group '" + name + "' on node " + self + " failed to start: " + t, t),
                        true);
                started.completeExceptionally(t);
            }
        });
        return started;
    }

    /**
     * Asks the loop to stop for a close: at once if called from one of its tasks (then true), else as a task queued
     * behind the others (then false, and the caller waits for the executor to end).
     */
    boolean close() {
        closeRequested = true;
        GroupStoppedException reason = new GroupStoppedException("group '" + name + "' on node " + self
                + " was closed", null);
        if (executor.inExecutor()) {
            stop(reason, false);
            return true;
        }
        try {
            executor.execute(() -> stop(reason, false));
        } catch (RejectedExecutionException e) {
            // already stopped
        }
        return false;
    }

    /** Stops within a task: fails everything pending, closes the store, shuts the executor down once it is idle. */
    private void stop(GroupStoppedException reason, boolean failure) {
        if (state == State.STOPPED) {
            return;
        }
        refusing = true;
        if (failure && reason.getCause() instanceof StorageException) {
            LOG.error("[{}@{}] {}", name, self, reason.getMessage()); // the storage layer logged the trace once
        } else if (failure) {
            LOG.error("[{}@{}] {}", name, self, reason.getMessage(), reason.getCause());
        } else {
            LOG.info("[{}@{}] group stopped", name, self);
        }
        status.stopped(member == null ? null : () -> computeStatus(false), counters);
        state = State.STOPPED;
        if (ticker != null) {
            ticker.cancel();
        }
        for (PendingWork work : pending) {
            work.failAll(reason);
        }
        effectQueue.clear();
        if (transfers != null) {
            transfers.stopSending();
            transfers.abortReceiving();
        }
        if (snapshots != null) {
            snapshots.failAll(reason);
        }
        if (log != null) {
            try {
                storage.close(name, log);
            } catch (RuntimeException e) {
                LOG.warn("[{}@{}] closing the store failed", name, self, e);
            }
        }
        executor.shutdown();
    }

    /** Runs {@code task} if the group is running; a throw stops the group. */
    private void guarded(String what, Runnable task) {
        if (state != State.RUNNING) {
            return;
        }
        try {
            task.run();
            publish();
        } catch (Throwable t) {
            stop(new GroupStoppedException("group '" + name + "' on node " + self + " stopped after a failure in "
                    + what + ": " + t, t), true);
        }
    }

    /** Queues a task; false if the group no longer takes tasks. */
    private boolean submit(String what, Runnable task) {
        try {
            executor.execute(() -> guarded(what, task));
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Hands storage reports, which may come from a storage thread, to the loop. */
    private final class DurabilityRelay implements GroupLog.DurabilityListener {
        @Override
        public void onDurable(long index, long entryTerm, long truncations) {
            submit("durability report", () -> enqueue(member.onLogDurable(index, entryTerm, truncations)));
        }

        @Override
        public void onFailure(StorageException failure) {
            refusing = true;
            GroupStoppedException reason = new GroupStoppedException("group '" + name + "' on node " + self
                    + " stopped: storage failure: " + failure.getMessage(), failure);
            try {
                executor.execute(() -> stop(reason, true));
            } catch (RejectedExecutionException e) {
                // already stopped
            }
        }
    }

    // ------------------------------------------------------------------ inputs

    /** An inbound message for this group (from the transport's thread). */
    void receive(RaftMessage message) {
        submit("inbound message", () -> {
            if (message instanceof InstallSnapshotResponse r && r.installed() && r.term() == member.term()) {
                transfers.installedBy(r.from()); // done with this follower
            }
            enqueue(member.handle(message));
        });
    }

    /** Queues a submitted command (encoded, with its deadline) to be proposed with the others queued meanwhile. */
    void command(CommandTracker.Pending command) {
        intake.offer(command);
    }

    /** Queues a query; fails it if the group is stopped or stops before it ran. */
    void query(ReadTracker.PendingRead read) {
        Runnable onStopped = () -> queries.fail(read, stoppedException());
        if (refusing || state != State.RUNNING) {
            onStopped.run();
            return;
        }
        try {
            executor.execute(() -> {
                guarded("query", () -> queries.start(read));
                if (state == State.STOPPED && !read.future.isDone()) {
                    onStopped.run();
                }
            });
        } catch (RejectedExecutionException e) {
            onStopped.run();
        }
    }

    /** Queues a request for a snapshot; fails it if the group is stopped. */
    void snapshot(CompletableFuture<SnapshotMeta> future) {
        request(future, "snapshot request", () -> snapshots.request(future));
    }

    /** Queues a membership change; fails it if the group is stopped. */
    void changeMembership(ConfigChange change, CompletableFuture<ClusterConfig> future) {
        long deadline = nowMillis() + settings.commandTimeout().toMillis();
        request(future, "membership change", () -> changes.add(change, future, deadline));
    }

    /** Queues a leadership transfer; fails it if the group is stopped. */
    void transferLeadership(MemberId target, CompletableFuture<Void> future) {
        request(future, "leadership transfer", () -> leadershipTransfers.start(target, future, nowMillis()));
    }

    private void request(CompletableFuture<?> future, String what, Runnable task) {
        boolean queued = !refusing && submit(what, task);
        if (!queued) {
            future.completeExceptionally(stoppedException());
        }
    }

    // ------------------------------------------------------------------ effects

    /** Carries out effects in order. Effects produced while doing so are queued behind, never run re-entrantly. */
    private void enqueue(List<Effect> effects) {
        effectQueue.addAll(effects);
        if (executingEffects) {
            return;
        }
        executingEffects = true;
        try {
            Effect e;
            while (state == State.RUNNING && (e = effectQueue.poll()) != null) {
                router.route(e);
            }
            // messages of this step are out: now the first slice of what committed, unless one is queued already
            if (state == State.RUNNING && applying.due()) {
                applying.applySlice();
                Effect more;
                while (state == State.RUNNING && (more = effectQueue.poll()) != null) {
                    router.route(more); // proposals made again for commands whose entries were displaced
                }
            }
        } finally {
            executingEffects = false;
        }
    }

    /** Which collaborator carries out each kind of effect: one receiver per type. */
    private EffectRouter routeEffects() {
        return EffectRouter.builder()
                .on(Effect.Send.class, s -> send(s.message()))
                .on(Effect.CommitAdvanced.class, this::onCommitAdvanced)
                .on(Effect.ProposalAccepted.class, commandFlow::onAccepted)
                .on(Effect.ProposalRejected.class, commandFlow::onRejected)
                .on(Effect.ReadReady.class, queries::onReady)
                .on(Effect.ReadRejected.class, queries::onRejected)
                .on(Effect.ChangeAccepted.class, changes::onAccepted)
                .on(Effect.ChangeRejected.class, changes::onRejected)
                .on(Effect.RoleChanged.class, roleChanges::changed)
                .on(Effect.SendSnapshot.class, ss -> transfers.send(ss.to(), ss.atLeast()))
                .on(Effect.SnapshotChunkAcked.class, ack -> transfers.onChunkAcked(ack))
                .on(Effect.SnapshotChunk.class, chunk -> transfers.onChunk(chunk.chunk()))
                .on(Effect.Refused.class, refused -> LOG.error("group '{}' on node {} {}", name, self,
                        refused.reason()))
                .build();
    }

    /** The effect types this loop routes (for tests: every kind the core has). */
    Set<Class<?>> routedEffectTypes() {
        return router.routedTypes();
    }

    private void onCommitAdvanced(Effect.CommitAdvanced c) {
        applying.commitAdvanced(c.commitIndex());
        changes.onCommitAdvanced();
    }

    private void send(RaftMessage message) {
        outbox.send(member.config(), message);
    }

    // ------------------------------------------------------------------ timer

    private void onTick() {
        enqueue(member.tick(env.wallMillis().getAsLong()));
        sweep(false);
        transfers.resendStalled();
        if (stateMissing()) {
            long now = nowMillis();
            if (now >= nextSnapshotRequestAtMillis) {
                nextSnapshotRequestAtMillis = now + settings.electionTimeoutMillis();
                enqueue(member.requestSnapshot(log.snapshotIndex()));
            }
        }
    }

    /**
     * Whether the state machine is behind the start of the log, so that the log cannot bring it up to date: only at
     * a restart that found the snapshot the log starts after damaged, until a leader's snapshot is installed.
     */
    private boolean stateMissing() {
        return applier.lastApplied() < log.snapshotIndex();
    }

    /** Fails what is past its deadline and retries what is due (or, with {@code leaderFound}, every backoff). */
    private void sweep(boolean leaderFound) {
        long now = nowMillis();
        for (PendingWork work : pending) {
            work.sweep(now, leaderFound);
        }
    }

    // ------------------------------------------------------------------ views

    /** True while the group runs and takes requests. */
    boolean isRunning() {
        return state == State.RUNNING && !refusing;
    }

    /** True while the group refuses requests: it is stopping, stopped, or has not started yet. */
    boolean refusing() {
        return refusing || state != State.RUNNING;
    }

    /** The status, computed now; call from one of the loop's tasks only. */
    GroupStatus statusHere() {
        return state == State.RUNNING ? computeStatus(true) : status.last();
    }

    /** The status as a task of the loop computes it, or the last one published once the group stopped. */
    CompletableFuture<GroupStatus> statusAsync() {
        CompletableFuture<GroupStatus> future = new CompletableFuture<>();
        if (state != State.RUNNING) {
            future.complete(status.last());
            return future;
        }
        try {
            executor.execute(() -> future.complete(state == State.RUNNING ? computeStatus(true) : status.last()));
        } catch (RejectedExecutionException e) {
            future.complete(status.last());
        }
        return future;
    }

    /** The status last computed at a stop (or the initial one). */
    GroupStatus lastStatus() {
        return status.last();
    }

    private GroupStatus computeStatus(boolean running) {
        return status.compute(member.status(), applier.lastApplied(), counters.snapshotIndex(), transfers.progress(),
                running);
    }

    /** The group's figures, from any thread. */
    GroupMetrics metrics() {
        return counters.metrics(name, settings.nodeId(), isRunning(), transfers);
    }

    /** Copies the member's state into the fields other threads read. */
    private void publish() {
        incarnationWatch.check(member);
        counters.publish(member.role(), member.term(), member.leader(), member.commitIndex(), applier.lastApplied(),
                log.lastIndex());
    }

    // ------------------------------------------------------------------ helpers

    GroupStoppedException stoppedException() {
        return new GroupStoppedException("group '" + name + "' on node " + self + " is stopped", null);
    }

    private void fail(CommandTracker.Pending p, Throwable reason) {
        commandFailed(reason);
        answers.fail(p.future, reason);
    }

    /** Counts a command that failed for {@code reason} and tells the listeners, before its future completes. */
    void commandFailed(Throwable reason) {
        events.commandFailed(reason);
    }

    long nowMillis() {
        return env.nanoTime().getAsLong() / 1_000_000;
    }

    // ------------------------------------------------------------------ hosts: the loop as each collaborator sees it

    /** The loop as {@link Applying} sees it. */
    private final class ApplyingHost implements Applying.Host {
        @Override
        public boolean stateMissing() {
            return GroupLoop.this.stateMissing();
        }

        @Override
        public List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes) {
            return log.entries(fromIndex, toIndex, maxBytes);
        }

        @Override
        public boolean submit(Runnable task) {
            return GroupLoop.this.submit("apply", task);
        }

        @Override
        public void sliceApplied(long applied) {
            counters.applied(applied);
            queries.applied(applied);
            snapshots.maybeTake();
        }

        @Override
        public void proposeAgain(List<CommandTracker.Pending> displaced) {
            commandFlow.propose(displaced);
        }

        @Override
        public void duplicateApplied() {
            counters.duplicateApplied();
        }

        @Override
        public void commandCompleted(long latency) {
            events.commandCompleted(latency);
        }

        @Override
        public void commandFailed(CommandTracker.Pending command, Throwable reason) {
            fail(command, reason);
        }
    }

    /** The core, the counters and the other collaborators as {@link Snapshots} sees them. */
    private final class SnapshotsHost implements Snapshots.Host {
        @Override
        public long nowMillis() {
            return GroupLoop.this.nowMillis();
        }

        @Override
        public long nanoTime() {
            return env.nanoTime().getAsLong();
        }

        @Override
        public ClusterConfig configAt(long index) {
            return member.configAt(index);
        }

        @Override
        public boolean submit(String what, Runnable task) {
            return GroupLoop.this.submit(what, task);
        }

        @Override
        public void newestAt(long index) {
            counters.snapshotHeld(index);
        }

        @Override
        public void taken(SnapshotMeta meta, long compactTo, long tookNanos) {
            events.snapshotTaken(tookNanos);
            enqueue(member.snapshotTaken(meta.index(), meta.term(), compactTo));
        }

        @Override
        public void failed(long failures, int failuresInARow) {
            counters.snapshotFailed(failures, failuresInARow);
        }

        @Override
        public void takenFor(MemberId to, Throwable failure) {
            if (failure == null && member.role() == Role.LEADER) {
                transfers.send(to, 0);
            } else if (failure != null) {
                enqueue(member.snapshotSendFailed(to));
            }
        }

        @Override
        public void restored(long index, long tookNanos) {
            events.snapshotInstalled(applier.lastApplied(), tookNanos);
            queries.applied(applier.lastApplied());
            // commands of ours accepted at indexes the snapshot covers: their answers are in its session table
            commandFlow.coveredBySnapshot(index);
        }

        @Override
        public void restoreRefused() {
            transfers.installFailed();
        }

        @Override
        public void chunkStored(InstallSnapshotRequest last, long received) {
            enqueue(member.snapshotChunkStored(last, received));
        }

        @Override
        public void installed(SnapshotMeta meta, MemberId from) {
            List<Effect> effects = member.snapshotInstalled(meta, from);
            member.setStateMissing(stateMissing());
            enqueue(effects);
        }
    }

    /** What {@link SnapshotTransfers} needs from the loop. */
    private final class TransferHost implements SnapshotTransfers.Host {
        @Override
        public SnapshotMeta newestSnapshot() {
            return snapshots.newest();
        }

        @Override
        public long term() {
            return member.term();
        }

        @Override
        public long nowMillis() {
            return GroupLoop.this.nowMillis();
        }

        @Override
        public void send(RaftMessage message) {
            GroupLoop.this.send(message);
        }

        @Override
        public void snapshotSendFailed(MemberId to) {
            enqueue(member.snapshotSendFailed(to));
        }

        @Override
        public void chunkStored(InstallSnapshotRequest chunk, long received) {
            enqueue(member.snapshotChunkStored(chunk, received));
        }

        @Override
        public boolean takeSnapshotFor(MemberId to, long atLeast) {
            return snapshots.takeFor(to, atLeast);
        }

        @Override
        public void install(SnapshotMeta meta, InstallSnapshotRequest last, long startedMillis) throws IOException {
            snapshots.install(meta, last, startedMillis);
        }
    }

    /** The core and the loop as {@link Commands} see them. */
    private final class CommandsHost implements Commands.Host {
        @Override
        public long nextRequestId() {
            return nextRequestId++;
        }

        @Override
        public void propose(List<Proposal> proposals) {
            enqueue(member.propose(proposals));
        }

        @Override
        public long lastApplied() {
            return applier.lastApplied();
        }

        @Override
        public void retried() {
            counters.commandRetried();
        }

        @Override
        public void failed(CommandTracker.Pending command, Throwable reason) {
            fail(command, reason);
        }

        @Override
        public void failSubmitted(GroupStoppedException reason) {
            intake.failAll(reason);
        }
    }

    /** The core, the log and the state machine as {@link Queries} see them. */
    private final class QueriesHost implements Queries.Host {
        @Override
        public boolean stateMissing() {
            return GroupLoop.this.stateMissing();
        }

        @Override
        public long snapshotIndex() {
            return log.snapshotIndex();
        }

        @Override
        public boolean leaderKnown() {
            return member.leader().isPresent();
        }

        @Override
        public long nextRequestId() {
            return nextRequestId++;
        }

        @Override
        public void read(long requestId, ReadConsistency consistency) {
            enqueue(member.read(requestId, consistency));
        }

        @Override
        public long lastApplied() {
            return applier.lastApplied();
        }

        @Override
        public Object machine() {
            return applier.machine();
        }

        @Override
        public void queryCompleted(ReadConsistency consistency) {
            events.queryCompleted(consistency);
        }

        @Override
        public void queryFailed(ReadConsistency consistency, Throwable reason) {
            events.queryFailed(consistency, reason);
        }
    }

    /** The core and log as {@link MembershipChanges} see them. */
    private final class ChangesCore implements MembershipChanges.Core {
        @Override
        public boolean forwardsToLeader() {
            return member.leader().isPresent() && member.role() != Role.LEADER;
        }

        @Override
        public ClusterConfig config() {
            return member.config();
        }

        @Override
        public long commitIndex() {
            return member.commitIndex();
        }

        @Override
        public long termAt(long index) {
            return log.termAt(index);
        }

        @Override
        public long snapshotIndex() {
            return log.snapshotIndex();
        }

        @Override
        public long nextRequestId() {
            return nextRequestId++;
        }

        @Override
        public void changeMembership(long requestId, ConfigChange change) {
            enqueue(member.changeMembership(requestId, change));
        }
    }

    /** The core as {@link LeadershipTransfers} sees it. */
    private final class TransfersCore implements LeadershipTransfers.Core {
        @Override
        public Role role() {
            return member.role();
        }

        @Override
        public Optional<MemberId> leader() {
            return member.leader();
        }

        @Override
        public ClusterConfig config() {
            return member.config();
        }

        @Override
        public Optional<MemberId> transferTarget() {
            return member.transferTarget();
        }

        @Override
        public void transferLeadership(MemberId target) {
            enqueue(member.transferLeadership(target));
        }
    }
    /** What a role change sets off here. */
    private final class RoleHost implements RoleChanges.Host {
        @Override
        public void notLeader() {
            transfers.stopSending();
        }

        @Override
        public void leaderFound() {
            sweep(true);
        }
    }

    /** The loop as {@link CommandIntake} sees it. */
    private final class IntakeLoop implements CommandIntake.Loop {
        @Override
        public boolean execute(Runnable task) {
            try {
                executor.execute(task);
                return true;
            } catch (RejectedExecutionException e) {
                return false;
            }
        }

        @Override
        public void step(Runnable task) {
            guarded("command", task);
        }

        @Override
        public boolean stopping() {
            return refusing || state == State.STOPPED;
        }

        @Override
        public boolean stopped() {
            return state == State.STOPPED;
        }

        @Override
        public GroupStoppedException stoppedException() {
            return GroupLoop.this.stoppedException();
        }

        @Override
        public void submit(List<CommandTracker.Pending> batch) {
            commandFlow.submit(batch);
        }

        @Override
        public void failed(CommandTracker.Pending command, Throwable reason) {
            fail(command, reason);
        }
    }
}
