package io.raftex.autoconfigure.security;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.ReadConsistency;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.web.SecurityFilterChain;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's counter application with {@code spring-boot-starter-security} added and nothing else: Boot's default
 * security (every path needs a login, a generated user) plus RaftEx's chains. Three nodes on random ports elect a
 * leader and replicate; the peer paths still refuse requests without the cluster token (RaftEx's 401, not a login
 * redirect); admin requests with the admin token pass, others meet the application's security.
 */
class RaftSpringSecurityClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ADMIN_TOKEN = "admin-secret-token";
    private static final List<TestNode> nodes = new ArrayList<>();

    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void startCluster() {
        for (int i = 1; i <= 3; i++) {
            nodes.add(new TestNode("n" + i, TestNode.freePort(), dataRoot.resolve("n" + i)));
        }
        String members = TestNode.members(nodes);
        for (TestNode n : nodes) {
            n.with("spring.profiles.active", "spring-security")
                    .with("raft.members", members)
                    .with("raft.security.admin-token", ADMIN_TOKEN);
        }
        TestNode.startAll(nodes);
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(TestNode::stop);
    }

    @Test
    void theClusterElectsALeaderAndReplicatesWithTheApplicationsDefaultSecurity() throws Exception {
        // Boot's default chain (with Actuator, its management one) is still there: RaftEx's chains are added to it,
        // not put in its place
        assertThat(nodes.get(0).context().getBeansOfType(SecurityFilterChain.class))
                .containsOnlyKeys("managementSecurityFilterChain", "raftPeerSecurityFilterChain",
                        "raftAdminTokenSecurityFilterChain");
        TestNode leader = TestNode.awaitLeader(nodes, WAIT);
        TestNode follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        long value = 0;
        for (int i = 1; i <= 10; i++) {
            value = follower.client().<CounterCommand, Long>command("counter", new CounterCommand("c", 1))
                    .get(20, TimeUnit.SECONDS);
        }
        long expected = value;
        for (TestNode n : nodes) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(n.client()
                    .query("counter", CounterStateMachine.class, sm -> sm.get("c"), ReadConsistency.LOCAL)
                    .get(20, TimeUnit.SECONDS)).as(n.id()).isEqualTo(expected));
        }
    }

    @Test
    void peerPathsWithoutTheClusterTokenAreStillRefusedByRaftEx() {
        String vote = "{\"from\":\"n2\",\"messages\":[]}";
        for (TestNode n : nodes) {
            for (String authorization : new String[] {null, SecurityHttp.bearer("wrong")}) {
                SecurityHttp.Answer rpc = SecurityHttp.post(n.url() + "/raft/rpc", "application/json", vote,
                        authorization);
                assertThat(rpc.status()).as(rpc.toString()).isEqualTo(401);
                assertThat(rpc.problemType()).isEqualTo("urn:raftex:problem:unauthorized");
                SecurityHttp.Answer stream = SecurityHttp.post(n.url() + "/raft/stream", "application/x-ndjson",
                        "\n", authorization);
                assertThat(stream.status()).as(stream.toString()).isEqualTo(401);
                assertThat(stream.problemType()).isEqualTo("urn:raftex:problem:unauthorized");
            }
        }
    }

    @Test
    void adminRequestsWithTheAdminTokenPassAndOthersMeetTheApplicationsSecurity() {
        TestNode leader = TestNode.awaitLeader(nodes, WAIT);
        String groups = leader.url() + "/raft/admin/groups";
        SecurityHttp.Answer read = SecurityHttp.get(groups + "/counter", SecurityHttp.bearer(ADMIN_TOKEN));
        assertThat(read.status()).as(read.toString()).isEqualTo(200);
        assertThat(read.body()).contains("\"group\":\"counter\"");
        // a write: a snapshot, once something is applied
        await().atMost(WAIT).until(() -> leader.status().lastApplied() > 0);
        SecurityHttp.Answer snapshot = SecurityHttp.post(groups + "/counter/snapshot", "application/json", "",
                SecurityHttp.bearer(ADMIN_TOKEN));
        assertThat(snapshot.status()).as(snapshot.toString()).isEqualTo(200);
        assertThat(snapshot.body()).contains("\"snapshotIndex\"");
        // without the token, or with another one, the application's (default) security answers: a login is needed
        for (String authorization : new String[] {null, SecurityHttp.bearer("wrong")}) {
            SecurityHttp.Answer refused = SecurityHttp.post(groups + "/counter/snapshot", "application/json", "",
                    authorization);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
            assertThat(refused.problemType()).isNull();
            assertThat(SecurityHttp.get(groups, authorization).status()).isEqualTo(401);
        }
    }
}
