package io.raftex.autoconfigure.transport;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftConfigurationException;
import io.raftex.autoconfigure.RaftSettings;
import io.raftex.autoconfigure.testapp.TestCertificates;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.VoteRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The transport's TLS material: {@code POST /raft/rpc} presents the bundle's key and checks the peer against its
 * trust, takes a replaced bundle for its next connection, and sends nothing to {@code http} members while it has
 * material; the auto-configuration finds the bundle by name and refuses names it does not know and {@code http}
 * members.
 */
class PeerTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestCertificates.Issued ca = TestCertificates.ca("peer-tls-test-ca");
    private final List<String> clients = new CopyOnWriteArrayList<>();
    private HttpsServer server;
    private HttpTransport transport;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        if (transport != null) {
            transport.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    /** A server with {@code server}'s certificate that needs a client certificate of the CA; records its subject. */
    private String startServer(TestCertificates.Issued serverCert) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverCert.sslContext(ca.certificate())) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                parameters.setSSLParameters(ssl);
            }
        });
        server.createContext(HttpTransport.RPC_PATH, exchange -> {
            try {
                X509Certificate client = (X509Certificate) ((HttpsExchange) exchange).getSSLSession()
                        .getPeerCertificates()[0];
                clients.add(client.getSubjectX500Principal().getName());
            } catch (SSLPeerUnverifiedException e) {
                clients.add("none");
            }
            exchange.getRequestBody().readAllBytes();
            // Connection: close, so that each batch opens a connection of its own
            exchange.getResponseHeaders().set("Connection", "close");
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    private HttpTransport transport(PeerTls tls) {
        Duration timeout = Duration.ofSeconds(2);
        return new HttpTransport(new HttpTransportSettings(MemberId.of("n1"), timeout, 64 * 1024,
                Optional.of("token-of-sixteen-chars"), 10_000), new RaftMessageJson(),
                CircuitBreakerRegistry.ofDefaults(), CircuitBreakerConfig.ofDefaults(),
                TimeLimiterRegistry.ofDefaults(), TimeLimiterConfig.ofDefaults(), RpcObserver.NONE, tls);
    }

    private static VoteRequest vote(long term) {
        return new VoteRequest("g", MemberId.of("n1"), MemberId.of("n2"), term, 0, 0, false);
    }

    @Test
    void rpcPresentsTheBundlesKeyAndANewOneAfterAnUpdate() throws IOException {
        String url = startServer(ca.issue("n2"));
        transport = transport(PeerTls.of(ca.issue("n1").bundle(ca.certificate())));
        transport.send(Member.voter("n2", url), vote(1));
        await().atMost(WAIT).until(() -> clients.size() == 1);
        assertThat(clients).containsExactly("CN=n1");

        transport.updateTls(PeerTls.of(ca.issue("n1-renewed").bundle(ca.certificate())));
        transport.send(Member.voter("n2", url), vote(2));
        await().atMost(WAIT).until(() -> clients.size() == 2);
        assertThat(clients).containsExactly("CN=n1", "CN=n1-renewed");
        assertThat(transport.tlsUpdates()).isEqualTo(1);
    }

    @Test
    void aPeerWhoseCertificateIsNotTrustedIsNotSentAnything() throws IOException {
        // the server's certificate comes from another CA: the client ends the handshake
        String url = startServer(TestCertificates.ca("other-ca").issue("n2"));
        List<RpcObserver.Outcome> outcomes = new CopyOnWriteArrayList<>();
        transport = new HttpTransport(new HttpTransportSettings(MemberId.of("n1"), Duration.ofSeconds(2), 64 * 1024,
                Optional.of("token-of-sixteen-chars"), 10_000), new RaftMessageJson(),
                CircuitBreakerRegistry.ofDefaults(), CircuitBreakerConfig.ofDefaults(),
                TimeLimiterRegistry.ofDefaults(), TimeLimiterConfig.ofDefaults(),
                (peer, messages, outcome, nanos) -> outcomes.add(outcome),
                PeerTls.of(ca.issue("n1").bundle(ca.certificate())));
        transport.send(Member.voter("n2", url), vote(1));
        await().atMost(WAIT).until(() -> !outcomes.isEmpty());
        assertThat(outcomes).containsExactly(RpcObserver.Outcome.ERROR);
        assertThat(clients).isEmpty();
    }

    @Test
    void withMaterialAMemberAtAnHttpUrlIsNotSentAnything() {
        transport = transport(PeerTls.of(ca.issue("n1").bundle(ca.certificate())));
        transport.send(Member.voter("n2", "http://127.0.0.1:9"), vote(1));
        assertThat(transport.hasPeer(MemberId.of("n2"))).isFalse();
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, RaftAutoConfiguration.class,
                        RaftTransportAutoConfiguration.class))
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.heartbeat-interval=20ms", "raft.election-timeout=200ms");
    }

    @Test
    void theTransportTakesTheNamedBundleAndItsUpdates() {
        Path dir = tmp.resolve("tls");
        ca.writeTo(dir);
        ca.issue("n1").writeTo(dir);
        runner().withPropertyValues("raft.rpc.ssl.bundle=peer",
                "spring.ssl.bundle.pem.peer.keystore.certificate=file:" + dir.resolve("n1.crt"),
                "spring.ssl.bundle.pem.peer.keystore.private-key=file:" + dir.resolve("n1.key"),
                "spring.ssl.bundle.pem.peer.truststore.certificate=file:" + dir.resolve("peer-tls-test-ca.crt"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    HttpTransport t = context.getBean(HttpTransport.class);
                    assertThat(t.hasTls()).isTrue();
                    // a node of its own is a member at an https url
                    assertThat(context.getBean(RaftSettings.class).clusterConfig(8443).members())
                            .extracting(Member::address).containsExactly("https://localhost:8443");
                    context.getBean(DefaultSslBundleRegistry.class).updateBundle("peer",
                            ca.issue("n1-renewed").bundle(ca.certificate()));
                    assertThat(t.tlsUpdates()).isEqualTo(1);
                });
        runner().run(context -> assertThat(context.getBean(HttpTransport.class).hasTls()).isFalse());
    }

    @Test
    void anUnknownBundleOrAnHttpMemberStopsTheStart() {
        runner().withPropertyValues("raft.rpc.ssl.bundle=missing").run(context -> assertThat(context)
                .getFailure().hasStackTraceContaining(RaftConfigurationException.class.getName() + ": "
                        + "raft.rpc.ssl.bundle names the SSL bundle 'missing', which is not configured"));
        runner().withPropertyValues("raft.rpc.ssl.bundle=peer", "raft.security.cluster-token=token-of-sixteen-chars",
                "raft.members=n1=https://127.0.0.1:8443,n2=http://127.0.0.1:8081").run(context -> assertThat(context)
                .getFailure().rootCause().isInstanceOf(RaftConfigurationException.class)
                .hasMessageContaining("raft.rpc.ssl.bundle is set, but raft.members gives 'n2' the url"));
    }
}
