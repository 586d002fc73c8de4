package io.raftex.demo;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static io.raftex.demo.HelmChart.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The chart's {@code helm test} pod: a test hook that checks, through the client Service, that the group has a
 * leader and that a write reads back; its script is run here against a fake member.
 */
class HelmTestHookTest {

    @TempDir
    Path tmp;

    @Test
    void helmTestIsAHookPodThatChecksTheLeaderAndAWriteThroughTheClientService() throws Exception {
        Map<String, Object> pod = renderHooks(tmp, "adminToken.value", "adm1n-admin-token").one("Pod", FULLNAME + "-test");
        Map<String, Object> container = HelmChart.<Map<String, Object>>list(pod, "spec.containers").get(0);

        assertThat(at(pod, "metadata.annotations")).isEqualTo(Map.of(RENAMED_HOOK, "test",
                RENAMED_HOOK + "-delete-policy", "before-hook-creation"));
        // not selected by the members' Services, PDB or spread constraints
        assertThat(map(pod, "metadata.labels")).doesNotContainEntry("app.kubernetes.io/name",
                SELECTOR.get("app.kubernetes.io/name"));
        assertThat(at(pod, "spec.restartPolicy")).isEqualTo("Never");
        assertThat(container.get("image")).isEqualTo("curlimages/curl:8.11.1");
        assertThat(env(pod, "BASE_URL")).isEqualTo("http://" + FULLNAME + ":80");
        assertThat(env(pod, "GROUP")).isEqualTo("kv");
        assertThat(at(envVar(pod, "ADMIN_TOKEN"), "valueFrom.secretKeyRef"))
                .isEqualTo(Map.of("name", FULLNAME, "key", "admin-token"));
        String script = HelmChart.<String>list(container, "args").get(0);
        assertThat(script).contains("/raft/admin/groups/$GROUP", "leaderId", "-X PUT", "$BASE_URL/kv/$key");

        Map<String, Object> own = renderHooks(tmp, "tests.image.repository", "registry.example/curl",
                "tests.image.tag", "8.12.0", "adminToken.enabled", false).one("Pod", FULLNAME + "-test");
        assertThat(HelmChart.<Map<String, Object>>list(own, "spec.containers").get(0).get("image"))
                .isEqualTo("registry.example/curl:8.12.0");
        assertThat(envVars(own)).doesNotContain("ADMIN_TOKEN");
    }

    @Test
    void theHelmTestScriptPassesOnAGroupWithALeaderAndFailsOtherwise() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")) && onPath("curl"), "needs sh and curl");
        Map<String, Object> pod = renderHooks(tmp, "adminToken.value", "adm1n-admin-token").one("Pod", FULLNAME + "-test");
        String script = HelmChart.<String>list(HelmChart.<Map<String, Object>>list(pod, "spec.containers").get(0), "args").get(0);

        try (FakeMember member = new FakeMember("\"n2\"", false)) {
            ScriptRun run = member.run(script);
            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("leader: n2", "PASS");
            assertThat(member.requests()).hasSize(4);
            assertThat(member.requests().get(0)).isEqualTo("GET /raft/admin/groups/kv Bearer adm1n");
            assertThat(member.requests().get(1))
                    .matches("PUT /kv/helm-test-[0-9a-f-]{36} \\{\"value\":\"[0-9a-f-]{36}\"}");
            assertThat(member.requests().get(2)).matches("GET /kv/helm-test-[0-9a-f-]{36} ");
            assertThat(member.requests().get(3)).matches("DELETE /kv/helm-test-[0-9a-f-]{36} ");
        }
        try (FakeMember member = new FakeMember("null", false)) {
            ScriptRun run = member.run(script);
            assertThat(run.exitCode()).as(run.output()).isNotZero();
            assertThat(run.output()).contains("FAIL: group kv has no leader");
        }
        try (FakeMember member = new FakeMember("\"n1\"", true)) {
            ScriptRun run = member.run(script);
            assertThat(run.exitCode()).as(run.output()).isNotZero();
            assertThat(run.output()).contains("FAIL: wrote");
        }
    }

    static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }

    /** What the {@code helm test} script prints, and how it exits. */
    record ScriptRun(int exitCode, String output) {
    }

    /**
     * A member's HTTP API as the {@code helm test} script uses it: the group's status with {@code leaderId}, and
     * {@code /kv} (or one that reads back another value). Records "method path bearer-token-or-body".
     */
    static final class FakeMember implements AutoCloseable {

        private final HttpServer server;
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final Map<String, String> store = new ConcurrentHashMap<>();

        FakeMember(String leaderIdJson, boolean readsAnotherValue) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                String method = exchange.getRequestMethod();
                String path = exchange.getRequestURI().getPath();
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String auth = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse("");
                requests.add(method + " " + path + " " + (auth.isEmpty() ? body : auth));
                if (path.equals("/raft/admin/groups/kv")) {
                    byte[] status = ("{\"group\":\"kv\",\"nodeId\":\"n1\",\"role\":\"follower\",\"term\":3,"
                            + "\"leaderId\":" + leaderIdJson + ",\"commitIndex\":7}").getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, status.length);
                    exchange.getResponseBody().write(status);
                    exchange.close();
                    return;
                }
                String key = path.substring("/kv/".length());
                switch (method) {
                    case "PUT" -> store.put(key, (String) JSON.readValue(body, Map.class).get("value"));
                    case "GET" -> {
                        if (readsAnotherValue) {
                            store.put(key, "another");
                        }
                    }
                    default -> { }
                }
                respond(exchange, 200, Map.of("key", key, "value", store.getOrDefault(key, ""), "index", 7));
            });
            server.start();
        }

        /** Runs the script as the test pod would, with this member behind BASE_URL and no wait for a leader. */
        ScriptRun run(String script) throws Exception {
            Path output = Files.createTempFile("helm-test-script", ".out");
            ProcessBuilder sh = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            sh.environment().put("BASE_URL", "http://" + server.getAddress().getHostString() + ":"
                    + server.getAddress().getPort());
            sh.environment().put("GROUP", "kv");
            sh.environment().put("LEADER_WAIT_SECONDS", "0");
            sh.environment().put("ADMIN_TOKEN", "adm1n");
            int exitCode = finish(sh.start(), 120);
            try {
                return new ScriptRun(exitCode, Files.readString(output));
            } finally {
                Files.delete(output);
            }
        }

        List<String> requests() {
            return requests;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
