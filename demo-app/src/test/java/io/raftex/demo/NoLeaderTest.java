package io.raftex.demo;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node of a three-member cluster whose two peers do not exist: it can never win an election, so writes and
 * leader-backed reads answer 503 with {@code Retry-After}, and nothing is applied. Local reads still work.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT, properties = {
        "raft.node-id=n1",
        "raft.heartbeat-interval=50ms",
        "raft.election-timeout=300ms",
        "raft.command-timeout=1500ms",
        "raft.rpc.timeout=200ms",
        "raft.storage.sync=none",
        "raft.security.cluster-token=test-cluster-token",
        "spring.main.banner-mode=off"})
@DirtiesContext
class NoLeaderTest {

    private static final int PORT = TestData.freePort();

    @DynamicPropertySource
    static void cluster(DynamicPropertyRegistry registry) {
        registry.add("server.port", () -> PORT);
        registry.add("server.address", () -> "127.0.0.1");
        registry.add("raft.data-dir", () -> TestData.dataDir("no-leader").toString());
        // n2 and n3 are ports that nothing listens on
        registry.add("raft.members", () -> "n1=http://127.0.0.1:" + PORT + ",n2=http://127.0.0.1:"
                + TestData.freePort() + ",n3=http://127.0.0.1:" + TestData.freePort());
    }

    private final Http http = new Http(PORT);

    @Autowired
    private MeterRegistry registry;

    @Test
    void writesAnswer503WithRetryAfterAndAreNotApplied() {
        List<CompletableFuture<Http.Response>> writes = List.of(
                http.sendAsync("PUT", "/kv/a", Http.value("1"), "application/json"),
                http.sendAsync("POST", "/kv/a/cas", "{\"expected\":null,\"value\":\"1\"}", "application/json"),
                http.sendAsync("DELETE", "/kv/a", null, null));

        for (CompletableFuture<Http.Response> write : writes) {
            assertUnavailable(write.join());
        }
        assertThat(http.get("a", "local").status()).isEqualTo(404);
    }

    @Test
    void linearizableAndLeaderReadsAnswer503() {
        CompletableFuture<Http.Response> linearizable = http.sendAsync("GET", "/kv/a", null, null);
        CompletableFuture<Http.Response> leader = http.sendAsync("GET", "/kv/a?consistency=leader", null, null);

        assertUnavailable(linearizable.join());
        assertUnavailable(leader.join());
    }

    @Test
    void localReadsNeedNoLeader() {
        Http.Response local = http.get("a", "local");

        assertThat(local.status()).as(local.toString()).isEqualTo(404);
    }

    @Test
    void aNodeWithoutALeaderIsLiveButNotReady() {
        Http.Response liveness = http.send("GET", "/actuator/health/liveness", null, null);
        Http.Response readiness = http.send("GET", "/actuator/health/readiness", null, null);

        assertThat(liveness.status()).as(liveness.toString()).isEqualTo(200);
        assertThat(readiness.status()).as(readiness.toString()).isEqualTo(503);
        assertThat(readiness.json().at("/components/raft/status").asString()).isEqualTo("DOWN");
    }

    @Test
    void writesAndReadsWithoutALeaderAreCountedAsNoLeader() {
        double writesBefore = count("raft.commands", "outcome", "no-leader");
        double readsBefore = count("raft.queries", "outcome", "no-leader", "consistency", "linearizable");

        assertUnavailable(http.sendAsync("PUT", "/kv/counted", Http.value("1"), "application/json").join());
        assertUnavailable(http.sendAsync("GET", "/kv/counted", null, null).join());

        // counted by the group before it answered, so before the 503
        assertThat(count("raft.commands", "outcome", "no-leader")).isEqualTo(writesBefore + 1);
        assertThat(count("raft.commands", "outcome", "success")).isZero();
        assertThat(count("raft.queries", "outcome", "no-leader", "consistency", "linearizable"))
                .isEqualTo(readsBefore + 1);
        assertThat(registry.get("raft.member.role").tag("group", "kv").tag("role", "leader").gauge().value())
                .isZero();
    }

    private double count(String name, String... tags) {
        return registry.get(name).tag("group", "kv").tags(tags).functionCounter().count();
    }

    private static void assertUnavailable(Http.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(503);
        assertThat(response.isProblem()).as(response.toString()).isTrue();
        assertThat(response.header("Retry-After")).hasValueSatisfying(
                v -> assertThat(Integer.parseInt(v)).isPositive());
        assertThat(response.text("title")).isEqualTo("No leader");
        assertThat(response.text("detail")).contains("not carried out");
    }
}
