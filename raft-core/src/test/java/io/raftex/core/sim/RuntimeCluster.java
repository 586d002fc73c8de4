package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.runtime.RuntimeSettings;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The simulator's second mode: a group whose members each run the real {@link io.raftex.core.runtime.GroupRuntime}
 * (see {@link RuntimeNode}), all on one seeded {@link SimScheduler} and {@link SimNetwork}, with the same
 * {@link Invariants} as {@link SimCluster}. Time and faults are driven from here; a violation, or a group that stops
 * by itself, fails the run with the seed in the message.
 */
final class RuntimeCluster extends BaseSimCluster<RuntimeNode> {

    final Duration commandTimeout;
    final Duration queryTimeout;
    /** Snapshot every this many applied entries (0: on request only), sent in chunks of this many bytes. */
    final long snapshotInterval;
    final int snapshotChunkBytes;
    /** Whether the {@link RuntimeNemesis} adds and removes members. */
    boolean membershipChurn;
    /** The fewest voters membership churn leaves (1: it also tries to demote the last voter). */
    int minVoters = 3;
    /**
     * The chance that a member dies right after writing a snapshot beyond its synced log, or right after a
     * truncation that dropped a configuration entry and is not synced yet (0: never; the nemesis sets it).
     */
    double unsyncedCrashChance;
    int unsyncedCrashes;

    RuntimeCluster(int size, long seed) {
        this(size, seed, Duration.ofMillis(2_500));
    }

    RuntimeCluster(int size, long seed, Duration commandTimeout) {
        this(size, seed, commandTimeout, 0, 1024);
    }

    RuntimeCluster(int size, long seed, Duration commandTimeout, long snapshotInterval, int snapshotChunkBytes) {
        super(size, seed, PROTOCOL);
        this.snapshotInterval = snapshotInterval;
        this.snapshotChunkBytes = snapshotChunkBytes;
        this.commandTimeout = commandTimeout;
        this.queryTimeout = commandTimeout;
        PersistentState initial = new PersistentState(0, Optional.empty(), config);
        for (MemberId id : ids) {
            nodes.add(new RuntimeNode(id, this, new InMemoryGroupLog(initial), config));
        }
        for (RuntimeNode node : nodes) {
            node.start();
        }
    }

    RuntimeSettings settings(MemberId id) {
        return new RuntimeSettings(id.value(), protocolConfig, Duration.ofMillis(tickMillis), commandTimeout,
                queryTimeout, 1_000, Runnable::run, snapshotInterval, snapshotChunkBytes);
    }

    /** {@code t} unwrapped from the {@link CompletionException} a runtime's future may wrap it in; null for null. */
    static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** How the future {@code f} failed ({@link #cause unwrapped}); null while it is pending or if it succeeded. */
    static Throwable failureOf(CompletableFuture<?> f) {
        return cause(f.handle((v, e) -> e).getNow(null));
    }

    int indexOf(MemberId id) {
        return ids.indexOf(id);
    }

    // ------------------------------------------------------------------ time

    /** After every event: fails if an invariant broke (even where the runtime swallowed it) or a group stopped. */
    @Override
    protected void afterEvent() {
        check();
    }

    void check() {
        Optional<AssertionError> violation = invariants.firstViolation();
        if (violation.isPresent()) {
            throw violation.get();
        }
        for (RuntimeNode n : nodes) {
            invariants.onSnapshotsHeld(n, n.snapshotDisk.list(), config);
            if (n.up && n.started && !n.runtime.isRunning()) {
                throw new AssertionError("the group on " + n.id + " stopped by itself at t=" + scheduler.now()
                        + "ms (a failure inside the runtime; its log says why)\n  " + describe());
            }
        }
    }

    // ------------------------------------------------------------------ faults

    @Override
    public void restart(int i) {
        RuntimeNode node = nodes.get(i);
        if (node.retired) {
            return;
        }
        node.crash();
        node.start();
    }

    /** Closes member {@code i}'s group gracefully; {@link #start} brings it back on the same disk. */
    void close(int i) {
        nodes.get(i).close();
    }

    void start(int i) {
        if (!nodes.get(i).retired) {
            nodes.get(i).start();
        }
    }

    // ------------------------------------------------------------------ membership

    /**
     * Starts a brand-new member n{k} with an empty disk whose initial configuration is the bootstrap one, which does
     * not include it: it takes no part until a leader adds it. Returns its index.
     */
    int addNode() {
        return addNode(config);
    }

    /** As {@link #addNode()}, with {@code initial} (which must not name the new node) as its initial configuration. */
    int addNode(ClusterConfig initial) {
        MemberId id = MemberId.of("n" + (nodes.size() + 1));
        ids.add(id);
        RuntimeNode node = new RuntimeNode(id, this, new InMemoryGroupLog(new PersistentState(0, Optional.empty(),
                initial)), initial);
        nodes.add(node);
        node.start();
        return nodes.size() - 1;
    }

    /** The member entry for node {@code i}, as an add would name it. */
    Member memberOf(int i, Membership membership) {
        return new Member(ids.get(i), "sim://" + ids.get(i), membership);
    }

    /** Closes member {@code i} for good (it was removed): it is never started again, and its disk is kept. */
    void retire(int i) {
        RuntimeNode node = nodes.get(i);
        node.retired = true;
        if (node.up) {
            node.close();
        }
    }

    /** The configuration in force on member {@code i}: the newest its log holds. */
    ClusterConfig configOf(int i) {
        return Invariants.configInForce(nodes.get(i));
    }

    /** The members of the leader's configuration in force (every member if there is no leader). */
    List<Integer> currentMembers() {
        Optional<Integer> leader = leader();
        if (leader.isEmpty()) {
            return java.util.stream.IntStream.range(0, nodes.size()).filter(i -> !nodes.get(i).retired).boxed()
                    .toList();
        }
        ClusterConfig c = configOf(leader.get());
        return c.ids().stream().map(ids::indexOf).toList();
    }

    // ------------------------------------------------------------------ views

    /** The members of the leader's configuration in force: those removed, or never added, do not count. */
    @Override
    List<RuntimeNode> membersLedBy(int leader) {
        return configOf(leader).ids().stream().map(id -> nodes.get(ids.indexOf(id))).toList();
    }

    /** The members that {@link #converged()} looks at: those of the leader's configuration. */
    List<RuntimeNode> convergedMembers() {
        return currentMembers().stream().map(nodes::get).toList();
    }
}
