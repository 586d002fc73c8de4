package io.raftex.demo;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.core.GroupStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A three-node demo cluster (in one JVM, loopback only) under clients that mean harm: connections that send their
 * bodies a byte at a time, to {@code /kv} and, without a token, to {@code /raft/stream}; and a seeded fuzz of the
 * peer, admin and {@code /kv} surfaces ({@link SurfaceFuzz}). Peer traffic must not share their fate: the leader
 * keeps leading, every group keeps running, and known data reads back.
 *
 * <p>The nodes run with a small container thread pool ({@code server.tomcat.threads.max=24}) so that a few dozen
 * connections would be enough to starve one.
 */
class HostileClientsTest {

    static final String ADMIN_TOKEN = "hostile-test-admin-token";
    static final String CLUSTER_TOKEN = "hostile-test-cluster-token";
    private static final int THREADS = 24;
    private static final String LOGGING_SYSTEM = "org.springframework.boot.logging.LoggingSystem";
    static final List<ConfigurableApplicationContext> nodes = new ArrayList<>();
    static final int[] ports = new int[3];

    @BeforeAll
    static void startThreeNodes() {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ports[i] = TestData.freePort();
            members.add("n" + (i + 1) + "=http://127.0.0.1:" + ports[i]);
        }
        List<CompletableFuture<ConfigurableApplicationContext>> starting = new ArrayList<>();
        System.setProperty(LOGGING_SYSTEM, "none");
        for (int i = 0; i < 3; i++) {
            String[] properties = {
                    "--server.port=" + ports[i],
                    "--server.address=127.0.0.1",
                    "--server.tomcat.threads.max=" + THREADS,
                    "--kv.max-concurrent-body-reads=" + THREADS / 3,
                    "--raft.node-id=n" + (i + 1),
                    "--raft.members=" + String.join(",", members),
                    "--raft.data-dir=" + TestData.dataDir("hostile-n" + (i + 1)),
                    "--raft.heartbeat-interval=50ms",
                    "--raft.election-timeout=500ms",
                    "--raft.command-timeout=5s",
                    "--raft.rpc.timeout=400ms",
                    "--raft.storage.sync=none",
                    "--raft.snapshot-interval=200",
                    "--raft.security.cluster-token=" + CLUSTER_TOKEN,
                    "--raft.security.admin-token=" + ADMIN_TOKEN,
                    "--spring.main.banner-mode=off",
                    "--spring.jmx.enabled=false"};
            starting.add(CompletableFuture.supplyAsync(() -> new SpringApplicationBuilder(KvApplication.class)
                    .run(properties)));
        }
        try {
            starting.forEach(s -> nodes.add(s.join()));
        } finally {
            System.clearProperty(LOGGING_SYSTEM);
        }
        awaitSettled();
    }

    @AfterAll
    static void stopNodes() {
        nodes.forEach(ConfigurableApplicationContext::close);
        nodes.clear();
    }

    static GroupStatus status(int node) {
        return nodes.get(node).getBean(RaftClient.class).status(KvApplication.GROUP);
    }

    static Optional<Integer> leader() {
        for (int i = 0; i < nodes.size(); i++) {
            if (status(i).isLeader()) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /** Every group runs, one leader is known to all three in one term. */
    static void awaitSettled() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Optional<Integer> leader = leader();
            assertThat(leader).isPresent();
            GroupStatus ls = status(leader.get());
            for (int i = 0; i < 3; i++) {
                GroupStatus s = status(i);
                assertThat(s.running()).as("n%d runs", i + 1).isTrue();
                assertThat(s.leaderId()).as("n%d's leader", i + 1).isEqualTo(ls.leaderId());
                assertThat(s.term()).isEqualTo(ls.term());
            }
        });
    }

    /** Opens {@code count} connections that send a request head promising a body, and bytes of it when dripped. */
    private static List<Socket> slowRequests(int port, String head, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            sockets.add(s);
        }
        return sockets;
    }

    /** One more body byte on every connection still open. */
    private static void drip(List<Socket> sockets) {
        for (Socket s : sockets) {
            try {
                s.getOutputStream().write('{');
                s.getOutputStream().flush();
            } catch (IOException e) {
                // the server closed it: that is fine
            }
        }
    }

    @Test
    void theLeaderKeepsLeadingWhileSlowClientsDripBodies() throws Exception {
        awaitSettled();
        int leader = leader().orElseThrow();
        GroupStatus before = status(leader);
        Http http = new Http(ports[leader]);
        assertThat(http.put("steady", Http.value("kept")).status()).isEqualTo(200);

        String kvHead = "PUT /kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n";
        String streamHead = "POST /raft/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        List<Socket> slow = new ArrayList<>();
        try {
            // twice the container's threads to each path: enough to take every thread if each held one
            slow.addAll(slowRequests(ports[leader], kvHead, 2 * THREADS));
            slow.addAll(slowRequests(ports[leader], streamHead, 2 * THREADS));
            // six election timeouts of dripping: a leader whose peers' answers could not get a thread steps down
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int reads = 0;
            while (System.nanoTime() < end) {
                drip(slow);
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000); // the attacker's pace: 20 bytes/s
                Http.Response get = http.get("steady", "linearizable");
                assertThat(get.status()).as(get.toString()).isEqualTo(200);
                reads++;
                GroupStatus now = status(leader);
                assertThat(now.isLeader()).as("n%d still leads after %d reads", leader + 1, reads).isTrue();
                assertThat(now.term()).isEqualTo(before.term());
            }
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        awaitSettled();
        assertThat(status(leader).term()).isEqualTo(before.term());
    }

    /**
     * A seeded fuzz of every surface, one class of input after the other; after each: every node is UP, no group
     * stopped, one leader settles, and the known keys read back. The size per class is the system property
     * {@code raft.fuzz.requests} (CI: a short run; {@code -Pfuzz}: a long one), the seed {@code raft.fuzz.seed}.
     */
    @Test
    void aSeededFuzzOfThePeerAdminAndKvSurfacesLeavesTheClusterWhole() {
        awaitSettled();
        int perClass = Integer.getInteger("raft.fuzz.requests", 60);
        long seed = Long.getLong("raft.fuzz.seed", 20_261_207L);
        SurfaceFuzz fuzz = new SurfaceFuzz(new java.util.Random(seed), ports, CLUSTER_TOKEN, ADMIN_TOKEN);
        java.util.Map<String, String> known = new java.util.TreeMap<>();
        Http http = new Http(ports[0]);
        for (int i = 0; i < 40; i++) {
            String key = "known-" + i;
            known.put(key, "value " + i + " \u00e9\u2603");
            assertThat(http.put(key, Http.value(known.get(key))).status()).isEqualTo(200);
        }
        for (SurfaceFuzz.Surface surface : SurfaceFuzz.Surface.values()) {
            for (int i = 0; i < perClass; i++) {
                fuzz.send(surface, i);
            }
            assertWhole(surface + " (seed " + seed + ")", known);
        }
    }

    /** Every node UP, every group running, one leader, the known keys as written, read from each node. */
    private static void assertWhole(String after, java.util.Map<String, String> known) {
        awaitSettled();
        for (int n = 0; n < 3; n++) {
            Http http = new Http(ports[n]);
            int node = n;
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Http.Response health = http.send("GET", "/actuator/health", null, null);
                assertThat(health.status()).as("after %s: n%d health %s", after, node + 1, health).isEqualTo(200);
            });
            for (java.util.Map.Entry<String, String> e : known.entrySet()) {
                Http.Response get = http.get(e.getKey(), "linearizable");
                assertThat(get.status()).as("after %s: n%d %s", after, node + 1, get).isEqualTo(200);
                assertThat(get.text("value")).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void aStreamRefusedForItsTokenIsClosedWithoutReadingItsBody() throws Exception {
        awaitSettled();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", ports[0]), 5_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /raft/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
                    + "Content-Length: 10000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] answer;
            try {
                answer = in.readAllBytes(); // to the end: the server closes the connection after its answer
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept the connection open to read the refused body", e);
            }
            String text = new String(answer, StandardCharsets.US_ASCII);
            assertThat(text).startsWith("HTTP/1.1 401");
        }
    }
}
