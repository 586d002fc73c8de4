package io.raftex.autoconfigure;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.testapp.TestCertificates;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.autoconfigure.transport.HttpTransport;
import io.raftex.autoconfigure.transport.PeerTls;
import io.raftex.autoconfigure.transport.RpcObserver;
import io.raftex.autoconfigure.transport.StandaloneTransport;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.ReadConsistency;
import io.raftex.core.message.VoteRequest;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.tomcat.util.net.openssl.ciphers.OpenSSLCipherConfigurationParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.ssl.SslBundleRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.naming.ldap.LdapName;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Three nodes on random ports with TLS between peers from one SSL bundle each ({@code spring.ssl.bundle.pem.peer}:
 * the node's certificate, signed by a CA made in the test, and that CA as trust), used by the web server
 * ({@code server.ssl.bundle}) and by the transport ({@code raft.rpc.ssl.bundle}). Both ways of requiring client
 * certificates run side by side: n1 and n2 ask for one ({@code server.ssl.client-auth=want}) and refuse the peer
 * paths without one ({@code raft.rpc.ssl.require-client-certificate}); n3's server refuses any connection without one
 * ({@code server.ssl.client-auth=need}). The cluster elects a leader and commits; a peer with a certificate of
 * another CA, or without one, is refused (by n3 in the handshake; by n1 and n2, whose handshake goes on without a
 * certificate it does not trust, with 403 on the peer paths); an updated bundle is used by new connections.
 */
class RaftTlsClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "test-cluster-token";
    private static final List<TestNode> nodes = new ArrayList<>();
    private static TestCertificates.Issued ca;

    @TempDir
    static Path root;

    @BeforeAll
    static void startCluster() {
        // Tomcat's cipher list parser initialises shared state on first use without a lock: three servers starting
        // TLS at once in one JVM can break it, so it is initialised here first
        OpenSSLCipherConfigurationParser.parse("HIGH");
        ca = TestCertificates.ca("raft-test-ca").writeTo(root.resolve("tls"));
        for (int i = 1; i <= 3; i++) {
            nodes.add(new TestNode("n" + i, TestNode.freePort(), root.resolve("n" + i)).https());
        }
        String members = TestNode.members(nodes);
        for (TestNode n : nodes) {
            Path tls = root.resolve("tls");
            ca.issue(n.id()).writeTo(tls);
            n.with("raft.members", members)
                    .with("spring.ssl.bundle.pem.peer.keystore.certificate", "file:" + tls.resolve(n.id() + ".crt"))
                    .with("spring.ssl.bundle.pem.peer.keystore.private-key", "file:" + tls.resolve(n.id() + ".key"))
                    .with("spring.ssl.bundle.pem.peer.truststore.certificate", "file:" + tls.resolve("raft-test-ca.crt"))
                    .with("server.ssl.bundle", "peer")
                    .with("raft.rpc.ssl.bundle", "peer")
                    .withSources(ClientCertificates.class);
            if (n.id().equals("n3")) {
                n.with("server.ssl.client-auth", "need");
            } else {
                n.with("server.ssl.client-auth", "want").with("raft.rpc.ssl.require-client-certificate", "true");
            }
        }
        TestNode.startAll(nodes);
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(TestNode::stop);
    }

    @Test
    void theClusterElectsALeaderAndCommitsOverMutualTls() throws Exception {
        TestNode leader = TestNode.awaitLeader(nodes, WAIT);
        TestNode follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        long value = 0;
        for (int i = 1; i <= 5; i++) {
            value = follower.client().<CounterCommand, Long>command("counter", new CounterCommand("tls", 1))
                    .get(20, TimeUnit.SECONDS);
        }
        long expected = value;
        for (TestNode n : nodes) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(n.client()
                    .query("counter", CounterStateMachine.class, sm -> sm.get("tls"), ReadConsistency.LOCAL)
                    .get(20, TimeUnit.SECONDS)).as(n.id()).isEqualTo(expected));
            assertThat(n.context().getBean(HttpTransport.class).hasTls()).isTrue();
        }
        // the leader's streams presented its certificate to every follower, and theirs presented each follower's to
        // the leader, also where a certificate was only asked for (followers talk to each other only in elections)
        for (TestNode n : nodes) {
            if (n == leader) {
                continue;
            }
            Set<String> seenByFollower = n.context().getBean(ClientCertificates.class).seen;
            Set<String> seenByLeader = leader.context().getBean(ClientCertificates.class).seen;
            await().atMost(WAIT).untilAsserted(() -> assertThat(seenByFollower).as(n.id())
                    .anyMatch(cn -> cn.startsWith(leader.id())));
            await().atMost(WAIT).untilAsserted(() -> assertThat(seenByLeader).as(leader.id())
                    .anyMatch(cn -> cn.startsWith(n.id())));
        }
    }

    @Test
    void aPeerWithACertificateOfAnotherCaIsRefusedAndCannotDisturbTheGroup() throws Exception {
        TestNode leader = TestNode.awaitLeader(nodes, WAIT);
        // posing as n1, with a key the cluster's CA did not sign; it trusts the cluster's CA, so only its own
        // certificate is wrong
        TestCertificates.Issued rogue = TestCertificates.ca("rogue-ca").issue("n1");
        Map<String, List<RpcObserver.Outcome>> opens = new ConcurrentHashMap<>();
        long rogueTerm = 1_000_000;
        try (HttpTransport transport = rogueTransport(new PeerTls(rogue.sslContext(ca.certificate()), null, null),
                opens)) {
            transport.start(m -> { });
            for (TestNode n : nodes) {
                if (!n.id().equals("n1")) {
                    transport.send(Member.voter(n.id(), n.url()), new VoteRequest("counter", MemberId.of("n1"),
                            MemberId.of(n.id()), rogueTerm, 1_000_000, rogueTerm - 1, true));
                }
            }
            await().atMost(WAIT).untilAsserted(() -> assertThat(opens).containsOnlyKeys("n2", "n3"));
        }
        // n3 (client-auth=need) ends the handshake; n2 (client-auth=want) goes on without the untrusted certificate,
        // and its peer paths refuse the stream (403) for the want of a trusted one
        assertThat(opens.get("n2")).isNotEmpty().containsOnly(RpcObserver.Outcome.REJECTED);
        assertThat(opens.get("n3")).isNotEmpty().containsOnly(RpcObserver.Outcome.ERROR);
        for (TestNode n : nodes) {
            assertThat(n.status().term()).as(n.id()).isLessThan(rogueTerm);
        }
        // the same with a raw request carrying the cluster token
        HttpClient client = client(rogue.sslContext(ca.certificate()));
        for (TestNode n : nodes) {
            if (n.id().equals("n3")) {
                assertThatThrownBy(() -> post(client, n, vote(n, rogueTerm))).isInstanceOf(IOException.class);
            } else {
                HttpResponse<String> answer = client.send(rpc(n, vote(n, rogueTerm)),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(n.id()).isEqualTo(403);
                assertThat(answer.body()).contains("urn:raftex:problem:client-certificate-required");
            }
        }
        assertThat(TestNode.awaitLeader(nodes, WAIT).status().term()).isLessThan(rogueTerm);
        assertThat(leader.status().term()).isLessThan(rogueTerm);
    }

    @Test
    void aPeerWithoutACertificateIsRefused() throws Exception {
        TestNode.awaitLeader(nodes, WAIT);
        // trusts the cluster's CA, presents no certificate
        SSLContext noKey = SSLContext.getInstance("TLS");
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(TestCertificates.trustStore(ca.certificate()));
        noKey.init(null, trust.getTrustManagers(), null);
        HttpClient client = client(noKey);
        for (TestNode n : nodes) {
            if (n.id().equals("n3")) {
                // server.ssl.client-auth=need: no connection at all
                assertThatThrownBy(() -> post(client, n, vote(n, 1_000_000))).isInstanceOf(IOException.class);
                continue;
            }
            // server.ssl.client-auth=want and raft.rpc.ssl.require-client-certificate: the peer paths refuse
            for (String path : List.of("/raft/rpc", "/raft/stream")) {
                HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create(n.url() + path))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", path.endsWith("rpc") ? "application/json"
                                        : "application/x-ndjson")
                                .POST(HttpRequest.BodyPublishers.ofString(vote(n, 1_000_000))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(n.id() + path).isEqualTo(403);
                assertThat(answer.body()).contains("urn:raftex:problem:client-certificate-required");
            }
            // other paths on the port do not need a certificate (health probes, clients)
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                    URI.create(n.url() + "/actuator/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(n.id()).isIn(200, 503);
        }
        for (TestNode n : nodes) {
            assertThat(n.status().term()).as(n.id()).isLessThan(1_000_000);
        }
    }

    @Test
    void anUpdatedBundleIsUsedByNewConnectionsWithoutARestart() {
        // the leader: it keeps a stream open to every follower (a follower talks only to its leader)
        TestNode leader = TestNode.awaitLeader(nodes, WAIT);
        HttpTransport transport = leader.context().getBean(HttpTransport.class);
        long updates = transport.tlsUpdates();
        String renewed = leader.id() + "-rotated";
        TestCertificates.Issued rotated = ca.issue(renewed);
        // what spring.ssl.bundle.*.reload-on-update does when the files change
        leader.context().getBean(SslBundleRegistry.class).updateBundle("peer", rotated.bundle(ca.certificate()));
        assertThat(transport.tlsUpdates()).isEqualTo(updates + 1);
        // its streams were reopened with the new certificate, which its followers now see
        for (TestNode peer : nodes) {
            if (peer != leader) {
                Set<String> seen = peer.context().getBean(ClientCertificates.class).seen;
                await().atMost(WAIT).untilAsserted(() -> assertThat(seen).as(peer.id()).contains(renewed));
            }
        }
        // and the group still commits through it
        await().atMost(WAIT).untilAsserted(() -> assertThat(leader.client()
                .<CounterCommand, Long>command("counter", new CounterCommand("rotated", 1))
                .get(20, TimeUnit.SECONDS)).isPositive());
    }

    private static HttpTransport rogueTransport(PeerTls tls, Map<String, List<RpcObserver.Outcome>> opens) {
        return StandaloneTransport.create("n1", TOKEN, tls, (peer, outcome) -> opens
                .computeIfAbsent(peer, p -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(outcome));
    }

    private static HttpClient client(SSLContext context) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static String vote(TestNode to, long term) {
        return "{\"from\":\"n1\",\"messages\":[{\"type\":\"VoteRequest\",\"group\":\"counter\",\"from\":\"n1\","
                + "\"to\":\"" + to.id() + "\",\"term\":" + term + ",\"lastLogIndex\":1000000,\"lastLogTerm\":"
                + (term - 1) + ",\"transfer\":true}]}";
    }

    private static int post(HttpClient client, TestNode to, String body) throws IOException, InterruptedException {
        return client.send(rpc(to, body), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpRequest rpc(TestNode to, String body) {
        return HttpRequest.newBuilder(URI.create(to.url() + HttpTransport.RPC_PATH))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Records the common names of the client certificates the server accepted on the peer paths. */
    @Configuration(proxyBeanMethods = false)
    public static class ClientCertificates {

        final Set<String> seen = ConcurrentHashMap.newKeySet();

        @Bean
        Filter raftClientCertificateRecorder() {
            return (request, response, chain) -> {
                if (request instanceof HttpServletRequest http && http.getRequestURI().startsWith("/raft/")
                        && http.getAttribute("jakarta.servlet.request.X509Certificate")
                        instanceof X509Certificate[] chain2 && chain2.length > 0) {
                    seen.add(commonName(chain2[0]));
                }
                chain.doFilter(request, response);
            };
        }

        private static String commonName(X509Certificate certificate) {
            try {
                return new LdapName(certificate.getSubjectX500Principal().getName()).getRdns().stream()
                        .filter(r -> r.getType().equalsIgnoreCase("CN")).map(r -> r.getValue().toString())
                        .findFirst().orElse("");
            } catch (javax.naming.InvalidNameException e) {
                return "";
            }
        }
    }
}
