package io.raftex.autoconfigure;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.ClusterConfig;
import io.raftex.core.GroupStatus;
import io.raftex.core.Member;
import io.raftex.core.ReadConsistency;
import io.raftex.core.log.ConfigCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad input on {@code POST /raft/rpc}, against one running node: every error is a problem detail, nothing bad
 * reaches the group, and the node keeps serving with its data intact.
 */
class RaftRpcEndpointTest {

    private static final String TOKEN = "test-cluster-token";
    private static final int MAX_BATCH = 64 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dataDir;
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = new TestNode("n1", TestNode.freePort(), dataDir.resolve("n1"))
                .with("raft.rpc.max-batch-bytes", String.valueOf(MAX_BATCH))
                .start();
        await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
    }

    @AfterAll
    static void stop() {
        node.stop();
    }

    private static HttpResponse<String> post(byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + "/raft/rpc"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String body, String... headers) throws Exception {
        return post(body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static HttpResponse<String> postWithToken(String body) throws Exception {
        return post(body, "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
    }

    private static void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).get().asString()
                .startsWith("application/problem+json");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("type").asString()).isNotBlank();
        assertThat(problem.get("title").asString()).isNotBlank();
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("detail").asString()).isNotBlank();
    }

    private static GroupStatus status() {
        return node.status();
    }

    /** A VoteRequest from n2 in a term far ahead: would depose the leader if it got through. */
    private static String disruptiveVote() {
        long term = status().term() + 100;
        return "{\"from\":\"n2\",\"messages\":[{\"type\":\"VoteRequest\",\"group\":\"counter\",\"from\":\"n2\","
                + "\"to\":\"n1\",\"term\":" + term + ",\"lastLogIndex\":999999,\"lastLogTerm\":" + term
                + ",\"transfer\":false}]}";
    }

    @Test
    void missingOrWrongClusterTokenIs401AndNothingIsProcessed() throws Exception {
        long term = status().term();
        String vote = disruptiveVote();
        assertProblem(post(vote, "Content-Type", "application/json"), 401);
        assertProblem(post(vote, "Authorization", "Bearer wrong"), 401);
        assertProblem(post(vote, "Authorization", "Basic " + TOKEN), 401);
        assertProblem(post(vote, "X-Raft-Cluster-Token", TOKEN + "x"), 401);
        assertProblem(post(vote, "X-Raft-Cluster-Token", ""), 401);
        // even a malformed or huge body is refused for the token first
        assertProblem(post("{not json"), 401);
        assertProblem(post(new byte[MAX_BATCH + 10]), 401);
        assertThat(status().term()).isEqualTo(term);
        assertThat(status().isLeader()).isTrue();
    }

    @Test
    void unknownGroupIs404() throws Exception {
        String body = "{\"messages\":[{\"type\":\"VoteResponse\",\"group\":\"no-such-group\",\"from\":\"n2\","
                + "\"to\":\"n1\",\"term\":0,\"granted\":false}]}";
        HttpResponse<String> response = postWithToken(body);
        assertProblem(response, 404);
        assertThat(response.body()).contains("no-such-group");
        // one unknown group refuses the whole batch
        String mixed = "{\"messages\":[{\"type\":\"VoteResponse\",\"group\":\"counter\",\"from\":\"n2\",\"to\":\"n1\","
                + "\"term\":0,\"granted\":false},{\"type\":\"VoteResponse\",\"group\":\"other\",\"from\":\"n2\","
                + "\"to\":\"n1\",\"term\":0,\"granted\":false}]}";
        assertProblem(postWithToken(mixed), 404);
    }

    @Test
    void malformedJsonIs400() throws Exception {
        for (String body : List.of("", "{", "not json", "[1,2", "{\"messages\":[}", "\"text\"", "null",
                "{\"messages\":\"x\"}", "{\"messages\":[{\"type\":\"VoteRequest\"}]}",
                "{\"messages\":[{\"type\":\"Bogus\",\"group\":\"counter\"}]}",
                "{\"messages\":[{\"group\":\"counter\",\"from\":\"n2\",\"to\":\"n1\",\"term\":1}]}",
                "{\"messages\":[{\"type\":\"VoteResponse\",\"group\":\"counter\",\"from\":\"n2\",\"to\":\"n9\","
                        + "\"term\":0,\"granted\":false}]}",
                "{\"messages\":[{\"type\":\"VoteResponse\",\"group\":\"counter\",\"from\":\"n2\",\"to\":\"n1\","
                        + "\"term\":-3,\"granted\":false}]}",
                // an addition without an address, or without a membership; a change naming no member
                changeRequest(false, "\"n9\"", "\"\"", "\"VOTER\""),
                changeRequest(false, "\"n9\"", "\"http://127.0.0.1:1\"", "null"),
                changeRequest(true, "null", "\"\"", "null"),
                // an accepted change at index 0 of a term, or of a term above the leader's
                "{\"messages\":[{\"type\":\"MembershipChangeResponse\",\"group\":\"counter\",\"from\":\"n2\","
                        + "\"to\":\"n1\",\"term\":1,\"requestId\":1,\"rejection\":null,\"index\":0,"
                        + "\"entryTerm\":1}]}",
                "{\"messages\":[{\"type\":\"MembershipChangeResponse\",\"group\":\"counter\",\"from\":\"n2\","
                        + "\"to\":\"n1\",\"term\":1,\"requestId\":1,\"rejection\":null,\"index\":4,"
                        + "\"entryTerm\":2}]}")) {
            assertProblem(postWithToken(body), 400);
        }
    }

    @Test
    void aForwardedCommandTheCodecCannotReadFailsAloneAndTheRestOfItsBatchIsHandled() throws Exception {
        long before = counter("forwarded");
        long applied = status().lastApplied();
        String head = "\"group\":\"counter\",\"from\":\"n2\",\"to\":\"n1\",\"term\":0,\"clientId\":"
                + new Random().nextLong() + ",\"ackedBelow\":0";
        String batch = "{\"from\":\"n2\",\"messages\":["
                + "{\"type\":\"ForwardCommand\"," + head + ",\"requestId\":1,\"sequence\":1,\"payload\":\""
                + Base64.getEncoder().encodeToString("{oops".getBytes(StandardCharsets.UTF_8)) + "\"},"
                + "{\"type\":\"ForwardCommand\"," + head + ",\"requestId\":2,\"sequence\":2,\"payload\":\""
                + Base64.getEncoder().encodeToString("{\"name\":\"forwarded\",\"delta\":5}"
                .getBytes(StandardCharsets.UTF_8)) + "\"}]}";
        HttpResponse<String> answer = postWithToken(batch);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        // both are appended; the unreadable one is applied as a failed command (on every member alike), the
        // other one as usual, and the group goes on
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(status().lastApplied()).isGreaterThanOrEqualTo(applied + 2);
            assertThat(counter("forwarded")).isEqualTo(before + 5);
        });
        assertThat(status().running()).isTrue();
        assertThat(node.client().<CounterCommand, Long>command("counter", new CounterCommand("forwarded", 1))
                .get(10, TimeUnit.SECONDS)).isEqualTo(before + 6);
    }

    private static long counter(String name) throws Exception {
        return node.client().query("counter", CounterStateMachine.class, sm -> sm.get(name),
                ReadConsistency.LINEARIZABLE).get(10, TimeUnit.SECONDS);
    }

    /** A MembershipChangeRequest from n2 to n1, as a batch; the last three arguments are JSON values. */
    private static String changeRequest(boolean remove, String member, String address, String membership) {
        return "{\"messages\":[{\"type\":\"MembershipChangeRequest\",\"group\":\"counter\",\"from\":\"n2\","
                + "\"to\":\"n1\",\"term\":0,\"requestId\":1,\"remove\":" + remove + ",\"member\":" + member
                + ",\"address\":" + address + ",\"membership\":" + membership + "}]}";
    }

    /** A configuration entry of an AppendEntriesRequest, as JSON, with {@code payload} as its payload. */
    private static String configEntry(long index, long term, byte[] payload) {
        return "{\"index\":" + index + ",\"term\":" + term + ",\"type\":\"CONFIG\",\"clientId\":0,\"sequence\":0,"
                + "\"ackedBelow\":0,\"leaderTime\":0,\"payload\":\"" + Base64.getEncoder().encodeToString(payload)
                + "\"}";
    }

    /** One log entry of an AppendEntriesRequest, as JSON. */
    private static String entry(long index, long term) {
        return "{\"index\":" + index + ",\"term\":" + term + ",\"type\":\"NOOP\",\"clientId\":0,\"sequence\":0,"
                + "\"ackedBelow\":0,\"leaderTime\":0,\"payload\":\"\"}";
    }

    /** An AppendEntriesRequest from n2 to n1 in group {@code group}, as a batch. */
    private static String append(String group, long term, long prevLogIndex, long prevLogTerm, String... entries) {
        return "{\"from\":\"n2\",\"messages\":[{\"type\":\"AppendEntriesRequest\",\"group\":\"" + group + "\","
                + "\"from\":\"n2\",\"to\":\"n1\",\"term\":" + term + ",\"prevLogIndex\":" + prevLogIndex
                + ",\"prevLogTerm\":" + prevLogTerm + ",\"entries\":[" + String.join(",", entries) + "],"
                + "\"leaderCommit\":0,\"readRound\":0}]}";
    }

    @Test
    void structurallyInvalidAppendEntriesIs400AndTheGroupKeepsServing() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
        GroupStatus before = status();
        long term = before.term();
        long last = before.lastLogIndex(); // a new leader's first entry is of its term, so this one is too
        long next = term + 1;
        // entries at last+1 and last+3, after a prevLogIndex and prevLogTerm that match: the log cannot take them
        String gap = append("counter", next, last, term, entry(last + 1, next), entry(last + 3, next));
        HttpResponse<String> response = postWithToken(gap);
        assertProblem(response, 400);
        assertThat(JSON.readTree(response.body()).get("detail").asString())
                .contains("AppendEntriesRequest").contains("entries[1].index");

        // a configuration entry cut short: it would stop the group that stored it
        byte[] oneVoter = ConfigCodec.encode(ClusterConfig.ofVoters(List.of(Member.voter("n1", node.url()))));
        Map<String, String> others = Map.of(
                append("counter", next, last, term, entry(last + 2, next)), "entries[0].index",
                append("counter", next, last, term, entry(last + 1, next + 1)), "entries[0].term",
                append("counter", next, last, term, entry(last + 1, next), entry(last + 2, term)), "entries[1].term",
                append("counter", next, -1, 0, entry(1, next)), "prevLogIndex",
                append("counter", next, last, next + 1), "prevLogTerm",
                append("coun ter", next, last, term), "group",
                append("counter", next, last, term, configEntry(last + 1, next, new byte[] {0, 0, 0, 1, 7})),
                "entries[0].payload",
                append("counter", next, last, term, configEntry(last + 1, next, new byte[0])), "entries[0].payload",
                append("counter", next, last, term, entry(last + 1, next), configEntry(last + 2, next,
                        java.util.Arrays.copyOf(oneVoter, oneVoter.length - 1))), "entries[1].payload");
        others.forEach((body, field) -> {
            try {
                HttpResponse<String> r = postWithToken(body);
                assertProblem(r, 400);
                assertThat(JSON.readTree(r.body()).get("detail").asString()).as(body).contains(field);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        // nothing of them reached the group: same term, still the leader, still taking commands
        GroupStatus after = status();
        assertThat(after.running()).isTrue();
        assertThat(after.term()).isEqualTo(term);
        assertThat(after.isLeader()).isTrue();
        long value = node.client().<CounterCommand, Long>command("counter", new CounterCommand("after-bad-append", 3))
                .get(10, TimeUnit.SECONDS);
        assertThat(value).isEqualTo(3L);
        assertThat(status().running()).isTrue();
    }

    @Test
    void tooLargeIs413() throws Exception {
        byte[] big = new byte[MAX_BATCH + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        assertProblem(post(big, "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json"), 413);
        // without a Content-Length (chunked), the limit holds while reading
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(node.url() + "/raft/rpc"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        assertProblem(HTTP.send(chunked, HttpResponse.BodyHandlers.ofString()), 413);
    }

    @Test
    void aValidBatchIsAccepted() throws Exception {
        String body = "{\"from\":\"n2\",\"messages\":[{\"type\":\"VoteResponse\",\"group\":\"counter\","
                + "\"from\":\"n2\",\"to\":\"n1\",\"term\":0,\"granted\":false}]}";
        assertThat(postWithToken(body).statusCode()).isEqualTo(202);
        assertThat(post(body, "X-Raft-Cluster-Token", TOKEN, "Content-Type", "application/json; charset=UTF-8")
                .statusCode()).isEqualTo(202);
    }

    @Test
    void aBodyThatIsNotDeclaredJsonIs415() throws Exception {
        String body = "{\"from\":\"n2\",\"messages\":[{\"type\":\"VoteResponse\",\"group\":\"counter\","
                + "\"from\":\"n2\",\"to\":\"n1\",\"term\":0,\"granted\":false}]}";
        assertProblem(post(body, "X-Raft-Cluster-Token", TOKEN), 415);
        assertProblem(post(body, "X-Raft-Cluster-Token", TOKEN, "Content-Type", "text/plain"), 415);
        assertProblem(post(body, "X-Raft-Cluster-Token", TOKEN, "Content-Type", "application/x-www-form-urlencoded"),
                415);
        // the token comes first: a stranger learns nothing about the body's rules
        assertProblem(post(body, "Content-Type", "text/plain"), 401);
    }

    @Test
    void theBodyOfARefusedStreamIsNotReadButItsConnectionClosed() throws Exception {
        for (String path : List.of("/raft/stream", "/raft/rpc")) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", node.port())) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                byte[] answer;
                try {
                    answer = s.getInputStream().readAllBytes(); // to the end: the node closes after its answer
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError(path + ": the node kept the connection to read the refused body", e);
                }
                assertThat(new String(answer, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 401");
            }
        }
    }

    @Test
    void aRefusedRequestEndsItsConnection() throws Exception {
        for (String path : List.of("/raft/rpc", "/raft/stream")) {
            HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.headers().firstValue("Connection")).as(path).hasValue("close");
        }
    }

    @Test
    void fuzzedBatchesLeaveTheNodeHealthyWithItsData() throws Exception {
        long value = node.client().<CounterCommand, Long>command("counter", new CounterCommand("kept", 42))
                .get(10, TimeUnit.SECONDS);
        Random random = new Random(20240611L);
        List<String> templates = templates();
        int accepted = 0;
        for (int i = 0; i < 400; i++) {
            byte[] body = fuzz(random, templates);
            HttpResponse<String> response = random.nextInt(10) == 0
                    ? post(body) // no token
                    : post(body, "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
            int status = response.statusCode();
            assertThat(status).as("request %d: %s -> %s", i, new String(body, StandardCharsets.UTF_8),
                    response.body()).isIn(202, 400, 401, 404, 413);
            if (status == 202) {
                accepted++;
            } else {
                assertProblem(response, status);
            }
        }
        assertThat(accepted).isPositive();
        // the node still leads (after at most a re-election), serves, and kept its data
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(status().running()).isTrue();
            assertThat(node.client().query("counter", CounterStateMachine.class, sm -> sm.get("kept"),
                    ReadConsistency.LINEARIZABLE).get(5, TimeUnit.SECONDS)).isEqualTo(value);
        });
        assertThat(node.client().<CounterCommand, Long>command("counter", new CounterCommand("kept", 1))
                .get(10, TimeUnit.SECONDS)).isEqualTo(value + 1);
    }

    /** Valid messages of every type, harmless on their own: stale terms, a sender that is not a member. */
    private static List<String> templates() {
        String payload = Base64.getEncoder().encodeToString(
                "{\"name\":\"fuzz\",\"delta\":1}".getBytes(StandardCharsets.UTF_8));
        String head = "\"group\":\"counter\",\"from\":\"n2\",\"to\":\"n1\",\"term\":0";
        return List.of(
                "{\"type\":\"PreVoteRequest\"," + head + ",\"lastLogIndex\":0,\"lastLogTerm\":0}",
                "{\"type\":\"PreVoteResponse\"," + head + ",\"granted\":true}",
                "{\"type\":\"VoteRequest\"," + head + ",\"lastLogIndex\":0,\"lastLogTerm\":0,\"transfer\":false}",
                "{\"type\":\"VoteResponse\"," + head + ",\"granted\":true}",
                "{\"type\":\"AppendEntriesRequest\"," + head + ",\"prevLogIndex\":0,\"prevLogTerm\":0,"
                        + "\"entries\":[],\"leaderCommit\":0,\"readRound\":0}",
                "{\"type\":\"AppendEntriesResponse\"," + head + ",\"success\":true,\"matchIndex\":1,"
                        + "\"rejectedIndex\":0,\"conflictTerm\":0,\"conflictIndex\":0,\"readRound\":0}",
                "{\"type\":\"ReadIndexRequest\"," + head + ",\"requestId\":7,\"confirmLeadership\":true}",
                "{\"type\":\"ReadIndexResponse\"," + head + ",\"requestId\":7,\"success\":true,\"readIndex\":1}",
                "{\"type\":\"ForwardCommand\"," + head + ",\"requestId\":3,\"clientId\":5,\"sequence\":1,"
                        + "\"ackedBelow\":0,\"payload\":\"" + payload + "\"}",
                "{\"type\":\"ForwardCommandResponse\"," + head + ",\"requestId\":3,\"accepted\":true,\"index\":1,"
                        + "\"entryTerm\":1}",
                "{\"type\":\"TimeoutNow\"," + head + "}",
                // a stale configuration entry; the removal of a member the group does not have (refused); the answer
                // to a change this node never asked for (ignored)
                "{\"type\":\"AppendEntriesRequest\"," + head + ",\"prevLogIndex\":0,\"prevLogTerm\":0,"
                        + "\"entries\":[" + configEntry(1, 0, ConfigCodec.encode(ClusterConfig.ofVoters(
                        List.of(Member.voter("n1", "http://127.0.0.1:1"), Member.voter("n2", "http://127.0.0.1:2")))))
                        + "],\"leaderCommit\":0,\"readRound\":0}",
                "{\"type\":\"MembershipChangeRequest\"," + head + ",\"requestId\":4,\"remove\":true,"
                        + "\"member\":\"ghost-member\",\"address\":\"\",\"membership\":\"NON_VOTER\"}",
                "{\"type\":\"MembershipChangeResponse\"," + head + ",\"requestId\":4,\"rejection\":null,"
                        + "\"index\":0,\"entryTerm\":0}");
    }

    private static byte[] fuzz(Random random, List<String> templates) {
        int kind = random.nextInt(10);
        if (kind == 0) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            return junk;
        }
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            ObjectNode m = (ObjectNode) JSON.readTree(templates.get(random.nextInt(templates.size())));
            int mutations = random.nextInt(4);
            for (int k = 0; k < mutations; k++) {
                mutate(random, m);
            }
            messages.add(m);
        }
        ObjectNode batch = JsonNodeFactory.instance.objectNode();
        batch.put("from", "n2");
        batch.set("messages", messages);
        byte[] bytes = JSON.writeValueAsBytes(random.nextInt(8) == 0 ? messages : batch);
        if (kind == 1 && bytes.length > 2) {
            return java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length)); // truncated
        }
        if (kind == 2) {
            for (int f = 0; f < 3; f++) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256); // flipped bytes
            }
        }
        return bytes;
    }

    private static void mutate(Random random, ObjectNode m) {
        List<String> fields = new ArrayList<>();
        m.propertyNames().forEach(fields::add);
        String field = fields.get(random.nextInt(fields.size()));
        switch (random.nextInt(9)) {
            case 0 -> m.remove(field);
            case 1 -> m.putNull(field);
            case 2 -> m.put(field, "x".repeat(random.nextInt(50)));
            case 3 -> m.put(field, -1 - random.nextInt(1000));
            case 4 -> m.put(field, random.nextBoolean());
            case 5 -> m.putArray(field).add(1).addObject().put("k", "v");
            case 6 -> m.put("group", random.nextBoolean() ? "ghost" : "");
            case 7 -> m.put("type", random.nextBoolean() ? "AppendEntriesResponse" : "NoSuchType");
            default -> m.put(field, random.nextInt(3)); // small, plausible numbers
        }
    }
}
