package io.raftex.autoconfigure;

import io.raftex.autoconfigure.actuate.Http;
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
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Membership changes through the admin REST API on a real cluster of Spring Boot applications over HTTP, while a
 * client keeps submitting commands: three nodes grow to five (the new ones start empty with raft.members naming only
 * the first three, join as promotable members and are made voters once caught up), shrink back to three (the
 * leader among the removed), and one node is replaced by a fresh one. No acknowledged command is lost, every
 * remaining member holds the same state, and the status shows the members and memberships asked for. One cluster
 * serves the tests, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftMembershipClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ADMIN_TOKEN = "admin-secret-token";
    private static final String GROUP = "/raft/admin/groups/counter";

    /** Every node started, by id. */
    private static final Map<String, TestNode> nodes = new ConcurrentHashMap<>();
    /** The nodes that should be members now, by id. */
    private static final Map<String, TestNode> members = new ConcurrentHashMap<>();
    /** The nodes the client sends commands through; a node leaves this list before it is removed. */
    private static final List<TestNode> writers = new CopyOnWriteArrayList<>();
    /** Keys of commands acknowledged (each command adds 1 to its own key). */
    private static final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    /** Keys of commands that failed: they may or may not have been applied (at most once). */
    private static final Set<String> unknown = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean stopWriting = new AtomicBoolean();
    private static CompletableFuture<Void> writer;

    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void startClusterAndClient() {
        List<TestNode> first = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            first.add(node("n" + i));
        }
        String initial = TestNode.members(first);
        first.stream().map(n -> CompletableFuture.supplyAsync(() -> n.with("raft.members", initial).start()))
                .toList().forEach(CompletableFuture::join);
        first.forEach(n -> members.put(n.id(), n));
        writers.addAll(first);
        leader();
        writer = CompletableFuture.runAsync(RaftMembershipClusterTest::writeUntilStopped);
        awaitMoreAcknowledged();
    }

    @AfterAll
    static void stopAll() throws Exception {
        stopWriting.set(true);
        if (writer != null) {
            writer.get(30, TimeUnit.SECONDS);
        }
        nodes.values().forEach(TestNode::stop);
    }

    /**
     * A removed node says so in its health (docs/operations.md), not "no leader known": from its own log if it holds
     * its removal, else from its peers' answers to its campaign.
     */
    private static void assertSaysNotAMember(TestNode removed) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(Http.get(removed.url() + "/actuator/health").body())
                .as(removed.id()).contains("not a member of the group's configuration")
                .doesNotContain("no leader known"));
    }

    private static TestNode node(String id) {
        TestNode n = new TestNode(id, TestNode.freePort(), dataRoot.resolve(id))
                .with("raft.security.admin-token", ADMIN_TOKEN)
                .with("management.endpoints.web.exposure.include", "health")
                .with("management.endpoint.health.show-details", "always")
                .with("raft.snapshot.interval-entries", "400");
        nodes.put(id, n);
        return n;
    }

    /** Sends commands, one at a time, through the writer nodes in turn, each to a key of its own. */
    private static void writeUntilStopped() {
        int i = 0;
        while (!stopWriting.get()) {
            Object[] via = writers.toArray();
            TestNode n = (TestNode) via[i % via.length];
            String key = "k" + i++;
            try {
                Long v = n.client().<CounterCommand, Long>command("counter", new CounterCommand(key, 1))
                        .get(30, TimeUnit.SECONDS);
                assertThat(v).as(key).isEqualTo(1L);
                acknowledged.add(key);
            } catch (Exception e) {
                unknown.add(key);
            }
        }
    }

    /** Waits until the client has had more commands acknowledged (so it is still making progress). */
    private static void awaitMoreAcknowledged() {
        int before = acknowledged.size();
        await().atMost(WAIT).until(() -> acknowledged.size() >= before + 20);
    }

    private static TestNode leader() {
        return TestNode.awaitLeader(members.values(), WAIT);
    }

    private static TestNode follower() {
        TestNode leader = leader();
        return members.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }

    /**
     * Sends a membership change to {@code via} until it answers 200: a 409 for another change in progress (the
     * leader promoting a member it just added) or a 503 while a leader is elected is asked again (asking again for a
     * change in place succeeds). Returns the status it answered with.
     */
    private static JsonNode change(TestNode via, String method, String path, String body) {
        AtomicReference<Http.Answer> last = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            Http.Answer a = method.equals("POST") ? Http.post(via.url() + GROUP + path, body, ADMIN_TOKEN)
                    : Http.delete(via.url() + GROUP + path, ADMIN_TOKEN);
            last.set(a);
            if (a.status() == 409) {
                assertThat(a.json().path("type").asString()).as(a.body()).endsWith("change-in-progress");
            } else if (a.status() != 503) {
                assertThat(a.status()).as(a.body()).isEqualTo(200);
            }
            return a.status() == 200;
        });
        assertThat(last.get().contentType()).startsWith("application/json");
        return last.get().json();
    }

    /** id -> membership in a status. */
    private static Map<String, String> memberships(JsonNode status) {
        Map<String, String> out = new TreeMap<>();
        status.path("members").forEach(m -> out.put(m.path("id").asString(), m.path("membership").asString()));
        return out;
    }

    private static JsonNode status(TestNode n) {
        Http.Answer a = Http.get(n.url() + GROUP);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json();
    }

    /** Every current member reports exactly these members, with these memberships and their urls. */
    private static void awaitEveryMemberSees(Map<String, String> expected) {
        await().atMost(WAIT).untilAsserted(() -> {
            for (TestNode n : members.values()) {
                JsonNode s = status(n);
                assertThat(memberships(s)).as(n.id()).isEqualTo(expected);
                s.path("members").forEach(m -> assertThat(m.path("url").asString())
                        .isEqualTo(nodes.get(m.path("id").asString()).url()));
            }
        });
    }

    private static Map<String, String> voters(String... ids) {
        Map<String, String> out = new TreeMap<>();
        for (String id : ids) {
            out.put(id, "voter");
        }
        return out;
    }

    private static String add(TestNode n, String membership) {
        return "{\"id\":\"" + n.id() + "\",\"url\":\"" + n.url() + "\""
                + (membership == null ? "" : ",\"membership\":\"" + membership + "\"") + "}";
    }

    @Test
    @Order(1)
    void threeNodesGrowToFiveThroughTheAdminApiWhileCommandsFlow() throws Exception {
        String original = TestNode.members(new ArrayList<>(new TreeMap<>(members).values()));
        TestNode n4 = node("n4").with("raft.members", original);
        TestNode n5 = node("n5").with("raft.members", original);
        List.of(n4, n5).stream().map(n -> CompletableFuture.supplyAsync(n::start)).toList()
                .forEach(CompletableFuture::join);

        // not added yet: it waits, takes no part, and says so
        JsonNode waiting = Http.get(n4.url() + "/actuator/health").json().path("components").path("raft")
                .path("components").path("counter");
        assertThat(waiting.path("status").asString()).isEqualTo("DOWN");
        assertThat(waiting.path("details").path("reason").asString()).contains("not a member");
        assertThat(n4.status().term()).isZero();
        assertThat(n4.status().leaderId()).isEmpty();

        // added through a follower (which forwards it), as a promotable member
        JsonNode answered = change(follower(), "POST", "/members", add(n4, "promotable"));
        assertThat(memberships(answered)).containsKey("n4");
        assertThat(memberships(answered).get("n4")).isIn("promotable", "voter");
        members.put("n4", n4);
        // caught up, and made a voter by the leader on its own
        awaitEveryMemberSees(voters("n1", "n2", "n3", "n4"));
        awaitMoreAcknowledged();

        // added through the leader, membership left out: promotable by default
        change(leader(), "POST", "/members", add(n5, null));
        members.put("n5", n5);
        awaitEveryMemberSees(voters("n1", "n2", "n3", "n4", "n5"));
        assertThat(n4.status().leaderId()).isPresent();
        writers.addAll(List.of(n4, n5));
        awaitMoreAcknowledged();
        // a new member takes commands itself, and applies the whole history
        assertThat(n5.client().<CounterCommand, Long>command("counter", new CounterCommand("via-n5", 1))
                .get(30, TimeUnit.SECONDS)).isEqualTo(1L);
        acknowledged.add("via-n5");
    }

    @Test
    @Order(2)
    void fiveShrinkToThreeRemovingTheLeader() {
        TestNode leader = leader();
        TestNode other = members.values().stream().filter(n -> n != leader).sorted(
                java.util.Comparator.comparing(TestNode::id)).findFirst().orElseThrow();
        writers.removeAll(List.of(leader, other));

        // the leader is asked to remove itself: it commits the change (its followers still answer it, though their
        // configuration no longer names it), answers, steps down, and the others elect a leader among them
        TestNode via = members.values().stream().filter(n -> n != other && n != leader).findFirst().orElseThrow();
        JsonNode answered = change(leader, "DELETE", "/members/" + leader.id(), null);
        assertThat(memberships(answered)).doesNotContainKey(leader.id()).hasSize(4);
        members.remove(leader.id());
        TestNode next = leader();
        assertThat(next).isNotSameAs(leader);
        awaitMoreAcknowledged();

        change(via, "DELETE", "/members/" + other.id(), null);
        members.remove(other.id());
        Map<String, String> expected = voters(members.keySet().toArray(new String[0]));
        assertThat(expected).hasSize(3);
        awaitEveryMemberSees(expected);
        awaitMoreAcknowledged();

        // gone for good: removing it again is an unknown member
        Http.Answer again = Http.delete(via.url() + GROUP + "/members/" + other.id(), ADMIN_TOKEN);
        assertThat(again.status()).as(again.body()).isEqualTo(404);
        assertThat(again.contentType()).startsWith("application/problem+json");
        assertSaysNotAMember(leader); // it committed its own removal
        assertSaysNotAMember(other); // the leader stopped replicating to it: its peers' answers to its campaign told it
        leader.stop();
        other.stop();
        awaitMoreAcknowledged();
    }

    @Test
    @Order(3)
    void aNodeIsReplacedByAFreshOne() {
        TestNode n6 = node("n6").with("raft.members", TestNode.members(new ArrayList<>(new TreeMap<>(members)
                .values())));
        n6.start();
        // first as a non-voter, which is never promoted, then made a voter by asking again with its id and url
        JsonNode answered = change(leader(), "POST", "/members", add(n6, "non-voter"));
        assertThat(memberships(answered)).containsEntry("n6", "non-voter");
        members.put("n6", n6);
        Map<String, String> expected = voters(members.keySet().toArray(new String[0]));
        expected.put("n6", "non-voter");
        awaitEveryMemberSees(expected);
        change(follower(), "POST", "/members", add(n6, "voter"));
        expected.put("n6", "voter");
        awaitEveryMemberSees(expected);

        TestNode old = members.values().stream().filter(n -> n != n6 && !n.isLeader())
                .min(java.util.Comparator.comparing(TestNode::id)).orElseThrow();
        writers.remove(old);
        writers.add(n6);
        change(n6, "DELETE", "/members/" + old.id(), null);
        members.remove(old.id());
        expected.remove(old.id());
        awaitEveryMemberSees(expected);
        old.stop();
        awaitMoreAcknowledged();
    }

    @Test
    @Order(4)
    void noAcknowledgedCommandIsLostAndEveryMemberHoldsTheSameState() throws Exception {
        stopWriting.set(true);
        writer.get(60, TimeUnit.SECONDS);
        assertThat(acknowledged).hasSizeGreaterThan(100);
        assertThat(members).hasSize(3);

        TestNode leader = leader();
        Map<String, Long> state = counters(leader, ReadConsistency.LINEARIZABLE);
        for (String key : acknowledged) {
            assertThat(state.get(key)).as("acknowledged " + key).isEqualTo(1L);
        }
        // at most once: a command whose outcome the client did not learn is there once or not at all
        assertThat(state.values()).containsOnly(1L);
        assertThat(state.keySet()).allMatch(k -> acknowledged.contains(k) || unknown.contains(k));
        for (TestNode n : members.values()) {
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(counters(n, ReadConsistency.LOCAL)).as(n.id()).isEqualTo(state));
        }
        JsonNode status = status(leader);
        assertThat(memberships(status)).isEqualTo(voters(members.keySet().toArray(new String[0])));
        assertThat(members.keySet()).contains("n6");
        assertThat(status.path("members").size()).isEqualTo(3);
        Set<String> ids = members.keySet().stream().collect(Collectors.toSet());
        status.path("members").forEach(m -> assertThat(ids).contains(m.path("id").asString()));
    }

    private static Map<String, Long> counters(TestNode n, ReadConsistency consistency) throws Exception {
        return n.client().query("counter", CounterStateMachine.class, CounterStateMachine::counters, consistency)
                .get(20, TimeUnit.SECONDS);
    }
}
