package io.raftex.demo;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.core.GroupStatus;
import io.raftex.core.RaftNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes of a two-member cluster, each a demo application on its own port. While both run, either node serves
 * every request (the follower forwards writes). Once the follower's group is gone, the leader cannot commit: a
 * write it accepted answers 504 (it may still be applied, should the follower come back), a linearizable read
 * answers 504, and neither ever answers 200.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaderLostQuorumTest {

    private static final List<ConfigurableApplicationContext> nodes = new ArrayList<>();
    private static final int[] ports = new int[2];
    private static final String LOGGING_SYSTEM = "org.springframework.boot.logging.LoggingSystem";

    @BeforeAll
    static void startTwoNodes() {
        ports[0] = TestData.freePort();
        ports[1] = TestData.freePort();
        String members = "n1=http://127.0.0.1:" + ports[0] + ",n2=http://127.0.0.1:" + ports[1];
        List<CompletableFuture<ConfigurableApplicationContext>> starting = new ArrayList<>();
        // two applications in one JVM: keep the test's logging configuration rather than set it up twice at once
        System.setProperty(LOGGING_SYSTEM, "none");
        for (int i = 0; i < 2; i++) {
            String[] properties = {
                    "--server.port=" + ports[i],
                    "--server.address=127.0.0.1",
                    "--raft.node-id=n" + (i + 1),
                    "--raft.members=" + members,
                    "--raft.data-dir=" + TestData.dataDir("quorum-n" + (i + 1)),
                    "--raft.heartbeat-interval=100ms",
                    // the leader steps down one to two election timeouts after it last heard from a quorum: long
                    // enough for the requests below to reach it while it still leads (once taken, they time out
                    // whether or not it steps down meanwhile)
                    "--raft.election-timeout=2s",
                    "--raft.command-timeout=1500ms",
                    "--raft.rpc.timeout=300ms",
                    "--raft.storage.sync=none",
                    "--raft.security.cluster-token=test-cluster-token",
                    "--spring.main.banner-mode=off",
                    "--spring.jmx.enabled=false"};
            // as arguments, so that they override application.properties as a user's would
            starting.add(CompletableFuture.supplyAsync(() -> new SpringApplicationBuilder(KvApplication.class)
                    .run(properties)));
        }
        try {
            starting.forEach(s -> nodes.add(s.join()));
        } finally {
            System.clearProperty(LOGGING_SYSTEM);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> leader().isPresent()
                && nodes.stream().allMatch(n -> status(n).leaderId().isPresent()));
    }

    @AfterAll
    static void stopNodes() {
        nodes.forEach(ConfigurableApplicationContext::close);
    }

    private static GroupStatus status(ConfigurableApplicationContext node) {
        return node.getBean(RaftClient.class).status(KvApplication.GROUP);
    }

    private static Optional<Integer> leader() {
        for (int i = 0; i < nodes.size(); i++) {
            if (status(nodes.get(i)).isLeader()) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    @Test
    @Order(1)
    void eitherNodeServesWritesAndReads() {
        int leader = leader().orElseThrow();
        Http toLeader = new Http(ports[leader]);
        Http toFollower = new Http(ports[1 - leader]);

        Http.Response put = toFollower.put("shared", Http.value("from the follower"));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);

        Http.Response onLeader = toLeader.get("shared");
        assertThat(onLeader.status()).as(onLeader.toString()).isEqualTo(200);
        assertThat(onLeader.text("value")).isEqualTo("from the follower");
        assertThat(onLeader.number("index")).isEqualTo(put.number("index"));
        Http.Response onFollower = toFollower.get("shared", "linearizable");
        assertThat(onFollower.text("value")).isEqualTo("from the follower");

        Http.Response cas = toLeader.cas("shared", "{\"expected\":\"from the follower\",\"value\":\"swapped\"}");
        assertThat(cas.json().get("succeeded").asBoolean()).isTrue();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(toFollower.get("shared", "local").text("value")).isEqualTo("swapped"));
    }

    @Test
    @Order(2)
    void aLeaderThatLostItsQuorumAnswers504AndNever200() {
        int leader = leader().orElseThrow();
        Http toLeader = new Http(ports[leader]);
        nodes.get(1 - leader).getBean(RaftNode.class).stopGroup(KvApplication.GROUP);

        CompletableFuture<Http.Response> put = toLeader.sendAsync("PUT", "/kv/lost", Http.value("v"),
                "application/json");
        CompletableFuture<Http.Response> read = toLeader.sendAsync("GET", "/kv/shared", null, null);

        Http.Response write = put.join();
        assertThat(write.status()).as(write.toString()).isEqualTo(504);
        assertThat(write.isProblem()).isTrue();
        assertThat(write.text("detail")).contains("may still be applied");
        Http.Response linearizable = read.join();
        assertThat(linearizable.status()).as(linearizable.toString()).isEqualTo(504);
        assertThat(linearizable.isProblem()).isTrue();
        // the write was not committed, so it is not applied, even on the leader that appended it
        assertThat(toLeader.get("lost", "local").status()).isEqualTo(404);
    }
}
