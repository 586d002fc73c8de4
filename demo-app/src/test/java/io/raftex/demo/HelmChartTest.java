package io.raftex.demo;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart in {@code helm/raftex-demo}, checked with a real helm (helm-java bundles one): it lints, it renders,
 * and the rendered objects have the shape a Raft StatefulSet needs. A bad value fails against values.schema.json.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("..", "helm", "raftex-demo").toAbsolutePath().normalize();
    private static final String RELEASE = "demo";
    private static final String NAMESPACE = "kv";
    private static final String FULLNAME = "demo-raftex-demo";

    private static Helm helm() {
        assertThat(CHART.resolve("Chart.yaml")).exists();
        return new Helm(CHART);
    }

    /** Renders the chart with {@code values} ("key", value, ...) and parses every document. */
    private static Rendered render(Object... values) {
        var template = helm().template().withName(RELEASE).withNamespace(NAMESPACE);
        for (int i = 0; i < values.length; i += 2) {
            template.set((String) values[i], values[i + 1]);
        }
        return Rendered.parse(template.call());
    }

    @Test
    void lintPassesStrictly() {
        LintResult lint = helm().lint().strict().call();

        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void rendersAStatefulSetWithParallelPodsOnTheHeadlessService() {
        Map<String, Object> sts = render().one("StatefulSet", FULLNAME);

        assertThat(at(sts, "spec.podManagementPolicy")).isEqualTo("Parallel");
        assertThat(at(sts, "spec.serviceName")).isEqualTo(FULLNAME + "-headless");
        assertThat(at(sts, "spec.replicas")).isEqualTo(3);
        assertThat(at(sts, "metadata.namespace")).isIn(null, NAMESPACE);
    }

    @Test
    void membersAreTheStablePodDnsNamesOfEveryReplica() {
        Map<String, Object> sts = render().one("StatefulSet", FULLNAME);

        List<String> members = Arrays.asList(env(sts, "RAFT_MEMBERS").split(","));

        assertThat(members).containsExactly(
                member(0), member(1), member(2));
        assertThat(env(sts, "RAFT_NODE_ID")).isEqualTo("$(POD_NAME)");
        assertThat(at(envVar(sts, "POD_NAME"), "valueFrom.fieldRef.fieldPath")).isEqualTo("metadata.name");
    }

    @Test
    void fiveReplicasGiveFiveMembers() {
        Rendered rendered = render("replicaCount", 5);
        Map<String, Object> sts = rendered.one("StatefulSet", FULLNAME);

        List<String> members = Arrays.asList(env(sts, "RAFT_MEMBERS").split(","));

        assertThat(at(sts, "spec.replicas")).isEqualTo(5);
        assertThat(members).hasSize(5).containsExactly(member(0), member(1), member(2), member(3), member(4));
    }

    @Test
    void theClusterDomainAndContainerPortShapeTheMemberUrls() {
        Map<String, Object> sts = render("clusterDomain", "example.internal", "containerPort", 9090)
                .one("StatefulSet", FULLNAME);

        assertThat(env(sts, "RAFT_MEMBERS")).startsWith(FULLNAME + "-0=http://" + FULLNAME + "-0." + FULLNAME
                + "-headless." + NAMESPACE + ".svc.example.internal:9090,");
        assertThat(env(sts, "SERVER_PORT")).isEqualTo("9090");
    }

    @Test
    void eachPodHasAPersistentVolumeClaimForItsDataDir() {
        Map<String, Object> sts = render().one("StatefulSet", FULLNAME);

        List<Map<String, Object>> claims = list(sts, "spec.volumeClaimTemplates");
        assertThat(claims).hasSize(1);
        assertThat(at(claims.get(0), "metadata.name")).isEqualTo("data");
        assertThat(at(claims.get(0), "spec.resources.requests.storage")).isEqualTo("1Gi");
        assertThat(list(claims.get(0), "spec.accessModes")).containsExactly("ReadWriteOnce");
        List<Map<String, Object>> mounts = list(container(sts), "volumeMounts");
        assertThat(mounts).anySatisfy(m -> {
            assertThat(m.get("name")).isEqualTo("data");
            assertThat(m.get("mountPath")).isEqualTo("/data");
        });
        assertThat(env(sts, "RAFT_DATA_DIR")).isEqualTo("/data");
    }

    @Test
    void probesUseTheActuatorLivenessAndReadinessGroups() {
        Map<String, Object> container = container(render().one("StatefulSet", FULLNAME));

        assertThat(at(container, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat(at(container, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
        assertThat(at(container, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat(at(container, "livenessProbe.httpGet.port")).isEqualTo("http");
    }

    @Test
    void theHeadlessServicePublishesNotReadyPodsAndTheClientServiceIsClusterIp() {
        Rendered rendered = render();
        Map<String, Object> headless = rendered.one("Service", FULLNAME + "-headless");
        Map<String, Object> client = rendered.one("Service", FULLNAME);

        assertThat(at(headless, "spec.clusterIP")).isEqualTo("None");
        assertThat(at(headless, "spec.publishNotReadyAddresses")).isEqualTo(true);
        assertThat(at(client, "spec.type")).isEqualTo("ClusterIP");
        assertThat(at(client, "spec.publishNotReadyAddresses")).isNull();
        assertThat(at(client, "spec.selector")).isEqualTo(at(rendered.one("StatefulSet", FULLNAME),
                "spec.selector.matchLabels"));
    }

    @Test
    void aPodDisruptionBudgetLetsOneMemberGoAtATime() {
        Rendered rendered = render();
        Map<String, Object> pdb = rendered.one("PodDisruptionBudget", FULLNAME);

        assertThat(pdb.get("apiVersion")).isEqualTo("policy/v1");
        assertThat(at(pdb, "spec.maxUnavailable")).isEqualTo(1);
        assertThat(at(pdb, "spec.selector.matchLabels")).isEqualTo(at(rendered.one("StatefulSet", FULLNAME),
                "spec.selector.matchLabels"));
    }

    @Test
    void theClusterTokenComesFromTheChartsSecret() {
        Rendered rendered = render("clusterToken.value", "s3cret-cluster-token");
        Map<String, Object> secret = rendered.one("Secret", FULLNAME);
        Map<String, Object> token = envVar(rendered.one("StatefulSet", FULLNAME), "RAFT_SECURITY_CLUSTER_TOKEN");

        assertThat(at(secret, "data.cluster-token")).isEqualTo("czNjcmV0LWNsdXN0ZXItdG9rZW4="); // base64
        assertThat(at(token, "valueFrom.secretKeyRef.name")).isEqualTo(FULLNAME);
        assertThat(at(token, "valueFrom.secretKeyRef.key")).isEqualTo("cluster-token");
    }

    @Test
    void aGeneratedTokenIsAnInstallHookSoUpgradesKeepIt() {
        // helm-java renders the release's manifest without its hooks: the generated Secret is a pre-install hook
        Rendered rendered = render();
        Map<String, Object> token = envVar(rendered.one("StatefulSet", FULLNAME), "RAFT_SECURITY_CLUSTER_TOKEN");

        assertThat(rendered.all("Secret")).isEmpty();
        assertThat(at(token, "valueFrom.secretKeyRef.name")).isEqualTo(FULLNAME);
        assertThat(at(token, "valueFrom.secretKeyRef.key")).isEqualTo("cluster-token");
    }

    @Test
    void anExistingSecretReplacesTheChartsSecret() {
        Rendered rendered = render("clusterToken.existingSecret", "my-token", "clusterToken.existingSecretKey", "t");
        Map<String, Object> token = envVar(rendered.one("StatefulSet", FULLNAME), "RAFT_SECURITY_CLUSTER_TOKEN");

        assertThat(rendered.all("Secret")).isEmpty();
        assertThat(at(token, "valueFrom.secretKeyRef.name")).isEqualTo("my-token");
        assertThat(at(token, "valueFrom.secretKeyRef.key")).isEqualTo("t");
    }

    @Test
    void monitoringObjectsAreRenderedOnlyWhenAskedFor() {
        Rendered plain = render();
        assertThat(plain.all("ServiceMonitor")).isEmpty();
        assertThat(plain.all("ConfigMap")).isEmpty();

        Rendered monitored = render("metrics.serviceMonitor.enabled", true,
                "metrics.grafanaDashboard.enabled", true);
        Map<String, Object> monitor = monitored.one("ServiceMonitor", FULLNAME);
        Map<String, Object> endpoint = this.<Map<String, Object>>list(monitor, "spec.endpoints").get(0);
        assertThat(endpoint.get("path")).isEqualTo("/actuator/prometheus");
        assertThat(endpoint.get("port")).isEqualTo("http");
        assertThat(at(monitor, "spec.selector.matchLabels.['app.kubernetes.io/component']")).isEqualTo("peers");

        Map<String, Object> dashboard = monitored.one("ConfigMap", FULLNAME + "-dashboard");
        assertThat(at(dashboard, "metadata.labels.grafana_dashboard")).isEqualTo("1");
        String json = (String) at(dashboard, "data.['raftex-raft.json']");
        assertThat(json).contains("raft_term", "raft_commit_index", "raft_applied_index", "raft_leader",
                "raft_elections_total", "raft_command_latency", "raft_storage_commit", "raft_rpc",
                "resilience4j_circuitbreaker_state");
    }

    @Test
    void theDashboardIsValidJson() throws Exception {
        String json = Files.readString(CHART.resolve("dashboards/raft.json"));

        Map<?, ?> dashboard = tools.jackson.databind.json.JsonMapper.builder().build().readValue(json, Map.class);
        assertThat(dashboard.get("title")).isEqualTo("RaftEx");
        assertThat((List<?>) dashboard.get("panels")).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void replicaCountBelowOneIsRejectedByTheSchema() {
        assertThatThrownBy(() -> render("replicaCount", 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("replicaCount");
    }

    @Test
    void otherBadValuesAreRejectedByTheSchema() {
        assertThatThrownBy(() -> render("replicaCount", "three")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("replicaCount");
        assertThatThrownBy(() -> render("raft.storageSync", "sometimes")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("storageSync");
        assertThatThrownBy(() -> render("raft.electionTimeout", "soon")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("electionTimeout");
        assertThatThrownBy(() -> render("clusterToken.value", "s3cret")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("value"); // the node would refuse a token under 16 characters at startup
        assertThatThrownBy(() -> render("replicaCuont", 3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("replicaCuont");
    }

    // ------------------------------------------------------------------ helpers

    private static String member(int ordinal) {
        String pod = FULLNAME + "-" + ordinal;
        return pod + "=http://" + pod + "." + FULLNAME + "-headless." + NAMESPACE + ".svc.cluster.local:8080";
    }

    private static Map<String, Object> container(Map<String, Object> sts) {
        List<Map<String, Object>> containers = list(sts, "spec.template.spec.containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    private static Map<String, Object> envVar(Map<String, Object> sts, String name) {
        List<Map<String, Object>> env = list(container(sts), "env");
        return env.stream().filter(e -> name.equals(e.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + env));
    }

    private static String env(Map<String, Object> sts, String name) {
        return (String) envVar(sts, name).get("value");
    }

    /** The value at a dotted path; a segment in {@code ['...']} may contain dots. */
    @SuppressWarnings("unchecked")
    private static Object at(Map<String, Object> object, String path) {
        Object current = object;
        for (String segment : segments(path)) {
            if (!(current instanceof Map)) {
                return null;
            }
            current = ((Map<String, Object>) current).get(segment);
        }
        return current;
    }

    private static List<String> segments(String path) {
        List<String> segments = new ArrayList<>();
        int i = 0;
        while (i < path.length()) {
            if (path.startsWith("['", i)) {
                int end = path.indexOf("']", i);
                segments.add(path.substring(i + 2, end));
                i = end + 3;
            } else {
                int dot = path.indexOf('.', i);
                int end = dot < 0 ? path.length() : dot;
                segments.add(path.substring(i, end));
                i = end + 1;
            }
        }
        return segments;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Map<String, Object> object, String path) {
        Object value = at(object, path);
        assertThat(value).as(path).isInstanceOf(List.class);
        return (List<T>) value;
    }

    /** The objects of one rendering. */
    private record Rendered(List<Map<String, Object>> objects) {

        @SuppressWarnings("unchecked")
        static Rendered parse(String yaml) {
            List<Map<String, Object>> objects = new ArrayList<>();
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
                if (doc instanceof Map) {
                    objects.add((Map<String, Object>) doc);
                }
            }
            return new Rendered(objects);
        }

        List<Map<String, Object>> all(String kind) {
            return objects.stream().filter(o -> kind.equals(o.get("kind"))).collect(Collectors.toList());
        }

        Map<String, Object> one(String kind, String name) {
            Optional<Map<String, Object>> found = all(kind).stream()
                    .filter(o -> name.equals(at(o, "metadata.name"))).findFirst();
            return found.orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " among "
                    + objects.stream().map(o -> o.get("kind") + "/" + at(o, "metadata.name")).toList()));
        }
    }
}
