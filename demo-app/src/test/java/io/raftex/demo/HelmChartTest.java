package io.raftex.demo;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.StringUtils;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Helm chart in {@code helm/raftex-demo}, checked with a real helm (helm-java bundles one): it lints, it renders,
 * and the rendered objects have the shape a Raft StatefulSet needs. A bad value fails against values.schema.json.
 * The dashboard and the alerts query only metrics that docs/operations.md lists and the code registers, and the
 * {@code helm test} script is run against a fake member.
 *
 * <p>Two limits of helm-java's {@code template} shape these tests. It leaves hooks out, so {@link #renderHooks}
 * renders a copy of the chart whose hook annotations are renamed. And it evaluates {@code lookup} against a cluster
 * (there is none here) instead of returning nothing as {@code helm template} does: the chart only looks up its Secret
 * when it has a token to generate, so {@link #render} gives both tokens as values, and the tests of generated tokens
 * render in a child JVM pointed at a {@link FakeApiServer} ({@link #renderAgainst}).
 */
class HelmChartTest {

    private static final Path CHART = Path.of("..", "helm", "raftex-demo").toAbsolutePath().normalize();
    private static final Path OPERATIONS_MD = CHART.resolve("../../docs/operations.md").normalize();
    private static final Path AUTOCONFIGURE_SOURCES =
            CHART.resolve("../../raft-autoconfigure/src/main/java").normalize();
    private static final String RELEASE = "demo";
    private static final String NAMESPACE = "kv";
    private static final String FULLNAME = "demo-raftex-demo";
    private static final Map<String, Object> SELECTOR =
            Map.of("app.kubernetes.io/name", "raftex-demo", "app.kubernetes.io/instance", RELEASE);
    /** What {@link #renderHooks} renames {@code helm.sh/hook} to. */
    private static final String RENAMED_HOOK = "rendered-for-test/hook";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    private static Helm helm() {
        assertThat(CHART.resolve("Chart.yaml")).exists();
        return new Helm(CHART);
    }

    /**
     * Renders the chart with {@code values} ("key", value, ...) and parses every document. The tokens are given
     * values unless the test sets something of theirs, so that the chart needs no lookup.
     */
    private static Rendered render(Object... values) {
        return Rendered.parse(template(CHART, withTokens(values)));
    }

    private static String template(Path chart, Object... values) {
        var template = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (int i = 0; i < values.length; i += 2) {
            template.set((String) values[i], values[i + 1]);
        }
        return template.call();
    }

    private static Object[] withTokens(Object... values) {
        List<Object> all = new ArrayList<>(Arrays.asList(values));
        for (String token : List.of("clusterToken", "adminToken")) {
            boolean given = false;
            for (int i = 0; i < values.length; i += 2) {
                given |= ((String) values[i]).startsWith(token + ".");
            }
            if (!given) {
                all.add(token + ".value");
                all.add("test-" + token);
            }
        }
        return all.toArray();
    }

    /**
     * Renders the chart's hooks too: a copy of the chart whose {@code helm.sh/hook*} annotations are renamed to
     * {@link #RENAMED_HOOK}{@code *}, so that helm-java's template keeps the objects.
     */
    private Rendered renderHooks(Object... values) throws IOException {
        Path copy = tmp.resolve("chart-with-hooks-rendered");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.writeString(target, Files.readString(file).replace("\"helm.sh/hook", "\"" + RENAMED_HOOK));
                }
            }
        }
        return Rendered.parse(template(copy, withTokens(values)));
    }

    /** Renders the chart with no token values, in a child JVM whose helm reads the cluster from {@code cluster}. */
    private Rendered renderAgainst(FakeApiServer cluster) throws Exception {
        Path kubeconfig = tmp.resolve("kubeconfig");
        Files.writeString(kubeconfig, cluster.kubeconfig());
        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TemplateInChildJvm.class.getName(), CHART.toString())
                .redirectOutput(tmp.resolve("child.out").toFile())
                .redirectError(tmp.resolve("child.err").toFile());
        child.environment().put("KUBECONFIG", kubeconfig.toString());
        int exitCode = finish(child.start(), 120);
        assertThat(exitCode).as(Files.readString(tmp.resolve("child.err"))).isZero();
        return Rendered.parse(Files.readString(tmp.resolve("child.out")));
    }

    /** The exit code of {@code process}, which gets at most {@code seconds} to end. */
    private static int finish(Process process, int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("still running after " + seconds + " s: " + process.info().commandLine().orElse("?"));
        }
        return process.exitValue();
    }

    /**
     * Main of the child JVM of {@link #renderAgainst}: its environment (KUBECONFIG) is read once by helm's native
     * library when it loads, which a running JVM cannot change for itself.
     */
    public static final class TemplateInChildJvm {

        public static void main(String[] args) {
            System.out.print(template(Path.of(args[0])));
        }
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

    // ------------------------------------------------------------------ tokens

    @Test
    void theTokensComeFromTheChartsSecretAnOrdinaryReleaseObject() {
        Rendered rendered = render("clusterToken.value", "s3cret", "adminToken.value", "adm1n");
        Map<String, Object> secret = rendered.one("Secret", FULLNAME);
        Map<String, Object> sts = rendered.one("StatefulSet", FULLNAME);

        assertThat(at(secret, "data.cluster-token")).isEqualTo("czNjcmV0"); // base64 of s3cret
        assertThat(at(secret, "data.admin-token")).isEqualTo("YWRtMW4="); // base64 of adm1n
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
            Rendered rendered = renderAgainst(cluster);
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
            Map<String, Object> data = map(renderAgainst(cluster).one("Secret", FULLNAME), "data");

            assertThat(decode(data.get("cluster-token"))).matches("[A-Za-z0-9]{40}");
            assertThat(decode(data.get("admin-token"))).matches("[A-Za-z0-9]{40}")
                    .isNotEqualTo(decode(data.get("cluster-token")));
        }
    }

    // ------------------------------------------------------------------ scheduling

    @Test
    void membersSpreadAcrossZonesAndPreferDifferentNodes() {
        Map<String, Object> pod = map(render().one("StatefulSet", FULLNAME), "spec.template.spec");

        List<Map<String, Object>> spread = list(pod, "topologySpreadConstraints");
        assertThat(spread).hasSize(1);
        assertThat(spread.get(0)).containsEntry("topologyKey", "topology.kubernetes.io/zone")
                .containsEntry("maxSkew", 1).containsEntry("whenUnsatisfiable", "ScheduleAnyway");
        assertThat(at(spread.get(0), "labelSelector.matchLabels")).isEqualTo(SELECTOR);
        List<Map<String, Object>> antiAffinity = list(pod,
                "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution");
        assertThat(at(antiAffinity.get(0), "podAffinityTerm.topologyKey")).isEqualTo("kubernetes.io/hostname");
    }

    @Test
    void theZoneSpreadCanBeRequiredReplacedOrTurnedOff() {
        Map<String, Object> hard = this.<Map<String, Object>>list(render("topologySpread.whenUnsatisfiable",
                "DoNotSchedule", "topologySpread.maxSkew", 2).one("StatefulSet", FULLNAME),
                "spec.template.spec.topologySpreadConstraints").get(0);
        assertThat(hard).containsEntry("whenUnsatisfiable", "DoNotSchedule").containsEntry("maxSkew", 2);

        List<Map<String, Object>> own = list(render(
                "topologySpreadConstraints[0].topologyKey", "kubernetes.io/hostname",
                "topologySpreadConstraints[0].maxSkew", 1,
                "topologySpreadConstraints[0].whenUnsatisfiable", "DoNotSchedule").one("StatefulSet", FULLNAME),
                "spec.template.spec.topologySpreadConstraints");
        assertThat(own).containsExactly(Map.of("topologyKey", "kubernetes.io/hostname", "maxSkew", 1,
                "whenUnsatisfiable", "DoNotSchedule"));

        assertThat(at(render("topologySpread.enabled", false).one("StatefulSet", FULLNAME),
                "spec.template.spec.topologySpreadConstraints")).isNull();
        assertThatThrownBy(() -> render("topologySpread.whenUnsatisfiable", "Sometimes"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("whenUnsatisfiable");
    }

    // ------------------------------------------------------------------ monitoring

    @Test
    void monitoringObjectsAreRenderedOnlyWhenAskedFor() throws Exception {
        Rendered plain = render();
        assertThat(plain.all("ServiceMonitor")).isEmpty();
        assertThat(plain.all("ConfigMap")).isEmpty();
        assertThat(plain.all("PrometheusRule")).isEmpty();

        Rendered monitored = render("metrics.serviceMonitor.enabled", true,
                "metrics.grafanaDashboard.enabled", true);
        Map<String, Object> monitor = monitored.one("ServiceMonitor", FULLNAME);
        Map<String, Object> endpoint = this.<Map<String, Object>>list(monitor, "spec.endpoints").get(0);
        assertThat(endpoint.get("path")).isEqualTo("/actuator/prometheus");
        assertThat(endpoint.get("port")).isEqualTo("http");
        assertThat(endpoint.get("relabelings")).isEqualTo(List.of(Map.of(
                "sourceLabels", List.of("__meta_kubernetes_pod_name"), "targetLabel", "instance")));
        assertThat(at(monitor, "spec.selector.matchLabels.['app.kubernetes.io/component']")).isEqualTo("peers");

        Map<String, Object> dashboard = monitored.one("ConfigMap", FULLNAME + "-dashboard");
        assertThat(at(dashboard, "metadata.labels.grafana_dashboard")).isEqualTo("1");
        assertThat(((String) at(dashboard, "data.['raftex-raft.json']")).strip())
                .isEqualTo(Files.readString(CHART.resolve("dashboards/raft.json")).strip());
    }

    @Test
    void theDashboardIsValidJsonOverMetricsTheMembersEmit() throws Exception {
        Map<String, Object> dashboard = cast(JSON.readValue(Files.readString(CHART.resolve("dashboards/raft.json")),
                Map.class));
        List<Map<String, Object>> panels = panels(dashboard);
        List<Map<String, Object>> variables = list(dashboard, "templating.list");

        assertThat(dashboard.get("title")).isEqualTo("RaftEx");
        assertThat(panels).hasSizeGreaterThanOrEqualTo(20);
        assertThat(panels).extracting(p -> p.get("id")).doesNotHaveDuplicates();
        assertThat(variables).extracting(v -> v.get("name"))
                .containsExactly("datasource", "namespace", "job", "instance", "group");

        Set<String> queried = new TreeSet<>();
        List<String> expressions = new ArrayList<>();
        for (Map<String, Object> panel : panels) {
            assertThat(panel).as("panel %s", panel.get("title")).containsKey("gridPos");
            if (!"row".equals(panel.get("type"))) {
                List<Map<String, Object>> targets = list(panel, "targets");
                assertThat(targets).as("targets of %s", panel.get("title")).isNotEmpty();
                targets.forEach(t -> expressions.add((String) t.get("expr")));
            }
        }
        for (Map<String, Object> variable : variables.subList(1, variables.size())) {
            String query = (String) at(variable, "query.query");
            assertThat(query).startsWith("label_values(");
            expressions.add(query.substring("label_values(".length(), query.lastIndexOf(',')));
        }
        for (String expr : expressions) {
            queried.addAll(PromQl.metricNames(expr));
            // every $variable is one the dashboard defines, or one of Grafana's own
            Matcher variable = Pattern.compile("\\$(\\w+)").matcher(expr);
            while (variable.find()) {
                assertThat(variable.group(1)).as(expr).isIn("namespace", "job", "instance", "group", "__rate_interval");
            }
        }

        assertThat(queried).contains("raft_leader", "raft_term", "raft_role", "raft_commit_index",
                "raft_applied_index", "raft_leader_changes_total", "raft_storage_commit_seconds_bucket",
                "raft_rpc_seconds_count", "resilience4j_circuitbreaker_state");
        EmittedMetrics.documented().assertEmitsAll(queried);
    }

    @Test
    void thePrometheusRuleAlertsOnMetricsTheMembersEmit() throws Exception {
        Map<String, Object> rule = render("metrics.prometheusRule.enabled", true,
                "metrics.prometheusRule.labels.release", "prometheus").one("PrometheusRule", FULLNAME);
        List<Map<String, Object>> rules = rules(rule);

        assertThat(at(rule, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        assertThat(at(rule, "metadata.labels.release")).isEqualTo("prometheus");
        assertThat(rules).extracting(r -> r.get("alert")).containsExactly("RaftNoLeader",
                "RaftFrequentLeaderChanges", "RaftSlowStorageCommits", "RaftPeerRpcFailures", "RaftPeerCircuitOpen",
                "RaftFollowerBehind", "RaftApplyLag");
        Map<String, Object> noLeader = rules.get(0);
        assertThat(noLeader.get("expr")).isEqualTo("sum by (namespace, job, group) (raft_leader{namespace=\""
                + NAMESPACE + "\",job=\"" + FULLNAME + "-headless\"}) == 0");
        assertThat(noLeader).containsEntry("for", "1m");
        assertThat(at(noLeader, "labels.severity")).isEqualTo("critical");
        // Prometheus's own templates are passed through, not expanded by Helm
        assertThat((String) at(noLeader, "annotations.summary")).contains("{{ $labels.group }}");

        Set<String> queried = new TreeSet<>();
        for (Map<String, Object> r : rules) {
            String expr = (String) r.get("expr");
            assertThat(expr).as(expr).doesNotContain("{}", "{,").contains("job=\"" + FULLNAME + "-headless\"");
            assertThat(StringUtils.countOccurrencesOf(expr, "(")).as(expr)
                    .isEqualTo(StringUtils.countOccurrencesOf(expr, ")"));
            queried.addAll(PromQl.metricNames(expr));
        }
        assertThat(queried).contains("raft_leader", "raft_leader_changes_total", "raft_storage_commit_seconds_bucket",
                "raft_rpc_seconds_count", "resilience4j_circuitbreaker_state", "raft_commit_index",
                "raft_applied_index");
        EmittedMetrics.documented().assertEmitsAll(queried);
    }

    @Test
    void theAlertsThresholdsSelectorAndLabelsAreValues() {
        List<Map<String, Object>> rules = rules(render("metrics.prometheusRule.enabled", true,
                "metrics.prometheusRule.selector", "app=\"kv\"",
                "metrics.prometheusRule.additionalAlertLabels.team", "storage",
                "metrics.prometheusRule.leaderChanges.threshold", 7,
                "metrics.prometheusRule.leaderChanges.window", "1h",
                "metrics.prometheusRule.slowStorageCommits.thresholdSeconds", "0.25",
                "metrics.prometheusRule.peerRpcFailures.ratio", 0.1,
                "metrics.prometheusRule.applyLag.thresholdEntries", 5000,
                "metrics.prometheusRule.noLeader.severity", "page",
                "metrics.prometheusRule.peerCircuitOpen.enabled", false).one("PrometheusRule", FULLNAME));
        Map<String, Map<String, Object>> byName = rules.stream()
                .collect(Collectors.toMap(r -> (String) r.get("alert"), r -> r));

        assertThat(byName).doesNotContainKey("RaftPeerCircuitOpen");
        assertThat((String) byName.get("RaftFrequentLeaderChanges").get("expr"))
                .isEqualTo("max by (namespace, job, group) (increase(raft_leader_changes_total{app=\"kv\"}[1h])) > 7");
        assertThat((String) byName.get("RaftSlowStorageCommits").get("expr")).endsWith(") > 0.25");
        assertThat((String) byName.get("RaftPeerRpcFailures").get("expr")).endsWith(") > 0.1");
        assertThat((String) byName.get("RaftApplyLag").get("expr")).endsWith(" > 5000");
        assertThat(at(byName.get("RaftNoLeader"), "labels")).isEqualTo(Map.of("severity", "page", "team", "storage"));
        assertThatThrownBy(() -> render("metrics.prometheusRule.noLeader.for", "a minute"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("noLeader.for");
        assertThatThrownBy(() -> render("metrics.prometheusRule.peerRpcFailures.ratio", "most"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("peerRpcFailures.ratio");
    }

    // ------------------------------------------------------------------ helm test

    @Test
    void helmTestIsAHookPodThatChecksTheLeaderAndAWriteThroughTheClientService() throws Exception {
        Map<String, Object> pod = renderHooks("adminToken.value", "adm1n").one("Pod", FULLNAME + "-test");
        Map<String, Object> container = this.<Map<String, Object>>list(pod, "spec.containers").get(0);

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
        String script = this.<String>list(container, "args").get(0);
        assertThat(script).contains("/raft/admin/groups/$GROUP", "leaderId", "-X PUT", "$BASE_URL/kv/$key");

        Map<String, Object> own = renderHooks("tests.image.repository", "registry.example/curl",
                "tests.image.tag", "8.12.0", "adminToken.enabled", false).one("Pod", FULLNAME + "-test");
        assertThat(this.<Map<String, Object>>list(own, "spec.containers").get(0).get("image"))
                .isEqualTo("registry.example/curl:8.12.0");
        assertThat(envVars(own)).doesNotContain("ADMIN_TOKEN");
    }

    @Test
    void theHelmTestScriptPassesOnAGroupWithALeaderAndFailsOtherwise() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")) && onPath("curl"), "needs sh and curl");
        Map<String, Object> pod = renderHooks("adminToken.value", "adm1n").one("Pod", FULLNAME + "-test");
        String script = this.<String>list(this.<Map<String, Object>>list(pod, "spec.containers").get(0), "args").get(0);

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
        assertThatThrownBy(() -> render("replicaCuont", 3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("replicaCuont");
    }

    // ------------------------------------------------------------------ helpers

    private static String member(int ordinal) {
        String pod = FULLNAME + "-" + ordinal;
        return pod + "=http://" + pod + "." + FULLNAME + "-headless." + NAMESPACE + ".svc.cluster.local:8080";
    }

    /** The one container of a StatefulSet's pods, or of a Pod. */
    private static Map<String, Object> container(Map<String, Object> object) {
        String path = "Pod".equals(object.get("kind")) ? "spec.containers" : "spec.template.spec.containers";
        List<Map<String, Object>> containers = list(object, path);
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    private static Map<String, Object> envVar(Map<String, Object> object, String name) {
        List<Map<String, Object>> env = list(container(object), "env");
        return env.stream().filter(e -> name.equals(e.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + env));
    }

    private static String env(Map<String, Object> object, String name) {
        return (String) envVar(object, name).get("value");
    }

    private static List<Object> envVars(Map<String, Object> object) {
        return HelmChartTest.<Map<String, Object>>list(container(object), "env").stream()
                .map(e -> e.get("name")).toList();
    }

    private static String decode(Object base64) {
        return new String(Base64.getDecoder().decode((String) base64), StandardCharsets.UTF_8);
    }

    /** Every panel of a dashboard, those inside collapsed rows included. */
    private static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
        List<Map<String, Object>> panels = new ArrayList<>();
        for (Map<String, Object> panel : HelmChartTest.<Map<String, Object>>list(dashboard, "panels")) {
            panels.add(panel);
            if (panel.get("panels") instanceof List<?> nested) {
                nested.forEach(p -> panels.add(cast(p)));
            }
        }
        return panels;
    }

    private static List<Map<String, Object>> rules(Map<String, Object> prometheusRule) {
        List<Map<String, Object>> groups = list(prometheusRule, "spec.groups");
        assertThat(groups).hasSize(1);
        return list(groups.get(0), "rules");
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object map) {
        return (Map<String, Object>) map;
    }

    private static Map<String, Object> map(Map<String, Object> object, String path) {
        Object value = at(object, path);
        assertThat(value).as(path).isInstanceOf(Map.class);
        return cast(value);
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

    /** Metric names in a PromQL expression: its identifiers, less functions, keywords, labels and durations. */
    static final class PromQl {

        private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
                "on", "ignoring", "group_left", "group_right", "inf", "nan");
        private static final Pattern IDENTIFIER =
                Pattern.compile("(?<![\\w:.])[a-zA-Z_:][\\w:]*+(?!\\s*\\()");

        static Set<String> metricNames(String expr) {
            String bare = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                    .replaceAll("\\{[^}]*}", " ")
                    .replaceAll("\\[[^]]*]", " ")
                    .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
            Set<String> names = new TreeSet<>();
            Matcher identifier = IDENTIFIER.matcher(bare);
            while (identifier.find()) {
                if (!KEYWORDS.contains(identifier.group().toLowerCase())) {
                    names.add(identifier.group());
                }
            }
            return names;
        }
    }

    /**
     * The metrics docs/operations.md lists in its "Metrics" section, by Prometheus name. A timer's row names a family
     * ({@code raft_rpc_seconds_*}: {@code _count}, {@code _sum}, {@code _max}, {@code _bucket}).
     */
    private record EmittedMetrics(Map<String, String> meterByName, Map<String, String> meterByFamily,
                                  Set<String> others, String autoconfigureSources) {

        private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.]+)` \\| `([a-z0-9_]+?)(_\\*)?`",
                Pattern.MULTILINE);
        private static final Pattern MENTION = Pattern.compile("`((?:raft|resilience4j)_[a-z0-9_]*[a-z0-9])");

        static EmittedMetrics documented() throws IOException {
            String doc = Files.readString(OPERATIONS_MD);
            int start = doc.indexOf("\n## Metrics");
            assertThat(start).as("a Metrics section in " + OPERATIONS_MD).isPositive();
            int end = doc.indexOf("\n## ", start + 1);
            String section = doc.substring(start, end < 0 ? doc.length() : end);
            Map<String, String> byName = new LinkedHashMap<>();
            Map<String, String> byFamily = new LinkedHashMap<>();
            Matcher row = ROW.matcher(section);
            while (row.find()) {
                (row.group(3) == null ? byName : byFamily).put(row.group(2), row.group(1));
            }
            Set<String> others = new TreeSet<>();
            Matcher mention = MENTION.matcher(section);
            while (mention.find()) {
                others.add(mention.group(1));
            }
            assertThat(byName).as("rows of the Metrics table").containsKeys("raft_leader", "raft_term");
            StringBuilder sources = new StringBuilder();
            try (Stream<Path> files = Files.walk(AUTOCONFIGURE_SOURCES)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    sources.append(Files.readString(file));
                }
            }
            return new EmittedMetrics(byName, byFamily, others, sources.toString());
        }

        /** Each name is documented, and a {@code raft_*} one's meter is registered by raft-autoconfigure. */
        void assertEmitsAll(Set<String> names) {
            for (String name : names) {
                String meter = meterByName.get(name);
                if (meter == null) {
                    Matcher timer = Pattern.compile("(.+)_(count|sum|max|bucket)").matcher(name);
                    meter = timer.matches() ? meterByFamily.get(timer.group(1)) : null;
                }
                if (meter != null) {
                    assertThat(autoconfigureSources).as("meter %s (%s) in raft-autoconfigure", meter, name)
                            .contains("\"" + meter + "\"");
                } else if (!name.startsWith("resilience4j_") || !others.contains(name)) {
                    fail(name + " is not a metric docs/operations.md lists (" + meterByName.keySet() + ", "
                            + meterByFamily.keySet() + "_*, " + others + ")");
                }
            }
        }
    }

    /** The part of a Kubernetes API server that helm's lookup of one Secret reads. */
    private static final class FakeApiServer implements AutoCloseable {

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

    private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** What the {@code helm test} script prints, and how it exits. */
    private record ScriptRun(int exitCode, String output) {
    }

    /**
     * A member's HTTP API as the {@code helm test} script uses it: the group's status with {@code leaderId}, and
     * {@code /kv} (or one that reads back another value). Records "method path bearer-token-or-body".
     */
    private static final class FakeMember implements AutoCloseable {

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
