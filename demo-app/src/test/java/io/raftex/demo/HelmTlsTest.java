package io.raftex.demo;

import com.marcnuri.helm.DryRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.raftex.demo.HelmChart.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chart's TLS ({@code tls.*}: a certificate Secret mounted as the SSL bundle "raft" for the server and the
 * peers, https members, probes, helm test and scrapes) and its NetworkPolicy ({@code networkPolicy.*}).
 */
class HelmTlsTest {

    private static final String TLS_ENV_PREFIX = "SPRING_SSL_BUNDLE_PEM_RAFT_";
    private static final String SERVICE_HOST = FULLNAME + "." + NAMESPACE + ".svc.cluster.local";

    @TempDir
    Path tmp;

    private static String httpsMember(int ordinal) {
        return member(ordinal).replace("=http://", "=https://");
    }

    @Test
    void withoutTlsTheMembersProbesAndHelmTestUseHttpAndNothingIsMounted() throws Exception {
        Rendered rendered = renderHooks(tmp);
        Map<String, Object> sts = rendered.one("StatefulSet", FULLNAME);
        Map<String, Object> container = container(sts);

        assertThat(Arrays.asList(env(sts, "RAFT_MEMBERS").split(","))).containsExactly(member(0), member(1),
                member(2));
        assertThat(envVars(sts)).noneMatch(n -> ((String) n).startsWith("SPRING_SSL_")
                || ((String) n).startsWith("SERVER_SSL_") || ((String) n).startsWith("RAFT_RPC_SSL_"));
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(at(container, probe + ".httpGet.scheme")).as(probe).isEqualTo("HTTP");
        }
        assertThat(HelmChart.<Map<String, Object>>list(sts, "spec.template.spec.volumes"))
                .noneMatch(v -> "tls".equals(v.get("name")));
        Map<String, Object> test = rendered.one("Pod", FULLNAME + "-test");
        assertThat(env(test, "BASE_URL")).isEqualTo("http://" + FULLNAME + ":80");
        assertThat(envVars(test)).doesNotContain("CURL_CA_BUNDLE");
        assertThat(rendered.all("NetworkPolicy")).isEmpty();
    }

    @Test
    void tlsMountsTheSecretAsTheBundleOfTheServerAndThePeersWithHttpsMembersAndProbes() {
        Map<String, Object> sts = render("tls.enabled", true, "tls.secretName", "demo-tls")
                .one("StatefulSet", FULLNAME);
        Map<String, Object> container = container(sts);

        assertThat(Arrays.asList(env(sts, "RAFT_MEMBERS").split(","))).containsExactly(httpsMember(0),
                httpsMember(1), httpsMember(2));
        assertThat(env(sts, TLS_ENV_PREFIX + "KEYSTORE_CERTIFICATE")).isEqualTo("file:/etc/raftex/tls/tls.crt");
        assertThat(env(sts, TLS_ENV_PREFIX + "KEYSTORE_PRIVATEKEY")).isEqualTo("file:/etc/raftex/tls/tls.key");
        assertThat(env(sts, TLS_ENV_PREFIX + "TRUSTSTORE_CERTIFICATE")).isEqualTo("file:/etc/raftex/tls/ca.crt");
        assertThat(env(sts, TLS_ENV_PREFIX + "RELOADONUPDATE")).isEqualTo("true");
        assertThat(env(sts, "SERVER_SSL_BUNDLE")).isEqualTo("raft");
        assertThat(env(sts, "RAFT_RPC_SSL_BUNDLE")).isEqualTo("raft");
        // mutual TLS on the peer paths only: the kubelet's probes and clients present no certificate
        assertThat(env(sts, "SERVER_SSL_CLIENTAUTH")).isEqualTo("want");
        assertThat(env(sts, "RAFT_RPC_SSL_REQUIRECLIENTCERTIFICATE")).isEqualTo("true");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(at(container, probe + ".httpGet.scheme")).as(probe).isEqualTo("HTTPS");
        }
        assertThat(HelmChart.<Map<String, Object>>list(sts, "spec.template.spec.volumes"))
                .contains(Map.of("name", "tls", "secret", Map.of("secretName", "demo-tls")));
        assertThat(HelmChart.<Map<String, Object>>list(container, "volumeMounts"))
                .contains(Map.of("name", "tls", "mountPath", "/etc/raftex/tls", "readOnly", true));
    }

    @Test
    void theTlsVariablesBindToTheBundleAndTheProperties() {
        Map<String, Object> sts = render("tls.enabled", true, "tls.secretName", "demo-tls",
                "tls.certificateKey", "cert.pem", "tls.privateKeyKey", "key.pem", "tls.caKey", "ca.pem")
                .one("StatefulSet", FULLNAME);
        Map<String, Object> env = new LinkedHashMap<>();
        for (Map<String, Object> e : HelmChart.<Map<String, Object>>list(container(sts), "env")) {
            if (e.get("value") != null) {
                env.put((String) e.get("name"), e.get("value"));
            }
        }
        // Spring Boot's own binding of environment variables, as the application reads them
        MutablePropertySources sources = new MutablePropertySources();
        sources.addFirst(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
        Binder binder = new Binder(ConfigurationPropertySources.from(sources));

        assertThat(binder.bind("spring.ssl.bundle.pem.raft.keystore.certificate", String.class).get())
                .isEqualTo("file:/etc/raftex/tls/cert.pem");
        assertThat(binder.bind("spring.ssl.bundle.pem.raft.keystore.private-key", String.class).get())
                .isEqualTo("file:/etc/raftex/tls/key.pem");
        assertThat(binder.bind("spring.ssl.bundle.pem.raft.truststore.certificate", String.class).get())
                .isEqualTo("file:/etc/raftex/tls/ca.pem");
        assertThat(binder.bind("spring.ssl.bundle.pem.raft.reload-on-update", Boolean.class).get()).isTrue();
        assertThat(binder.bind("server.ssl.bundle", String.class).get()).isEqualTo("raft");
        assertThat(binder.bind("server.ssl.client-auth", String.class).get()).isEqualTo("want");
        assertThat(binder.bind("raft.rpc.ssl.bundle", String.class).get()).isEqualTo("raft");
        assertThat(binder.bind("raft.rpc.ssl.require-client-certificate", Boolean.class).get()).isTrue();
        assertThat(binder.bind("raft.members", String.class).get()).startsWith(FULLNAME + "-0=https://");
    }

    @Test
    void clientAuthNoneIsTlsWithoutClientCertificatesAndReloadCanBeTurnedOff() {
        Map<String, Object> sts = render("tls.enabled", true, "tls.secretName", "demo-tls", "tls.clientAuth", "none",
                "tls.reloadOnUpdate", false).one("StatefulSet", FULLNAME);

        assertThat(env(sts, "SERVER_SSL_BUNDLE")).isEqualTo("raft");
        assertThat(env(sts, TLS_ENV_PREFIX + "RELOADONUPDATE")).isEqualTo("false");
        assertThat(envVars(sts)).doesNotContain("SERVER_SSL_CLIENTAUTH", "RAFT_RPC_SSL_REQUIRECLIENTCERTIFICATE");
    }

    @Test
    void tlsWithoutASecretOrWithAnotherClientAuthIsRefused() {
        assertThatThrownBy(() -> render("tls.enabled", true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tls.enabled needs tls.secretName");
        // server.ssl.client-auth=need would refuse the kubelet's probes, which present no certificate
        assertThatThrownBy(() -> render("tls.enabled", true, "tls.secretName", "demo-tls", "tls.clientAuth", "need"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("clientAuth");
    }

    @Test
    void helmTestAndTheServiceMonitorUseHttpsTrustingTheCa() throws Exception {
        Rendered rendered = renderHooks(tmp, "tls.enabled", true, "tls.secretName", "demo-tls",
                "metrics.serviceMonitor.enabled", true);
        Map<String, Object> test = rendered.one("Pod", FULLNAME + "-test");

        assertThat(env(test, "BASE_URL")).isEqualTo("https://" + SERVICE_HOST + ":80");
        assertThat(env(test, "CURL_CA_BUNDLE")).isEqualTo("/etc/raftex/tls/ca.crt");
        assertThat(HelmChart.<Map<String, Object>>list(test, "spec.volumes"))
                .containsExactly(Map.of("name", "tls", "secret", Map.of("secretName", "demo-tls")));
        assertThat(HelmChart.<Map<String, Object>>list(container(test), "volumeMounts"))
                .containsExactly(Map.of("name", "tls", "mountPath", "/etc/raftex/tls", "readOnly", true));

        Map<String, Object> endpoint = HelmChart.<Map<String, Object>>list(
                rendered.one("ServiceMonitor", FULLNAME), "spec.endpoints").get(0);
        assertThat(endpoint.get("scheme")).isEqualTo("https");
        assertThat(at(endpoint, "tlsConfig.ca.secret")).isEqualTo(Map.of("name", "demo-tls", "key", "ca.crt"));
        assertThat(at(endpoint, "tlsConfig.serverName")).isEqualTo(SERVICE_HOST);
    }

    @Test
    void theNotesCallTheServiceOverTlsTrustingTheCa() {
        String notes = helm().install().withName(RELEASE).withNamespace(NAMESPACE).clientOnly()
                .withDryRunOption(DryRun.CLIENT).set("tls.enabled", true).set("tls.secretName", "demo-tls")
                .set("clusterToken.value", "test-clusterToken-value").set("adminToken.value", "test-adminToken-value")
                .call().getOutput();

        assertThat(notes).contains("get secret demo-tls -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt",
                "URL=https://" + SERVICE_HOST + ":8080",
                "--cacert ca.crt --connect-to " + SERVICE_HOST + ":8080:localhost:8080");
        assertThat(helm().install().withName(RELEASE).withNamespace(NAMESPACE).clientOnly()
                .withDryRunOption(DryRun.CLIENT).set("clusterToken.value", "test-clusterToken-value")
                .set("adminToken.value", "test-adminToken-value").call().getOutput())
                .contains("curl localhost:8080/kv/greeting").doesNotContain("--cacert");
    }

    @Test
    void theNetworkPolicyLetsOnlyMembersLabelledClientsAndGivenSourcesReachThePort() throws Exception {
        Rendered rendered = renderHooks(tmp, "networkPolicy.enabled", true,
                "networkPolicy.allowedFrom[0].namespaceSelector.matchLabels.name", "monitoring");
        Map<String, Object> policy = rendered.one("NetworkPolicy", FULLNAME);

        assertThat(at(policy, "spec.podSelector.matchLabels")).isEqualTo(SELECTOR);
        assertThat(list(policy, "spec.policyTypes")).containsExactly("Ingress");
        List<Map<String, Object>> ingress = list(policy, "spec.ingress");
        assertThat(ingress).hasSize(1);
        // by port only: peers and clients share it (docs/helm.md)
        assertThat(list(ingress.get(0), "ports")).containsExactly(Map.of("port", "http", "protocol", "TCP"));
        assertThat(list(ingress.get(0), "from")).containsExactly(
                Map.of("podSelector", Map.of("matchLabels", SELECTOR)),
                Map.of("podSelector", Map.of("matchLabels", Map.of(FULLNAME + "-client", "true"))),
                Map.of("namespaceSelector", Map.of("matchLabels", Map.of("name", "monitoring"))));
        // the helm test pod carries the client label, and the port's name is the container's
        assertThat(map(rendered.one("Pod", FULLNAME + "-test"), "metadata.labels"))
                .containsEntry(FULLNAME + "-client", "true");
        assertThat(HelmChart.<Map<String, Object>>list(container(rendered.one("StatefulSet", FULLNAME)), "ports")
                .get(0).get("name")).isEqualTo("http");
    }
}
