package io.raftex.autoconfigure;

import io.raftex.autoconfigure.actuate.Http;
import io.raftex.autoconfigure.actuate.RaftLeaderChangedEvent;
import io.raftex.autoconfigure.actuate.RaftRoleChangedEvent;
import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.ReadConsistency;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three Spring Boot applications on random ports in this JVM form one cluster over HTTP. One cluster serves every
 * test, in order: the later tests stop and restart nodes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long SNAPSHOT_INTERVAL = 2_000;
    private static final String ADMIN_TOKEN = "admin-secret-token";
    private static final List<String> STATUS_FIELDS = List.of("group", "nodeId", "role", "term", "leaderId",
            "commitIndex", "lastApplied", "lastLogIndex", "snapshotIndex", "members", "incarnation", "incarnationBound",
            "catchingUp", "snapshotInstall", "removal");
    private static final List<String> MEMBER_FIELDS = List.of("id", "url", "membership", "matchIndex", "nextIndex",
            "incarnation");
    private static final List<TestNode> nodes = new ArrayList<>();
    /** Value of counter "c" every node must converge to. */
    private static final AtomicLong expected = new AtomicLong();

    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void startCluster() {
        for (int i = 1; i <= 3; i++) {
            nodes.add(new TestNode("n" + i, TestNode.freePort(), dataRoot.resolve("n" + i)));
        }
        String members = TestNode.members(nodes);
        for (TestNode n : nodes) {
            n.with("raft.members", members)
                    .with("raft.security.admin-token", ADMIN_TOKEN)
                    .with("management.endpoints.web.exposure.include", "health,raft,prometheus")
                    .with("management.endpoint.health.show-details", "always")
                    .with("management.endpoint.health.group.readiness.include", "readinessState,raft")
                    .with("raft.snapshot.interval-entries", Long.toString(SNAPSHOT_INTERVAL))
                    .with("raft.snapshot.chunk-size", "16KB");
        }
        TestNode.startAll(nodes);
        leader();
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(TestNode::stop);
    }

    private static TestNode leader() {
        return TestNode.awaitLeader(nodes, WAIT);
    }

    private static TestNode follower() {
        TestNode leader = leader();
        return nodes.stream().filter(n -> n != leader && n.running()).findFirst().orElseThrow();
    }

    private static long add(TestNode via, long delta) throws Exception {
        Long value = via.client().<CounterCommand, Long>command("counter", new CounterCommand("c", delta))
                .get(20, TimeUnit.SECONDS);
        expected.set(value);
        return value;
    }

    private static long read(TestNode on, ReadConsistency consistency) throws Exception {
        return on.client().query("counter", CounterStateMachine.class, sm -> sm.get("c"), consistency)
                .get(20, TimeUnit.SECONDS);
    }

    private static void awaitConverged(TestNode n) {
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(read(n, ReadConsistency.LOCAL)).as(n.id()).isEqualTo(expected.get()));
    }

    @Test
    @Order(1)
    void commandsSentToAFollowerCommitOnEveryNode() throws Exception {
        TestNode follower = follower();
        long before = read(follower, ReadConsistency.LINEARIZABLE);
        for (int i = 1; i <= 20; i++) {
            assertThat(add(follower, 1)).isEqualTo(before + i);
        }
        nodes.forEach(RaftClusterTest::awaitConverged);
        assertThat(follower.status().isLeader()).isFalse();
    }

    @Test
    @Order(2)
    void linearizableReadsOnAFollowerSeeEveryAcknowledgedWrite() throws Exception {
        TestNode follower = follower();
        TestNode writerNode = leader();
        // sequential: write, then read on the follower at once
        for (int i = 0; i < 20; i++) {
            long acknowledged = add(i % 2 == 0 ? writerNode : follower, 1);
            assertThat(read(follower, ReadConsistency.LINEARIZABLE)).isGreaterThanOrEqualTo(acknowledged);
            assertThat(read(follower, ReadConsistency.LEADER)).isGreaterThanOrEqualTo(0);
        }
        // concurrent: a writer keeps writing; each read sees at least what was acknowledged before it started
        AtomicLong acknowledged = new AtomicLong(expected.get());
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    long v = add(writerNode, 1);
                    acknowledged.accumulateAndGet(v, Math::max);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            for (int i = 0; i < 40; i++) {
                long floor = acknowledged.get();
                assertThat(read(follower, ReadConsistency.LINEARIZABLE)).isGreaterThanOrEqualTo(floor);
            }
        } finally {
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
        }
        nodes.forEach(RaftClusterTest::awaitConverged);
    }

    @Test
    @Order(3)
    void healthEndpointAndAdminApiReportTheGroup() throws Exception {
        TestNode leader = leader();
        TestNode follower = follower();

        Http.Answer health = Http.get(follower.url() + "/actuator/health");
        assertThat(health.status()).isEqualTo(200);
        JsonNode counter = health.json().path("components").path("raft").path("components").path("counter");
        assertThat(counter.path("status").asString()).isEqualTo("UP");
        JsonNode details = counter.path("details");
        assertThat(details.path("role").asString()).isEqualTo("follower");
        assertThat(details.path("leader").asString()).isEqualTo(leader.id());
        for (String key : List.of("term", "commitIndex", "lastApplied", "lag")) {
            assertThat(details.has(key)).as(key).isTrue();
        }
        Http.Answer readiness = Http.get(follower.url() + "/actuator/health/readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.json().path("components").has("raft")).isTrue();
        assertThat(Http.get(follower.url() + "/actuator/health/liveness").json().path("components").has("raft"))
                .isFalse();

        Http.Answer actuator = Http.get(follower.url() + "/actuator/raft");
        assertThat(actuator.status()).isEqualTo(200);
        assertThat(actuator.json().isArray()).isTrue();
        assertStatus(actuator.json().get(0), follower, "follower", leader.id());
        assertStatus(Http.get(leader.url() + "/actuator/raft/counter").json(), leader, "leader", leader.id());
        assertThat(Http.get(leader.url() + "/actuator/raft/nope").status()).isEqualTo(404);

        Http.Answer groups = Http.get(follower.url() + "/raft/admin/groups");
        assertThat(groups.status()).isEqualTo(200);
        assertThat(groups.json().size()).isEqualTo(1);
        assertStatus(groups.json().get(0), follower, "follower", leader.id());
        Http.Answer one = Http.get(leader.url() + "/raft/admin/groups/counter");
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.contentType()).startsWith("application/json");
        assertStatus(one.json(), leader, "leader", leader.id());
        assertProblem(Http.get(leader.url() + "/raft/admin/groups/nope"), 404);

        String base = follower.url() + "/raft/admin/groups/counter";
        assertProblem(Http.post(base + "/snapshot", "", null), 401);
        assertProblem(Http.post(base + "/snapshot", "", "wrong"), 403);
        Http.Answer snapshot = Http.post(base + "/snapshot", "", ADMIN_TOKEN);
        assertThat(snapshot.status()).as(snapshot.body()).isEqualTo(200);
        assertThat(snapshot.json().path("group").asString()).isEqualTo("counter");
        assertThat(snapshot.json().path("nodeId").asString()).isEqualTo(follower.id());
        long snapshotIndex = snapshot.json().path("snapshotIndex").asLong();
        assertThat(snapshotIndex).as("covers what was applied").isPositive();
        assertThat(snapshot.json().path("snapshotTerm").asLong()).isPositive();
        assertThat(Http.get(base).json().path("snapshotIndex").asLong()).as("status shows it")
                .isGreaterThanOrEqualTo(snapshotIndex);
        // membership changes: checked before anything is asked of the group, refused by the configuration
        String n4 = "{\"id\":\"n4\",\"url\":\"http://127.0.0.1:1\",\"membership\":\"non-voter\"}";
        assertProblem(Http.post(base + "/members", n4, null), 401);
        assertProblem(Http.post(base + "/members", n4, "wrong"), 403);
        assertProblem(Http.delete(base + "/members/n3", null), 401);
        assertProblem(Http.delete(base + "/members/n3", "wrong"), 403);
        Http.Answer badMembership = Http.post(base + "/members", "{\"id\":\"n4\",\"url\":\"http://127.0.0.1:1\","
                + "\"membership\":\"observer\"}", ADMIN_TOKEN);
        assertProblem(badMembership, 400);
        assertThat(badMembership.json().path("detail").asString()).contains("voter", "promotable", "non-voter");
        assertProblem(Http.post(base + "/members", "{\"id\":\"n4\"}", ADMIN_TOKEN), 400);
        assertProblem(Http.delete(base + "/members/n9", ADMIN_TOKEN), 404);
        assertProblem(Http.post(follower.url() + "/raft/admin/groups/nope/members", n4, ADMIN_TOKEN), 404);
        // n3 is a member at another url: a conflict, sent to a follower, which forwards it to the leader
        assertProblem(Http.post(base + "/members", "{\"id\":\"" + leader.id() + "\",\"url\":\"http://127.0.0.1:1\"}",
                ADMIN_TOKEN), 409);
        JsonNode unchanged = Http.get(base).json().path("members");
        assertThat(unchanged.size()).isEqualTo(3);
        unchanged.forEach(m -> assertThat(m.path("membership").asString()).isEqualTo("voter"));
        assertProblem(Http.post(follower.url() + "/raft/admin/groups/nope/snapshot", "", ADMIN_TOKEN), 404);
        assertProblem(Http.post(base + "/transfer-leadership", "{\"target\":\"" + follower.id() + "\"}", null),
                401);
        // only the leader can hand over
        assertProblem(Http.post(base + "/transfer-leadership", "{\"target\":\"" + follower.id() + "\"}",
                ADMIN_TOKEN), 409);
        assertProblem(Http.post(leader.url() + "/raft/admin/groups/counter/transfer-leadership", "{}", ADMIN_TOKEN),
                400);
        Http.Answer transferred = Http.post(leader.url() + "/raft/admin/groups/counter/transfer-leadership",
                "{\"target\":\"" + follower.id() + "\"}", ADMIN_TOKEN);
        assertThat(transferred.status()).as(transferred.body()).isEqualTo(200);
        assertThat(transferred.json().path("leaderId").asString()).isEqualTo(follower.id());
        assertThat(leader()).isSameAs(follower);
    }

    @Test
    @Order(4)
    void metricsAreScrapedAndMove() throws Exception {
        TestNode follower = follower();
        for (TestNode n : nodes) {
            String scrape = Http.get(n.url() + "/actuator/prometheus").body();
            for (String name : List.of("raft_term", "raft_commit_index", "raft_applied_index", "raft_log_last_index",
                    "raft_snapshot_index", "raft_leader", "raft_role", "raft_elections_total",
                    "raft_leader_changes_total", "raft_commands_total", "raft_command_latency_seconds_count")) {
                assertThat(Http.sample(scrape, name, "counter")).as(n + " " + name).isNotNaN();
            }
            assertThat(Http.sample(scrape, "raft_storage_commit_seconds_count", null)).as(n.id()).isPositive();
            assertThat(scrape).contains("raft_rpc_seconds_count{");
            // peers talk over streams (raft.rpc.stream=true by default), not one POST per batch
            assertThat(scrape).as(n.id()).contains("type=\"stream\"").contains("type=\"stream-open\"")
                    .doesNotContain("type=\"batch\"");
        }
        await().atMost(WAIT).until(() -> nodes.stream().mapToDouble(n ->
                Http.sample(Http.get(n.url() + "/actuator/prometheus").body(), "raft_leader", "counter")).sum() == 1);

        Map<TestNode, Double> commitBefore = new ConcurrentHashMap<>();
        for (TestNode n : nodes) {
            commitBefore.put(n, scrape(n, "raft_commit_index"));
        }
        double commandsBefore = scrape(follower, "raft_commands_total", "outcome=\"success\"");
        double latencyBefore = scrape(follower, "raft_command_latency_seconds_count");
        for (int i = 0; i < 5; i++) {
            add(follower, 1);
        }
        assertThat(scrape(follower, "raft_commands_total", "outcome=\"success\"")).isEqualTo(commandsBefore + 5);
        assertThat(scrape(follower, "raft_command_latency_seconds_count")).isEqualTo(latencyBefore + 5);
        for (TestNode n : nodes) {
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(scrape(n, "raft_commit_index")).as(n.id()).isGreaterThanOrEqualTo(commitBefore.get(n) + 5);
                assertThat(scrape(n, "raft_applied_index")).as(n.id()).isGreaterThanOrEqualTo(commitBefore.get(n) + 5);
            });
        }
        // the leader shows each follower's lag, once they hold its log none; followers show none
        TestNode leader = leader();
        await().atMost(WAIT).untilAsserted(() -> {
            for (TestNode n : nodes) {
                if (n != leader) {
                    assertThat(scrape(leader, "raft_follower_lag", "peer=\"" + n.id() + "\"")).as(n.id()).isZero();
                }
            }
        });
        for (TestNode n : nodes) {
            assertThat(Http.get(n.url() + "/raft/admin/groups/counter").status()).isEqualTo(200);
            assertThat(Http.get(n.url() + "/actuator/health").status()).isEqualTo(200);
        }
        for (TestNode n : nodes) {
            String scrape = Http.get(n.url() + "/actuator/prometheus").body();
            assertThat(Http.sample(scrape, "raft_member_role", "counter", "role=\"leader\""))
                    .isEqualTo(n == leader ? 1 : 0);
            assertThat(Http.sample(scrape, "raft_member_role", "counter", "role=\"follower\""))
                    .isEqualTo(n == leader ? 0 : 1);
            if (n != leader) {
                assertThat(scrape).as(n.id()).doesNotContain("raft_follower_lag{");
            }
            // peer messages, streams and the admin API stay out of http.server.requests; other requests do not
            assertThat(scrape).as(n.id()).contains("uri=\"/actuator/health\"").doesNotContain("uri=\"/raft");
        }
    }

    @Test
    @Order(5)
    void stoppingTheLeaderLetsANewLeaderServe() throws Exception {
        TestNode old = leader();
        Map<TestNode, Double> electionsBefore = new ConcurrentHashMap<>();
        Map<TestNode, List<ApplicationEvent>> events = new ConcurrentHashMap<>();
        for (TestNode n : nodes) {
            if (n != old) {
                electionsBefore.put(n, scrape(n, "raft_elections_total"));
                List<ApplicationEvent> seen = new CopyOnWriteArrayList<>();
                events.put(n, seen);
                n.context().addApplicationListener((ApplicationListener<ApplicationEvent>) e -> {
                    if (e instanceof RaftRoleChangedEvent || e instanceof RaftLeaderChangedEvent) {
                        seen.add(e);
                    }
                });
            }
        }
        old.stop();
        TestNode next = leader();
        assertThat(next).isNotSameAs(old);
        TestNode other = nodes.stream().filter(n -> n != old && n != next).findFirst().orElseThrow();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(scrape(next, "raft_elections_total")).isGreaterThan(electionsBefore.get(next));
            assertThat(events.get(next)).anyMatch(e -> e instanceof RaftRoleChangedEvent r && r.becameLeader()
                    && r.getGroup().equals("counter"));
            for (TestNode n : List.of(next, other)) {
                assertThat(events.get(n)).as(n.id()).anyMatch(e -> e instanceof RaftLeaderChangedEvent l
                        && l.getNewLeaderId().equals(java.util.Optional.of(next.id())));
            }
        });
        long v = add(other, 5);
        assertThat(add(next, 5)).isEqualTo(v + 5);
        assertThat(read(other, ReadConsistency.LINEARIZABLE)).isEqualTo(v + 5);
    }

    @Test
    @Order(6)
    void aRestartedNodeCatchesUpFromItsDataDir() throws Exception {
        TestNode stopped = nodes.stream().filter(n -> !n.running()).findFirst().orElseThrow();
        add(leader(), 3);
        stopped.start();
        awaitConverged(stopped);
        // and it takes part again: a command through it commits everywhere
        add(stopped, 1);
        nodes.forEach(RaftClusterTest::awaitConverged);
        assertThat(read(stopped, ReadConsistency.LINEARIZABLE)).isEqualTo(expected.get());
    }

    @Test
    @Order(7)
    void aNodeStoppedWhileTwentyThousandCommandsCommitCatchesUpThroughInstallSnapshot() throws Exception {
        TestNode stopped = follower();
        stopped.stop();
        TestNode leader = leader();
        // 20,000 commands, up to 256 in flight; snapshots every 2,000 compact the log behind the stopped node
        List<CompletableFuture<Long>> window = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            window.add(leader.client().<CounterCommand, Long>command("counter", new CounterCommand("c", 1)));
            if (window.size() == 256) {
                for (CompletableFuture<Long> f : window) {
                    f.get(30, TimeUnit.SECONDS);
                }
                window.clear();
            }
        }
        long last = 0;
        for (CompletableFuture<Long> f : window) {
            last = Math.max(last, f.get(30, TimeUnit.SECONDS));
        }
        expected.set(read(leader, ReadConsistency.LINEARIZABLE));
        assertThat(expected.get()).isGreaterThanOrEqualTo(last);
        assertThat(leader.client().group("counter").metrics().snapshotIndex())
                .as("the leader took snapshots").isGreaterThanOrEqualTo(2 * SNAPSHOT_INTERVAL);

        stopped.start();
        awaitConverged(stopped);
        assertThat(stopped.client().group("counter").metrics().snapshotsInstalled())
                .as("it caught up through the leader's snapshot, not by replaying entries the leader no longer has")
                .isPositive();
        // and its meters say so
        assertThat(scrape(stopped, "raft_snapshots_installed_total")).isPositive();
        assertThat(scrape(stopped, "raft_snapshot_received_bytes_total")).isPositive();
        assertThat(scrape(stopped, "raft_snapshot_duration_seconds_count", "kind=\"installed\"")).isPositive();
        assertThat(scrape(stopped, "raft_snapshot_install_failures_total")).isZero();
        assertThat(scrape(stopped, "raft_snapshot_install_size_bytes")).isZero(); // none under way any more
        assertThat(scrape(leader, "raft_snapshot_sent_bytes_total"))
                .isGreaterThanOrEqualTo(scrape(stopped, "raft_snapshot_received_bytes_total"));
        assertThat(scrape(leader, "raft_snapshots_taken_total")).isPositive();
        // and it takes part again
        add(stopped, 1);
        nodes.forEach(RaftClusterTest::awaitConverged);
    }

    @Test
    @Order(8)
    void withoutAQuorumTheGroupIsDownAndTheNodeNotReady() {
        TestNode last = nodes.get(0);
        nodes.stream().filter(n -> n != last).forEach(TestNode::stop);
        await().atMost(WAIT).untilAsserted(() -> {
            Http.Answer health = Http.get(last.url() + "/actuator/health");
            assertThat(health.status()).isEqualTo(503);
            JsonNode counter = health.json().path("components").path("raft").path("components").path("counter");
            assertThat(counter.path("status").asString()).isEqualTo("DOWN");
            assertThat(counter.path("details").path("leader").asString()).isEqualTo("none");
        });
        assertThat(Http.get(last.url() + "/actuator/health/readiness").status()).isEqualTo(503);
        assertThat(Http.get(last.url() + "/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(scrape(last, "raft_leader")).isZero();
    }

    private static double scrape(TestNode n, String name, String... labels) {
        return Http.sample(Http.get(n.url() + "/actuator/prometheus").body(), name, "counter", labels);
    }

    private static void assertStatus(JsonNode status, TestNode node, String role, String leaderId) {
        assertThat(status.propertyNames()).containsExactlyElementsOf(STATUS_FIELDS);
        assertThat(status.path("group").asString()).isEqualTo("counter");
        assertThat(status.path("nodeId").asString()).isEqualTo(node.id());
        assertThat(status.path("role").asString()).isEqualTo(role);
        assertThat(status.path("leaderId").asString()).isEqualTo(leaderId);
        assertThat(status.path("term").asLong()).isPositive();
        assertThat(status.path("commitIndex").asLong()).isPositive();
        assertThat(status.path("lastApplied").asLong()).isPositive();
        assertThat(status.path("lastLogIndex").asLong()).isGreaterThanOrEqualTo(status.path("commitIndex").asLong());
        assertThat(status.path("snapshotIndex").asLong()).isZero();
        JsonNode members = status.path("members");
        assertThat(members.size()).isEqualTo(3);
        for (JsonNode m : members) {
            assertThat(m.propertyNames()).containsExactlyElementsOf(MEMBER_FIELDS);
            assertThat(m.path("membership").asString()).isEqualTo("voter");
            TestNode member = nodes.stream().filter(n -> n.id().equals(m.path("id").asString())).findFirst()
                    .orElseThrow();
            assertThat(m.path("url").asString()).isEqualTo(member.url());
        }
    }

    private static void assertProblem(Http.Answer answer, int status) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        JsonNode problem = answer.json();
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        for (String key : List.of("type", "title", "detail", "instance")) {
            assertThat(problem.has(key)).as(key).isTrue();
        }
    }
}
