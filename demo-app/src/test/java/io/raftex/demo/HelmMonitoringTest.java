package io.raftex.demo;

import com.marcnuri.helm.Helm;
import org.junit.jupiter.api.Test;
import org.springframework.util.StringUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.raftex.demo.HelmChart.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The chart's monitoring objects: the ServiceMonitor, the Grafana dashboard and the PrometheusRule render only when
 * asked for, and the dashboard and the alerts query only metrics that docs/operations.md lists and raft-autoconfigure
 * registers.
 */
class HelmMonitoringTest {

    private static final Path OPERATIONS_MD = CHART.resolve("../../docs/operations.md").normalize();
    private static final Path AUTOCONFIGURE_SOURCES =
            CHART.resolve("../../raft-autoconfigure/src/main/java").normalize();
    @Test
    void monitoringObjectsAreRenderedOnlyWhenAskedFor() throws Exception {
        Rendered plain = render();
        assertThat(plain.all("ServiceMonitor")).isEmpty();
        assertThat(plain.all("ConfigMap")).isEmpty();
        assertThat(plain.all("PrometheusRule")).isEmpty();

        Rendered monitored = render("metrics.serviceMonitor.enabled", true,
                "metrics.grafanaDashboard.enabled", true);
        Map<String, Object> monitor = monitored.one("ServiceMonitor", FULLNAME);
        Map<String, Object> endpoint = HelmChart.<Map<String, Object>>list(monitor, "spec.endpoints").get(0);
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
                "raft_rpc_seconds_count", "resilience4j_circuitbreaker_state", "raft_commands_total",
                "raft_queries_total", "raft_follower_lag", "raft_snapshots_taken_total",
                "raft_snapshots_installed_total", "raft_snapshot_install_failures_total",
                "raft_snapshot_sent_bytes_total", "raft_snapshot_received_bytes_total",
                "raft_snapshot_install_received_bytes", "raft_snapshot_install_size_bytes",
                "raft_snapshot_duration_seconds_count");
        // the outcome-tagged commands are shown by outcome, and the follower lag per peer
        assertThat(expressions).anyMatch(e -> e.contains("raft_commands_total") && e.contains("outcome)"))
                .anyMatch(e -> e.contains("raft_follower_lag") && e.contains("peer)"));
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
                "RaftFollowerBehind", "RaftApplyLag", "RaftSnapshotInstallsFailing");
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
                "raft_applied_index", "raft_snapshot_install_failures_total");
        assertThat(rules.get(rules.size() - 1).get("expr")).isEqualTo("sum by (namespace, job, instance, group)"
                + " (increase(raft_snapshot_install_failures_total{namespace=\"" + NAMESPACE + "\",job=\"" + FULLNAME
                + "-headless\"}[15m])) > 1");
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
                "metrics.prometheusRule.snapshotInstallFailures.threshold", 4,
                "metrics.prometheusRule.snapshotInstallFailures.window", "1h",
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
        assertThat((String) byName.get("RaftSnapshotInstallsFailing").get("expr"))
                .isEqualTo("sum by (namespace, job, instance, group) (increase(raft_snapshot_install_failures_total"
                        + "{app=\"kv\"}[1h])) > 4");
        assertThat(at(byName.get("RaftNoLeader"), "labels")).isEqualTo(Map.of("severity", "page", "team", "storage"));
        assertThatThrownBy(() -> render("metrics.prometheusRule.noLeader.for", "a minute"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("noLeader.for");
        assertThatThrownBy(() -> render("metrics.prometheusRule.peerRpcFailures.ratio", "most"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("peerRpcFailures.ratio");
    }

    // ------------------------------------------------------------------ helm test
    /** Every panel of a dashboard, those inside collapsed rows included. */
    static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
        List<Map<String, Object>> panels = new ArrayList<>();
        for (Map<String, Object> panel : HelmChart.<Map<String, Object>>list(dashboard, "panels")) {
            panels.add(panel);
            if (panel.get("panels") instanceof List<?> nested) {
                nested.forEach(p -> panels.add(cast(p)));
            }
        }
        return panels;
    }

    static List<Map<String, Object>> rules(Map<String, Object> prometheusRule) {
        List<Map<String, Object>> groups = list(prometheusRule, "spec.groups");
        assertThat(groups).hasSize(1);
        return list(groups.get(0), "rules");
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
    record EmittedMetrics(Map<String, String> meterByName, Map<String, String> meterByFamily,
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

}
