package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.RaftGroup;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A group on a running node with durable storage is stopped ({@link RaftNode#stopGroup}) and started again
 * ({@link RaftNode#startGroup}) under the same name: it recovers its log from the node's storage and carries on.
 */
class DurableGroupRestartTest {

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

    private static StorageOptions options() {
        return StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withSegmentCommit(64, 5);
    }

    private static <T> T join(CompletableFuture<T> f) {
        return f.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    @Test
    void aSingleVoterGroupStopsAndStartsAgainOnTheSameNode() {
        InMemoryNetwork network = new InMemoryNetwork();
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.voter("solo", "mem://solo")));
        try (RaftNode node = RaftNode.builder().nodeId("solo").storage(DurableStorageProvider.open(dir, options()))
                .transport(network.transport("solo")).tickInterval(TestCluster.TICK)
                .electionTimeout(TestCluster.TICK.multipliedBy(10)).build()) {
            node.start();
            List<String> expected = new ArrayList<>();
            for (int run = 1; run <= 3; run++) {
                RaftGroup<String, Integer> g = node.startGroup("g", config, new ListMachine(), ListMachine.COMMANDS,
                        ListMachine.RESULTS);
                for (int i = 0; i < 10; i++) {
                    String command = "run" + run + "-" + i;
                    expected.add(command);
                    // every earlier run's commands were replayed into the fresh state machine first
                    assertThat(join(g.command(command))).isEqualTo(expected.size());
                }
                assertThat(join(g.query(ListMachine.class, ListMachine::applied, ReadConsistency.LINEARIZABLE)))
                        .containsExactlyElementsOf(expected);
                assertThat(node.stopGroup("g")).isTrue();
                assertThat(g.isRunning()).isFalse();
            }
        }
    }

    @Test
    void aFollowersGroupRestartsThroughStopGroupAndStartGroupAndCatchesUp() {
        cluster = new TestCluster(3, Duration.ofSeconds(10), id -> DurableStorageProvider.open(dir.resolve(id),
                options())).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        for (int i = 0; i < 20; i++) {
            join(cluster.group(leader).command("a" + i));
        }
        await().atMost(WAIT).until(() -> cluster.applied(follower).size() == 20);
        long lastIndexBefore = cluster.group(follower).status().lastLogIndex();

        RaftNode node = cluster.node(follower);
        assertThat(node.stopGroup(TestCluster.GROUP)).isTrue();
        for (int i = 0; i < 10; i++) {
            join(cluster.group(leader).command("b" + i));
        }
        node.startGroup(TestCluster.GROUP, cluster.config, new ListMachine(), ListMachine.COMMANDS,
                ListMachine.RESULTS);
        assertThat(cluster.group(follower).status().lastLogIndex()).as("log recovered from the node's storage")
                .isGreaterThanOrEqualTo(lastIndexBefore);
        await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.applied(follower)).hasSize(30)
                .containsExactlyElementsOf(cluster.applied(leader)));
        assertThat(join(cluster.group(follower).command("after-restart"))).isEqualTo(31);
    }
}
