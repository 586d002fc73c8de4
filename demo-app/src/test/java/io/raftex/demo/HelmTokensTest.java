package io.raftex.demo;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.raftex.demo.HelmChart.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chart's tokens: the cluster and admin tokens come from the chart's own Secret (an ordinary release object, not
 * a hook) or from existing Secrets, and generated ones are kept through upgrades ({@code lookup}, read here from a
 * fake API server by a helm in a child JVM).
 */
class HelmTokensTest {

    @TempDir
    Path tmp;
    @Test
    void theTokensComeFromTheChartsSecretAnOrdinaryReleaseObject() {
        Rendered rendered = render("clusterToken.value", "s3cret-cluster-token", "adminToken.value", "adm1n-admin-token");
        Map<String, Object> secret = rendered.one("Secret", FULLNAME);
        Map<String, Object> sts = rendered.one("StatefulSet", FULLNAME);

        assertThat(at(secret, "data.cluster-token")).isEqualTo("czNjcmV0LWNsdXN0ZXItdG9rZW4="); // base64 of s3cret-cluster-token
        assertThat(at(secret, "data.admin-token")).isEqualTo("YWRtMW4tYWRtaW4tdG9rZW4="); // base64 of adm1n-admin-token
        // not a hook: helm uninstall deletes it, and syncs do not make it again
        assertThat(at(secret, "metadata.annotations")).isNull();
        assertThat(at(envVar(sts, "RAFT_SECURITY_CLUSTER_TOKEN"), "valueFrom.secretKeyRef"))
                .isEqualTo(Map.of("name", FULLNAME, "key", "cluster-token"));
        assertThat(at(envVar(sts, "RAFT_SECURITY_ADMIN_TOKEN"), "valueFrom.secretKeyRef"))
                .isEqualTo(Map.of("name", FULLNAME, "key", "admin-token"));
    }

    @Test
    void existingSecretsReplaceTheChartsSecret() {
        Rendered clusterOnly = render("clusterToken.existingSecret", "my-token", "clusterToken.existingSecretKey", "t");
        Map<String, Object> sts = clusterOnly.one("StatefulSet", FULLNAME);

        assertThat(at(envVar(sts, "RAFT_SECURITY_CLUSTER_TOKEN"), "valueFrom.secretKeyRef"))
                .isEqualTo(Map.of("name", "my-token", "key", "t"));
        assertThat(map(clusterOnly.one("Secret", FULLNAME), "data")).containsOnlyKeys("admin-token");

        Rendered both = render("clusterToken.existingSecret", "my-token", "adminToken.existingSecret", "ops",
                "adminToken.existingSecretKey", "raft-admin");
        assertThat(both.all("Secret")).isEmpty();
        assertThat(at(envVar(both.one("StatefulSet", FULLNAME), "RAFT_SECURITY_ADMIN_TOKEN"), "valueFrom.secretKeyRef"))
                .isEqualTo(Map.of("name", "ops", "key", "raft-admin"));
    }

    @Test
    void withoutAnAdminTokenTheMembersGetNone() {
        Rendered rendered = render("adminToken.enabled", false);

        assertThat(envVars(rendered.one("StatefulSet", FULLNAME))).doesNotContain("RAFT_SECURITY_ADMIN_TOKEN");
        assertThat(map(rendered.one("Secret", FULLNAME), "data")).containsOnlyKeys("cluster-token");
    }

    @Test
    void bothTokensUnderOneKeyOfTheChartsSecretIsRefused() {
        assertThatThrownBy(() -> render("adminToken.existingSecretKey", "cluster-token"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("name the same key");
        assertThatThrownBy(() -> render("adminToken.existingSecretKey", "not a key"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("existingSecretKey");
    }

    @Test
    void anUpgradeKeepsTheTokensTheClusterHasAndGeneratesOnlyTheMissingOne() throws Exception {
        // the Secret of a release made by chart 0.1.0: a cluster token, no admin token
        try (FakeApiServer cluster = FakeApiServer.withSecret(FULLNAME, Map.of("cluster-token", "b2xkLXRva2Vu"))) {
            Rendered rendered = renderAgainst(tmp, cluster.kubeconfig());
            Map<String, Object> data = map(rendered.one("Secret", FULLNAME), "data");

            assertThat(data.get("cluster-token")).isEqualTo("b2xkLXRva2Vu"); // kept byte for byte
            assertThat(decode(data.get("admin-token"))).matches("[A-Za-z0-9]{40}");
            assertThat(cluster.requests()).contains("GET /api/v1/namespaces/" + NAMESPACE + "/secrets/" + FULLNAME)
                    .allMatch(r -> r.startsWith("GET /api/v1"));
        }
    }

    @Test
    void aFirstInstallGeneratesBothTokens() throws Exception {
        try (FakeApiServer cluster = FakeApiServer.withSecret(FULLNAME, null)) {
            Map<String, Object> data = map(renderAgainst(tmp, cluster.kubeconfig()).one("Secret", FULLNAME), "data");

            assertThat(decode(data.get("cluster-token"))).matches("[A-Za-z0-9]{40}");
            assertThat(decode(data.get("admin-token"))).matches("[A-Za-z0-9]{40}")
                    .isNotEqualTo(decode(data.get("cluster-token")));
        }
    }

    // ------------------------------------------------------------------ scheduling
    /** The part of a Kubernetes API server that helm's lookup of one Secret reads. */
    static final class FakeApiServer implements AutoCloseable {

        private final HttpServer server;
        private final List<String> requests = new CopyOnWriteArrayList<>();

        /** {@code data}: the Secret's base64 data; null for no such Secret. */
        static FakeApiServer withSecret(String name, Map<String, String> data) throws IOException {
            return new FakeApiServer(name, data);
        }

        private FakeApiServer(String name, Map<String, String> data) throws IOException {
            String secretPath = "/api/v1/namespaces/" + NAMESPACE + "/secrets/" + name;
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                requests.add(exchange.getRequestMethod() + " " + path);
                if (path.equals("/api/v1")) {
                    respond(exchange, 200, Map.of("kind", "APIResourceList", "apiVersion", "v1", "groupVersion", "v1",
                            "resources", List.of(Map.of("name", "secrets", "singularName", "secret",
                                    "namespaced", true, "kind", "Secret", "verbs", List.of("get", "list")))));
                } else if (path.equals(secretPath) && data != null) {
                    respond(exchange, 200, Map.of("apiVersion", "v1", "kind", "Secret", "type", "Opaque",
                            "metadata", Map.of("name", name, "namespace", NAMESPACE), "data", data));
                } else {
                    respond(exchange, 404, Map.of("apiVersion", "v1", "kind", "Status", "status", "Failure",
                            "reason", "NotFound", "code", 404, "message", path + " not found"));
                }
            });
            server.start();
        }

        String kubeconfig() {
            return """
                    apiVersion: v1
                    kind: Config
                    clusters:
                      - name: fake
                        cluster:
                          server: http://%s:%d
                    users:
                      - name: fake
                        user: {}
                    contexts:
                      - name: fake
                        context:
                          cluster: fake
                          user: fake
                    current-context: fake
                    """.formatted(server.getAddress().getHostString(), server.getAddress().getPort());
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
