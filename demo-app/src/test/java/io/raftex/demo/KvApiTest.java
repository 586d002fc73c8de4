package io.raftex.demo;

import io.raftex.autoconfigure.client.RaftClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every endpoint of the store and every way a request can be refused, against one single-member cluster (a real
 * node on a random port) shared by the whole class.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "raft.node-id=solo",
        "raft.heartbeat-interval=50ms",
        "raft.election-timeout=300ms",
        "raft.command-timeout=5s",
        "raft.storage.sync=none",
        "spring.main.banner-mode=off"})
@DirtiesContext
class KvApiTest {

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("raft.data-dir", () -> TestData.dataDir("kv-api").toString());
    }

    @LocalServerPort
    int port;

    @Autowired
    RaftClient raft;

    Http http;

    @BeforeEach
    void leaderElected() {
        http = new Http(port);
        await().atMost(Duration.ofSeconds(20)).until(() -> raft.status(KvApplication.GROUP).isLeader());
    }

    // ------------------------------------------------------------------ PUT and GET

    @Test
    void putAnswersTheValueAndTheIndexItWasCommittedAt() {
        Http.Response put = http.put("colour", Http.value("blue"));

        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.contentType()).startsWith("application/json");
        assertThat(put.text("key")).isEqualTo("colour");
        assertThat(put.text("value")).isEqualTo("blue");
        assertThat(put.number("index")).isPositive();
        assertThat(raft.status(KvApplication.GROUP).lastApplied()).isGreaterThanOrEqualTo(put.number("index"));
    }

    @Test
    void getAnswersTheValueAndTheIndexItWasLastWrittenAt() {
        long first = http.put("fruit", Http.value("apple")).number("index");
        long second = http.put("fruit", Http.value("pear")).number("index");
        http.put("other", Http.value("x"));

        Http.Response get = http.get("fruit");

        assertThat(second).isGreaterThan(first);
        assertThat(get.status()).as(get.toString()).isEqualTo(200);
        assertThat(get.text("key")).isEqualTo("fruit");
        assertThat(get.text("value")).isEqualTo("pear");
        assertThat(get.number("index")).isEqualTo(second);
    }

    @Test
    void getServesEveryConsistencyInAnyCase() {
        long index = http.put("level", Http.value("v")).number("index");

        for (String consistency : new String[] {"linearizable", "leader", "local", "LOCAL", "Leader"}) {
            Http.Response get = http.get("level", consistency);
            assertThat(get.status()).as(consistency + ": " + get).isEqualTo(200);
            assertThat(get.text("value")).isEqualTo("v");
            assertThat(get.number("index")).isEqualTo(index);
        }
    }

    @Test
    void keysAndValuesKeepSpacesQuotesAndUnicode() {
        String key = "a key with spaces, \"quotes\" & ünïcødé ключ";
        String value = "line one\nline 'two'\t\"three\" \u2603";

        assertThat(http.put(key, Http.value(value)).status()).isEqualTo(200);

        Http.Response get = http.get(key);
        assertThat(get.status()).as(get.toString()).isEqualTo(200);
        assertThat(get.text("key")).isEqualTo(key);
        assertThat(get.text("value")).isEqualTo(value);
    }

    @Test
    void keysAndValuesAtTheirLimitAreAccepted() {
        String key = "k".repeat(KvCommand.MAX_KEY_LENGTH);
        String value = "v".repeat(KvCommand.MAX_VALUE_LENGTH);

        assertThat(http.put(key, Http.value(value)).status()).isEqualTo(200);
        assertThat(http.get(key).text("value")).isEqualTo(value);
    }

    @Test
    void getOfAnAbsentKeyIs404ProblemDetail() {
        Http.Response get = http.get("never-written");

        assertThat(get.status()).isEqualTo(404);
        assertThat(get.isProblem()).as(get.toString()).isTrue();
        assertThat(get.number("status")).isEqualTo(404);
        assertThat(get.text("title")).isEqualTo("Key not found");
        assertThat(get.text("key")).isEqualTo("never-written");
    }

    // ------------------------------------------------------------------ compare-and-set

    @Test
    void casWithNullExpectedSetsOnlyAnAbsentKey() {
        Http.Response created = http.cas("lock", "{\"expected\":null,\"value\":\"owner-1\"}");
        Http.Response refused = http.cas("lock", "{\"expected\":null,\"value\":\"owner-2\"}");

        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        assertThat(created.json().get("succeeded").asBoolean()).isTrue();
        assertThat(created.text("value")).isEqualTo("owner-1");
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.json().get("succeeded").asBoolean()).isFalse();
        assertThat(refused.text("value")).isEqualTo("owner-1");
    }

    @Test
    void casWithoutExpectedMeansAbsent() {
        Http.Response created = http.cas("implicit", "{\"value\":\"1\"}");

        assertThat(created.json().get("succeeded").asBoolean()).isTrue();
        assertThat(http.get("implicit").text("value")).isEqualTo("1");
    }

    @Test
    void casSetsWhenTheCurrentValueMatchesAndAnswersTheCurrentValueWhenNot() {
        http.put("counter", Http.value("1"));

        Http.Response swapped = http.cas("counter", "{\"expected\":\"1\",\"value\":\"2\"}");
        Http.Response stale = http.cas("counter", "{\"expected\":\"1\",\"value\":\"3\"}");

        assertThat(swapped.status()).isEqualTo(200);
        assertThat(swapped.json().get("succeeded").asBoolean()).isTrue();
        assertThat(swapped.text("value")).isEqualTo("2");
        assertThat(stale.status()).isEqualTo(200);
        assertThat(stale.json().get("succeeded").asBoolean()).isFalse();
        assertThat(stale.text("value")).isEqualTo("2");
        Http.Response get = http.get("counter");
        assertThat(get.text("value")).isEqualTo("2");
        assertThat(get.number("index")).isEqualTo(swapped.number("index"));
    }

    @Test
    void casOnAnAbsentKeyWithAnExpectedValueFailsWithNullValue() {
        Http.Response cas = http.cas("ghost", "{\"expected\":\"boo\",\"value\":\"x\"}");

        assertThat(cas.status()).isEqualTo(200);
        assertThat(cas.json().get("succeeded").asBoolean()).isFalse();
        assertThat(cas.json().get("value").isNull()).isTrue();
        assertThat(http.get("ghost").status()).isEqualTo(404);
    }

    // ------------------------------------------------------------------ DELETE

    @Test
    void deleteRemovesThePresentKey() {
        http.put("doomed", Http.value("bye"));

        Http.Response delete = http.delete("doomed");

        assertThat(delete.status()).as(delete.toString()).isEqualTo(200);
        assertThat(delete.text("key")).isEqualTo("doomed");
        assertThat(delete.text("value")).isEqualTo("bye");
        assertThat(delete.number("index")).isPositive();
        assertThat(http.get("doomed").status()).isEqualTo(404);
    }

    @Test
    void deleteOfAnAbsentKeyIs404ProblemDetail() {
        Http.Response delete = http.delete("not-there");

        assertThat(delete.status()).isEqualTo(404);
        assertThat(delete.isProblem()).as(delete.toString()).isTrue();
        assertThat(delete.text("key")).isEqualTo("not-there");
    }

    // ------------------------------------------------------------------ Actuator, as the Helm chart probes it

    @Test
    void aNodeWithALeaderIsLiveAndReady() {
        Http.Response liveness = http.send("GET", "/actuator/health/liveness", null, null);
        Http.Response readiness = http.send("GET", "/actuator/health/readiness", null, null);

        assertThat(liveness.status()).as(liveness.toString()).isEqualTo(200);
        assertThat(readiness.status()).as(readiness.toString()).isEqualTo(200);
        assertThat(readiness.json().at("/components/raft/status").asString()).isEqualTo("UP");
    }

    @Test
    void prometheusServesTheRaftMeters() {
        http.put("metered", Http.value("v"));

        Http.Response scrape = http.send("GET", "/actuator/prometheus", null, null);

        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.raw().body()).contains("raft_term{", "raft_commit_index{", "raft_leader{",
                "application=\"raftex-demo\"");
        // the demo turns on histograms for raft.*: command latency percentiles are available to dashboards
        assertThat(scrape.raw().body()).contains("raft_command_latency_seconds_bucket{");
        // the API's requests are tagged by their URI pattern, not by key and not as UNKNOWN
        assertThat(scrape.raw().body()).containsPattern(
                "http_server_requests_seconds_count\\{[^}]*method=\"PUT\"[^}]*uri=\"/kv/\\{key}\"");
    }

    // ------------------------------------------------------------------ methods and paths outside the API

    @Test
    void anotherMethodIs405ProblemDetailWithAllow() {
        Http.Response patch = http.send("PATCH", "/kv/k", Http.value("v"), "application/json");
        Http.Response getCas = http.send("GET", "/kv/k/cas", null, null);

        assertThat(patch.status()).as(patch.toString()).isEqualTo(405);
        assertThat(patch.isProblem()).as(patch.toString()).isTrue();
        assertThat(patch.raw().headers().firstValue("Allow")).hasValueSatisfying(
                allow -> assertThat(allow).contains("GET", "PUT", "DELETE").doesNotContain("PATCH"));
        assertThat(getCas.status()).as(getCas.toString()).isEqualTo(405);
        assertThat(getCas.raw().headers().firstValue("Allow")).hasValueSatisfying(
                allow -> assertThat(allow).contains("POST").doesNotContain("GET"));
        assertThat(http.get("k").status()).isEqualTo(404);
    }

    @Test
    void aPathOutsideTheApiIs404ProblemDetail() {
        for (String path : new String[]{"/kv/a/b", "/kv/a/cas/more", "/kv/", "/kv"}) {
            Http.Response response = http.send("GET", path, null, null);

            assertThat(response.status()).as(path + ": " + response).isEqualTo(404);
            assertThat(response.isProblem()).as(path + ": " + response).isTrue();
            assertThat(response.text("instance")).isEqualTo(path);
        }
    }

    @Test
    void headAnswersLikeGetWithoutABodyAndOptionsListsTheMethods() {
        long index = http.put("headed", Http.value("v")).number("index");
        Http.Response get = http.get("headed");

        Http.Response head = http.send("HEAD", "/kv/headed", null, null);
        Http.Response options = http.send("OPTIONS", "/kv/headed/cas", null, null);

        assertThat(get.number("index")).isEqualTo(index);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.raw().body()).isEmpty();
        assertThat(head.raw().headers().firstValue("Content-Length"))
                .hasValue(get.raw().headers().firstValue("Content-Length").orElseThrow());
        assertThat(options.status()).isEqualTo(200);
        assertThat(options.raw().headers().firstValue("Allow")).hasValueSatisfying(
                allow -> assertThat(allow).contains("POST"));
    }

    // ------------------------------------------------------------------ bad input: 400 problem details

    @Test
    void malformedJsonIs400() {
        assertBadRequest(http.put("k", "{\"value\":"));
        assertBadRequest(http.put("k", "not json"));
        assertBadRequest(http.cas("k", "{\"expected\":"));
        assertBadRequest(http.put("k", "{\"value\":{\"nested\":true}}"));
        assertThat(http.get("k").status()).isEqualTo(404);
    }

    @Test
    void missingBodyOrValueIs400() {
        assertBadRequest(http.send("PUT", "/kv/k", null, "application/json"));
        assertBadRequest(http.put("k", "{}"));
        assertBadRequest(http.put("k", "{\"value\":null}"));
        assertBadRequest(http.cas("k", "{\"expected\":\"a\"}"));
        assertThat(http.get("k").status()).isEqualTo(404);
    }

    @Test
    void unknownConsistencyIs400() {
        Http.Response get = http.get("k", "eventual");

        assertBadRequest(get);
        assertThat(get.text("detail")).contains("linearizable, leader or local");
    }

    @Test
    void oversizeKeyIs400OnEveryEndpoint() {
        String key = "k".repeat(KvCommand.MAX_KEY_LENGTH + 1);

        assertBadRequest(http.put(key, Http.value("v")));
        assertBadRequest(http.get(key));
        assertBadRequest(http.cas(key, "{\"value\":\"v\"}"));
        assertBadRequest(http.delete(key));
    }

    @Test
    void oversizeValueIs400() {
        String value = "v".repeat(KvCommand.MAX_VALUE_LENGTH + 1);

        assertBadRequest(http.put("big", Http.value(value)));
        assertBadRequest(http.cas("big", "{\"value\":\"" + value + "\"}"));
        assertThat(http.get("big").status()).isEqualTo(404);
    }

    @Test
    void aBodyLongerThanAnyValidRequestIs413ProblemDetail() {
        String value = "v".repeat(KvServlet.MAX_BODY_BYTES);

        Http.Response put = http.put("huge", Http.value(value));

        assertThat(put.status()).as(put.toString()).isEqualTo(413);
        assertThat(put.isProblem()).as(put.toString()).isTrue();
        assertThat(http.get("huge").status()).isEqualTo(404);
    }

    @Test
    void aValueOfEscapedCharactersAtItsLimitIsNotTooLarge() {
        // every character written as a six-byte JSON escape: the body is near its bound, the value at its limit
        String value = "\u00e9".repeat(KvCommand.MAX_VALUE_LENGTH);
        String body = "{\"value\":\"" + "\\u00e9".repeat(KvCommand.MAX_VALUE_LENGTH) + "\"}";

        Http.Response put = http.put("escaped", body);

        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(http.get("escaped").text("value")).isEqualTo(value);
    }

    @Test
    void aBodyThatIsNotJsonIs415ProblemDetail() {
        Http.Response put = http.send("PUT", "/kv/k", "value=v", "text/plain");

        assertThat(put.status()).isEqualTo(415);
        assertThat(put.isProblem()).as(put.toString()).isTrue();
    }

    @Test
    void aLoneSurrogateInAValueOrExpectedValueIs400() {
        // a value no snapshot could encode: refused before it reaches the log
        assertBadRequest(http.put("lone", "{\"value\":\"\\ud800\"}"));
        assertBadRequest(http.put("lone", "{\"value\":\"a\\udc00b\"}"));
        assertBadRequest(http.cas("lone", "{\"expected\":\"\\ud800\",\"value\":\"v\"}"));
        assertBadRequest(http.cas("lone", "{\"value\":\"x\\udbff\"}"));
        assertThat(http.get("lone").status()).isEqualTo(404);
        // a surrogate pair is a character like any other
        assertThat(http.put("pair", "{\"value\":\"\\ud83d\\ude00\"}").status()).isEqualTo(200);
        assertThat(http.get("pair").text("value")).isEqualTo("\ud83d\ude00");
    }

    @Test
    void aBodyThatIsNotValidUtf8Is400() {
        byte[] overlong = {'{', '"', 'v', 'a', 'l', 'u', 'e', '"', ':', '"', (byte) 0xC0, (byte) 0xAE, '"', '}'};
        assertBadRequest(http.sendBytes("PUT", "/kv/utf", overlong, "application/json"));
        byte[] encodedSurrogate = {'{', '"', 'v', 'a', 'l', 'u', 'e', '"', ':', '"', (byte) 0xED, (byte) 0xA0,
                (byte) 0x80, '"', '}'};
        assertBadRequest(http.sendBytes("PUT", "/kv/utf", encodedSurrogate, "application/json"));
        byte[] truncated = {'{', '"', 'v', 'a', 'l', 'u', 'e', '"', ':', '"', (byte) 0xE2, (byte) 0x98, '"', '}'};
        assertBadRequest(http.sendBytes("PUT", "/kv/utf", truncated, "application/json"));
        assertThat(http.get("utf").status()).isEqualTo(404);
    }

    @Test
    void aValueThatIsNotAJsonStringIs400() {
        assertBadRequest(http.put("num", "{\"value\":1e999}"));
        assertBadRequest(http.put("num", "{\"value\":42}"));
        assertBadRequest(http.put("num", "{\"value\":true}"));
        assertBadRequest(http.put("num", "{\"value\":[\"a\"]}"));
        assertBadRequest(http.cas("num", "{\"expected\":1,\"value\":\"v\"}"));
        assertBadRequest(http.put("num", "[\"value\"]"));
        assertThat(http.get("num").status()).isEqualTo(404);
    }

    private static void assertBadRequest(Http.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.isProblem()).as(response.toString()).isTrue();
        assertThat(response.number("status")).isEqualTo(400);
        assertThat(response.text("title")).isNotBlank();
        assertThat(response.text("detail")).isNotBlank();
    }
}
