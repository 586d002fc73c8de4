package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.GroupMetrics;
import io.raftex.core.Member;
import io.raftex.core.RaftGroup;
import io.raftex.core.RaftNode;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.transport.InMemoryNetwork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.awaitility.Awaitility.await;

/** Real nodes in one JVM over an {@link InMemoryNetwork}, one group "g" of {@link ListMachine}s. */
final class TestCluster implements AutoCloseable {

    static final String GROUP = "g";
    static final Duration TICK = Duration.ofMillis(10);

    final InMemoryNetwork network = new InMemoryNetwork();
    final ClusterConfig config;
    private final Map<String, StorageProvider> disks = new LinkedHashMap<>();
    private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
    private final Duration commandTimeout;
    private final Function<String, StorageProvider> storageFactory;

    /** In-memory storage that outlives each node, so a restarted node finds its log. */
    TestCluster(int size) {
        this(size, Duration.ofSeconds(10), new InMemoryDisks());
    }

    /** One {@link InMemoryStorageProvider} per node id, kept across restarts. */
    static final class InMemoryDisks implements Function<String, StorageProvider> {
        private final Map<String, StorageProvider> disks = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public StorageProvider apply(String id) {
            return disks.computeIfAbsent(id, x -> new InMemoryStorageProvider());
        }
    }

    TestCluster(int size, Duration commandTimeout, Function<String, StorageProvider> storageFactory) {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            members.add(Member.voter("n" + i, "mem://n" + i));
        }
        this.config = ClusterConfig.ofVoters(members);
        this.commandTimeout = commandTimeout;
        this.storageFactory = storageFactory;
    }

    /** Starts every node. */
    TestCluster startAll() {
        for (Member m : config.members()) {
            start(m.id().value());
        }
        return this;
    }

    /** Starts (or restarts) a node over the storage the factory gives for it. */
    RaftNode start(String id) {
        StorageProvider disk = storageFactory.apply(id);
        disks.put(id, disk);
        RaftNode node = RaftNode.builder()
                .nodeId(id)
                .transport(network.transport(id))
                .storage(disk)
                .tickInterval(TICK)
                .electionTimeout(TICK.multipliedBy(10))
                .commandTimeout(commandTimeout)
                .build();
        node.start();
        node.startGroup(GROUP, config, new ListMachine(), ListMachine.COMMANDS, ListMachine.RESULTS);
        nodes.put(id, node);
        return node;
    }

    /** Closes a node (its storage is kept for a restart). */
    void stop(String id) {
        RaftNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
    }

    RaftNode node(String id) {
        return nodes.get(id);
    }

    StorageProvider disk(String id) {
        return disks.get(id);
    }

    RaftGroup<String, Integer> group(String id) {
        return nodes.get(id).requireGroup(GROUP);
    }

    List<String> runningIds() {
        List<String> ids = new ArrayList<>();
        nodes.forEach((id, n) -> {
            if (n.group(GROUP).map(RaftGroup::isRunning).orElse(false)) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** Waits until one running member leads and every other running member follows it; returns its id. */
    String awaitLeader() {
        return await().atMost(10, TimeUnit.SECONDS).until(this::stableLeader, Optional::isPresent).get();
    }

    private Optional<String> stableLeader() {
        List<String> leaders = new ArrayList<>();
        List<GroupMetrics> all = new ArrayList<>();
        for (String id : runningIds()) {
            GroupMetrics m = group(id).metrics();
            all.add(m);
            if (m.role() == Role.LEADER) {
                leaders.add(id);
            }
        }
        if (leaders.size() != 1) {
            return Optional.empty();
        }
        String leader = leaders.get(0);
        for (GroupMetrics m : all) {
            if (!m.leaderId().equals(Optional.of(leader))) {
                return Optional.empty();
            }
        }
        return Optional.of(leader);
    }

    /** Some running member other than {@code leader}. */
    String follower(String leader) {
        return runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    /** What the member on {@code id} has applied, read on its group thread. */
    List<String> applied(String id) {
        return group(id).query(ListMachine.class, ListMachine::applied, ReadConsistency.LOCAL)
                .orTimeout(5, TimeUnit.SECONDS).join();
    }

    @Override
    public void close() {
        for (RaftNode node : nodes.values()) {
            node.close();
        }
        nodes.clear();
    }
}
