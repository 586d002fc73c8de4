package io.raftex.core.runtime;

import io.raftex.core.GroupStatus;
import io.raftex.core.RaftNode;
import io.raftex.core.ReadConsistency;
import io.raftex.core.log.StorageOptions;
import io.raftex.core.log.SyncMode;
import io.raftex.core.transport.InMemoryNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Three real nodes over the in-memory transport, each with durable storage (WAL + MapDB) in its own directory. */
class DurableRaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private TestCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private StorageProvider durable(String id) {
        return DurableStorageProvider.open(dir.resolve(id),
                StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withSegmentCommit(64, 5));
    }

    private static <T> T join(CompletableFuture<T> f) {
        return f.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    @Test
    void aStoppedNodeReopensItsDataDirectoryAndCatchesUp() {
        cluster = new TestCluster(3, Duration.ofSeconds(10), this::durable).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        for (int i = 0; i < 20; i++) {
            join(cluster.group(i % 2 == 0 ? leader : follower).command("a" + i));
        }
        await().atMost(WAIT).until(() -> cluster.applied(follower).size() == 20);
        cluster.stop(follower);
        for (int i = 0; i < 20; i++) {
            join(cluster.group(leader).command("b" + i));
        }

        cluster.start(follower);
        GroupStatus recovered = cluster.group(follower).status();
        assertThat(recovered.lastLogIndex()).as("log recovered from disk").isGreaterThanOrEqualTo(21);
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(cluster.applied(follower)).hasSize(40).containsExactlyElementsOf(cluster.applied(leader)));
    }

    @Test
    void closingEveryNodeReleasesTheDirectoriesAndTheClusterRestartsFromThem() {
        cluster = new TestCluster(3, Duration.ofSeconds(10), this::durable).startAll();
        String leader = cluster.awaitLeader();
        for (int i = 0; i < 30; i++) {
            join(cluster.group(cluster.follower(leader)).command("c" + i));
        }
        List<String> before = join(cluster.group(leader).query(ListMachine.class, ListMachine::applied,
                ReadConsistency.LINEARIZABLE));
        assertThat(before).hasSize(30);
        cluster.close();

        // the same directories open again in this JVM: every file and lock was released
        cluster = new TestCluster(3, Duration.ofSeconds(10), this::durable).startAll();
        String next = cluster.awaitLeader();
        String follower = cluster.follower(next);
        assertThat(join(cluster.group(follower).query(ListMachine.class, ListMachine::applied,
                ReadConsistency.LINEARIZABLE))).containsExactlyElementsOf(before);
        assertThat(join(cluster.group(follower).command("after-restart"))).isEqualTo(31);
        for (String id : cluster.runningIds()) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.applied(id)).hasSize(31));
        }
    }

    @Test
    void aNodeOnDurableStorageInItsDataDirectoryKeepsItsLogAcrossRuns() {
        InMemoryNetwork network = new InMemoryNetwork();
        Path data = dir.resolve("solo");
        for (int run = 1; run <= 2; run++) {
            try (RaftNode node = RaftNode.builder().nodeId("solo")
                    .storage(DurableStorageProvider.open(data, StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC),
                            Optional.of("solo")))
                    .transport(network.transport("solo")).tickInterval(TestCluster.TICK)
                    .electionTimeout(TestCluster.TICK.multipliedBy(10)).build()) {
                node.start();
                var g = node.startGroup("g", io.raftex.core.ClusterConfig.ofVoters(
                                List.of(io.raftex.core.Member.voter("solo", "mem://solo"))), new ListMachine(),
                        ListMachine.COMMANDS, ListMachine.RESULTS);
                // a single voter elects itself; on the second run the first run's command is replayed first
                assertThat(join(g.command("run" + run))).isEqualTo(run);
            }
        }
    }
}
