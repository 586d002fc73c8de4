package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupMetrics;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.NoLeaderException;
import io.raftex.core.RaftGroup;
import io.raftex.core.RaftNode;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.log.StorageOptions;
import io.raftex.core.log.SyncMode;
import io.raftex.core.transport.InMemoryNetwork;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three real {@link RaftNode}s (n1..n3) in one JVM over an {@link InMemoryNetwork}, each with REAL durable storage
 * ({@link DurableStorageProvider}: one shared WAL + MapDB per node) in its own directory, whose WAL files go through a
 * {@link CrashableFileIo}. Every node hosts the same groups of {@link ListMachine}s. Node lookups are thread-safe,
 * so client threads ({@link Writer}) can run while the test kills and restarts nodes.
 */
final class CrashCluster implements AutoCloseable {

    static final List<String> IDS = List.of("n1", "n2", "n3");

    final InMemoryNetwork network = new InMemoryNetwork();
    final ClusterConfig config;
    final List<String> groups;
    final Duration commandTimeout;
    private final Path root;
    private final Random random;
    private final Duration tick;
    private final int electionTicks;
    private final Map<String, RaftNode> nodes = new ConcurrentHashMap<>();
    private final Map<String, CrashableFileIo> disks = new ConcurrentHashMap<>();
    private final Map<String, DurableStorageProvider> storages = new ConcurrentHashMap<>();

    CrashCluster(Path root, List<String> groups, Random random, Duration tick, int electionTicks,
                 Duration commandTimeout) {
        List<Member> members = new ArrayList<>();
        for (String id : IDS) {
            members.add(Member.voter(id, "mem://" + id));
        }
        this.config = ClusterConfig.ofVoters(members);
        this.groups = List.copyOf(groups);
        this.root = root;
        this.random = random;
        this.tick = tick;
        this.electionTicks = electionTicks;
        this.commandTimeout = commandTimeout;
    }

    /**
     * The production defaults (segment writer pacing included) with datasync, and small WAL files, so that the WAL
     * rolls and the segment writer deletes files while the test runs.
     */
    static StorageOptions options(CrashableFileIo io) {
        return StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withWalFileBytes(8 << 10).withFileIo(io);
    }

    Path dataDir(String id) {
        return root.resolve(id);
    }

    CrashCluster startAll() {
        for (String id : IDS) {
            start(id);
        }
        return this;
    }

    /**
     * Starts (or restarts) node {@code id} over its data directory with a fresh disk: opening recovers the WAL
     * (cutting a torn tail) and every group opens its log from the shared storage.
     */
    RaftNode start(String id) {
        CrashableFileIo io = new CrashableFileIo(new Random(random.nextLong()));
        DurableStorageProvider storage = DurableStorageProvider.open(dataDir(id), options(io));
        RaftNode node = RaftNode.builder()
                .nodeId(id)
                .transport(network.transport(id))
                .storage(storage)
                .tickInterval(tick)
                .electionTimeout(tick.multipliedBy(electionTicks))
                .commandTimeout(commandTimeout)
                .build();
        node.start();
        for (String g : groups) {
            node.startGroup(g, config, new ListMachine(), ListMachine.COMMANDS, ListMachine.RESULTS);
        }
        disks.put(id, io);
        storages.put(id, storage);
        nodes.put(id, node);
        return node;
    }

    CrashableFileIo disk(String id) {
        return disks.get(id);
    }

    /** The storage the node {@code id} was last started with (one per node, shared by all its groups). */
    DurableStorageProvider storage(String id) {
        return storages.get(id);
    }

    boolean isUp(String id) {
        return nodes.containsKey(id);
    }

    /** The member of {@code group} on node {@code id}, or null if the node is down. */
    RaftGroup<String, Integer> group(String id, String group) {
        RaftNode n = nodes.get(id);
        return n == null ? null : n.requireGroup(group);
    }

    boolean running(String id, String group) {
        RaftGroup<String, Integer> g = group(id, group);
        return g != null && g.isRunning();
    }

    /** Node ids whose member of {@code group} runs. */
    List<String> runningIds(String group) {
        List<String> out = new ArrayList<>();
        for (String id : IDS) {
            if (running(id, group)) {
                out.add(id);
            }
        }
        return out;
    }

    /**
     * Closes node {@code id} on another thread and forgets it (its data directory stays); fails if the close takes
     * longer than {@code limit}: a node whose disk died must still shut down.
     */
    void closeNode(String id, Duration limit) {
        RaftNode node = nodes.remove(id);
        if (node == null) {
            return;
        }
        CompletableFuture<Void> closing = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                node.close();
                closing.complete(null);
            } catch (Throwable e) {
                closing.completeExceptionally(e);
            }
        }, "test-close-" + id);
        t.setDaemon(true);
        t.start();
        try {
            closing.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("closing node " + id + " hung for more than " + limit + "; closer thread: "
                    + List.of(t.getStackTrace()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("closing node " + id + " threw", e.getCause());
        }
    }

    /** The leader of {@code group} if exactly one running member leads and every other running member follows it. */
    Optional<String> stableLeader(String group) {
        List<String> leaders = new ArrayList<>();
        List<GroupMetrics> all = new ArrayList<>();
        for (String id : runningIds(group)) {
            RaftGroup<String, Integer> g = group(id, group);
            if (g == null) {
                continue;
            }
            GroupMetrics m = g.metrics();
            all.add(m);
            if (m.role() == Role.LEADER) {
                leaders.add(id);
            }
        }
        if (leaders.size() != 1) {
            return Optional.empty();
        }
        for (GroupMetrics m : all) {
            if (!m.leaderId().equals(Optional.of(leaders.get(0)))) {
                return Optional.empty();
            }
        }
        return Optional.of(leaders.get(0));
    }

    String awaitLeader(String group) {
        return await().atMost(Duration.ofSeconds(15)).until(() -> stableLeader(group), Optional::isPresent).get();
    }

    /** The member of {@code group} on {@code id} as seen from its own thread. */
    GroupStatus status(String id, String group) {
        return group(id, group).status();
    }

    /** What the member of {@code group} on {@code id} has applied, read on its group thread. */
    List<String> applied(String id, String group) {
        return group(id, group).query(ListMachine.class, ListMachine::applied, ReadConsistency.LOCAL)
                .orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** Test teardown: stops the writers (ignoring what they found) and closes the cluster, if there is one. */
    static void tearDown(Iterable<Writer> writers, CrashCluster cluster) {
        for (Writer w : writers) {
            try {
                w.stop();
            } catch (AssertionError ignored) {
                // teardown
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    public void close() {
        for (String id : new ArrayList<>(nodes.keySet())) {
            try {
                closeNode(id, Duration.ofSeconds(30));
            } catch (AssertionError e) {
                // teardown: keep closing the others
            }
        }
    }

    /**
     * Waits until every member of {@code group} has applied the same list (and at least every acknowledged result),
     * then checks it against what the writers were told:
     * <ul>
     *   <li>no command applied twice, and nothing applied that no writer of this group issued (nothing corrupt, no
     *       command of another group);</li>
     *   <li>every acknowledged command sits exactly at the position its result named (ListMachine answers with its
     *       size), so it is applied once, in the same order, everywhere;</li>
     *   <li>real-time order: a command acknowledged before a writer sent its next window precedes that window.</li>
     * </ul>
     * Returns the agreed list.
     */
    List<String> verify(String group, List<Writer> writers, String context) {
        return verify(group, writers, context, List.of());
    }

    /** As {@link #verify(String, List, String)}, where {@code alsoIssued} were sent to the group by the test itself. */
    List<String> verify(String group, List<Writer> writers, String context, Collection<String> alsoIssued) {
        int maxResult = 0;
        for (Writer w : writers) {
            for (Writer.Ack a : w.acks()) {
                maxResult = Math.max(maxResult, a.result());
            }
        }
        int atLeast = maxResult;
        Map<String, List<String>> lists = new HashMap<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            lists.clear();
            for (String id : IDS) {
                lists.put(id, applied(id, group));
            }
            List<String> first = lists.get(IDS.get(0));
            return first.size() >= atLeast && lists.values().stream().allMatch(first::equals);
        });
        List<String> agreed = lists.get(IDS.get(0));

        Set<String> issued = new HashSet<>(alsoIssued);
        for (Writer w : writers) {
            issued.addAll(w.issued);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < agreed.size(); i++) {
            String c = agreed.get(i);
            assertThat(seen.add(c)).as("%s, group %s: '%s' applied twice (again at position %d)", context, group,
                    c, i + 1).isTrue();
            assertThat(issued).as("%s, group %s: applied '%s' at position %d was never issued to this group",
                    context, group, c, i + 1).contains(c);
        }
        int acked = 0;
        for (Writer w : writers) {
            int previousWindowMax = 0;
            for (List<Writer.Ack> window : w.windows()) {
                int min = Integer.MAX_VALUE;
                int max = 0;
                for (Writer.Ack a : window) {
                    acked++;
                    assertThat(a.result()).as("%s, group %s: acknowledged %s (via %s) lost", context, group,
                            a.command(), a.node()).isLessThanOrEqualTo(agreed.size());
                    assertThat(agreed.get(a.result() - 1)).as("%s, group %s: position %d, acknowledged to %s via %s",
                            context, group, a.result(), a.command(), a.node()).isEqualTo(a.command());
                    min = Math.min(min, a.result());
                    max = Math.max(max, a.result());
                }
                if (!window.isEmpty()) {
                    assertThat(min).as("%s, group %s: writer %s: a window applied before an earlier acknowledged one",
                            context, group, w.name).isGreaterThan(previousWindowMax);
                    previousWindowMax = Math.max(previousWindowMax, max);
                }
            }
        }
        assertThat(acked).as("%s, group %s: nothing was acknowledged", context, group).isPositive();
        return agreed;
    }

    /**
     * A client writing continuously to one group: windows of {@link #WINDOW} concurrent commands, each window to one
     * node chosen by {@link Via} among those up, then waits for all of them. Records what was acknowledged with which
     * result; a command that failed (node stopped, timeout, no leader) has an unknown outcome and may or may not be
     * applied, but never twice. Any other failure is recorded as unexpected.
     */
    static final class Writer {

        static final int WINDOW = 4;

        enum Via { LEADER, FOLLOWER, ANY }

        record Ack(String command, int result, String node) {
        }

        final String name;
        final Set<String> issued = ConcurrentHashMap.newKeySet();
        private final CrashCluster cluster;
        private final String group;
        private final Via via;
        private final List<List<Ack>> windows = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger acked = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final List<Throwable> unexpected = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;
        private volatile boolean stop;

        Writer(CrashCluster cluster, String group, String name, Via via) {
            this.cluster = cluster;
            this.group = group;
            this.name = name;
            this.via = via;
            this.thread = new Thread(this::run, "test-writer-" + name);
            thread.setDaemon(true);
        }

        Writer start() {
            thread.start();
            return this;
        }

        int acked() {
            return acked.get();
        }

        int failed() {
            return failed.get();
        }

        List<Ack> acks() {
            List<Ack> all = new ArrayList<>();
            for (List<Ack> w : windows()) {
                all.addAll(w);
            }
            return all;
        }

        List<List<Ack>> windows() {
            synchronized (windows) {
                return List.copyOf(windows);
            }
        }

        List<Throwable> unexpected() {
            synchronized (unexpected) {
                return List.copyOf(unexpected);
            }
        }

        /** Stops after the current window and waits for it. */
        void stop() {
            stop = true;
            try {
                thread.join(cluster.commandTimeout.toMillis() + 15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(thread.isAlive()).as("writer %s did not stop", name).isFalse();
        }

        private String pick() {
            List<String> running = cluster.runningIds(group);
            if (running.isEmpty()) {
                return null;
            }
            List<String> preferred = new ArrayList<>();
            for (String id : running) {
                RaftGroup<String, Integer> g = cluster.group(id, group);
                if (g == null) {
                    continue;
                }
                boolean leads = g.metrics().role() == Role.LEADER;
                if (via == Via.ANY || (via == Via.LEADER) == leads) {
                    preferred.add(id);
                }
            }
            List<String> from = preferred.isEmpty() ? running : preferred;
            return from.get(ThreadLocalRandom.current().nextInt(from.size()));
        }

        private void run() {
            long seq = 0;
            while (!stop) {
                String target = pick();
                RaftGroup<String, Integer> g = target == null ? null : cluster.group(target, group);
                if (g == null) {
                    pause();
                    continue;
                }
                List<String> commands = new ArrayList<>();
                List<CompletableFuture<Integer>> futures = new ArrayList<>();
                for (int i = 0; i < WINDOW; i++) {
                    String c = name + "-" + (++seq);
                    issued.add(c);
                    commands.add(c);
                    CompletableFuture<Integer> f;
                    try {
                        f = g.command(c);
                    } catch (RuntimeException e) {
                        f = CompletableFuture.failedFuture(e);
                    }
                    futures.add(f);
                }
                List<Ack> window = new ArrayList<>();
                for (int i = 0; i < WINDOW; i++) {
                    try {
                        Integer r = futures.get(i).get(cluster.commandTimeout.toMillis() + 10_000,
                                TimeUnit.MILLISECONDS);
                        window.add(new Ack(commands.get(i), r, target));
                    } catch (ExecutionException e) {
                        failed.incrementAndGet();
                        Throwable cause = e.getCause();
                        if (!(cause instanceof GroupStoppedException || cause instanceof CommandOutcomeUnknownException
                                || cause instanceof NoLeaderException)) {
                            unexpected.add(cause);
                        }
                    } catch (TimeoutException e) {
                        failed.incrementAndGet();
                        unexpected.add(new AssertionError("command " + commands.get(i) + " via " + target
                                + " neither completed nor timed out within the command timeout + 10 s"));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                windows.add(window);
                acked.addAndGet(window.size());
                if (window.isEmpty()) {
                    pause();
                }
            }
        }

        /** Load-generator pacing after a failed window (not a wait for a condition). */
        private static void pause() {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
