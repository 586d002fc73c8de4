package io.raftex.demo;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.raftex.demo.HelmChart.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart in {@code helm/raftex-demo}: it lints strictly, it renders the objects a Raft StatefulSet needs
 * (stable member names, a volume per member, probes, Services, a disruption budget, spread across zones), and a bad
 * value fails against values.schema.json. Tokens, monitoring and {@code helm test} have test classes of their own.
 */
class HelmChartTest {
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
        Map<String, Object> hard = HelmChart.<Map<String, Object>>list(render("topologySpread.whenUnsatisfiable",
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
        assertThatThrownBy(() -> render("adminToken.value", "adm1n")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("value");
        assertThatThrownBy(() -> render("replicaCuont", 3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("replicaCuont");
    }
}
