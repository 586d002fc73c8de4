package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.RequestCounter;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.GroupStatus;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.ReadIndexResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Peer streams ({@code POST /raft/stream}) between two real applications on random ports: n2 sends to n1 with its
 * own {@link HttpTransport}. Both are single-member clusters, so the only traffic from n2 to n1 is what the tests
 * send: probes, {@link ReadIndexResponse}s of term 0 carrying a sequence number as their request id, which n1's
 * group ignores as stale. A tap on n1's transport records the probes as they are handed to the node. The two
 * applications serve every test, in order: the last one restarts n1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftStreamTest {

    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");
    private static final String TOKEN = "test-cluster-token";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dataRoot;
    private static int receiverPort;
    private static volatile TestNode receiver;
    private static TestNode sender;
    /** Request ids of the probes from n2 that reached n1's node, in the order they did. */
    private static final List<Long> received = new CopyOnWriteArrayList<>();
    private static final AtomicLong nextProbe = new AtomicLong(1);
    /** The tap holds the probe with this id until {@link #release} opens. */
    private static volatile long holdAt = -1;
    private static volatile CountDownLatch release = new CountDownLatch(0);
    private static final CountDownLatch[] holding = {new CountDownLatch(1)};

    @BeforeAll
    static void start() {
        receiverPort = TestNode.freePort();
        receiver = receiverNode();
        sender = new TestNode("n2", TestNode.freePort(), dataRoot.resolve("n2"));
        CompletableFuture.allOf(CompletableFuture.runAsync(receiver::start),
                CompletableFuture.runAsync(sender::start)).join();
        tap(receiver);
        await().atMost(WAIT).until(receiver::isLeader);
    }

    @AfterAll
    static void stop() {
        release.countDown();
        if (receiver != null) {
            receiver.stop();
        }
        if (sender != null) {
            sender.stop();
        }
    }

    private static TestNode receiverNode() {
        return new TestNode("n1", receiverPort, dataRoot.resolve("n1")).withSources(RequestCounter.class);
    }

    private static void tap(TestNode node) {
        node.context().getBean(HttpTransport.class).tapInbound(m -> {
            if (m instanceof ReadIndexResponse r && r.from().equals(N2) && r.term() == 0) {
                if (r.requestId() == holdAt) {
                    holding[0].countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                received.add(r.requestId());
            }
        });
    }

    private static HttpTransport senderTransport() {
        return sender.context().getBean(HttpTransport.class);
    }

    private static Member receiverMember() {
        return Member.voter("n1", "http://127.0.0.1:" + receiverPort);
    }

    /** Sends the next probe from n2 to n1 and returns its id. */
    private static long probe() {
        long id = nextProbe.getAndIncrement();
        senderTransport().send(receiverMember(), new ReadIndexResponse("counter", N2, N1, 0, id, false, 0));
        return id;
    }

    /** Sends probes until one sent from now on reaches n1 (those sent while no stream is open are dropped). */
    private static void awaitDeliveryResumes() {
        long mark = nextProbe.get();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
            probe();
            return received.stream().anyMatch(id -> id >= mark);
        });
    }

    private static RequestCounter requests() {
        return receiver.context().getBean(RequestCounter.class);
    }

    @Test
    @Order(1)
    void batchesTravelInOrderOnOneStreamWithoutARequestPerBatch() {
        awaitDeliveryResumes(); // a probe sent before the first stream opens may be dropped
        HttpTransport transport = senderTransport();
        assertThat(transport.streaming(N1)).isTrue();
        assertThat(transport.streamOpen(N1)).isTrue();
        long streamRequests = requests().count(HttpTransport.STREAM_PATH);
        long rpcRequests = requests().count(HttpTransport.RPC_PATH);
        long opened = transport.streamsOpened(N1);
        long written = transport.streamBatchesWritten(N1);
        assertThat(streamRequests).isGreaterThanOrEqualTo(opened).isGreaterThanOrEqualTo(1);

        List<Long> sent = new ArrayList<>();
        for (int burst = 0; burst < 20; burst++) {
            for (int i = 0; i < 50; i++) {
                sent.add(probe());
            }
            long last = sent.get(sent.size() - 1);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> received.contains(last));
        }
        Set<Long> ours = new HashSet<>(sent);
        assertThat(received.stream().filter(ours::contains).toList()).containsExactlyElementsOf(sent);
        // 20 bursts, each waited for: at least 20 lines on the stream, not one more request
        assertThat(transport.streamBatchesWritten(N1) - written).isGreaterThanOrEqualTo(20);
        assertThat(transport.streamsOpened(N1)).isEqualTo(opened);
        assertThat(requests().count(HttpTransport.STREAM_PATH)).isEqualTo(streamRequests);
        assertThat(requests().count(HttpTransport.RPC_PATH)).isEqualTo(rpcRequests);
    }

    @Test
    @Order(2)
    void theTokenIsCheckedOnceWhenAStreamOpens() throws Exception {
        for (String[] headers : List.of(new String[0], new String[]{"Authorization: Bearer wrong"},
                new String[]{"Authorization: Basic " + TOKEN}, new String[]{"X-Raft-Cluster-Token: " + TOKEN + "x"})) {
            try (RawStream refused = RawStream.open(receiverPort, headers)) {
                assertThat(refused.status).isEqualTo(401);
                assertThat(refused.headers.get("www-authenticate")).startsWith("Bearer");
                assertThat(refused.headers.get("content-type")).startsWith("application/problem+json");
                JsonNode problem = JSON.readTree(refused.readBody());
                assertThat(problem.get("status").asInt()).isEqualTo(401);
                assertThat(problem.get("instance").asString()).isEqualTo(HttpTransport.STREAM_PATH);
                assertThat(problem.get("detail").asString()).contains("cluster token");
            }
        }
        // with the token: accepted at once, before any line, and then lines are delivered
        long id = nextProbe.getAndIncrement();
        try (RawStream accepted = RawStream.open(receiverPort, "Authorization: Bearer " + TOKEN)) {
            assertThat(accepted.status).isEqualTo(200);
            assertThat(accepted.headers.get("content-type")).startsWith(HttpTransport.STREAM_MEDIA_TYPE);
            accepted.writeLine(""); // a ping: answered with an empty line, one chunk of the answer body
            assertThat(accepted.readLine()).isEqualTo("1");
            assertThat(accepted.readLine()).isEmpty();
            assertThat(accepted.readLine()).isEmpty();
            accepted.writeLine(probeJson(id));
            await().atMost(WAIT).until(() -> received.contains(id));
        }

        // a sender with a wrong token: every open is refused, nothing is delivered, it keeps trying with backoff
        Map<String, AtomicInteger> opens = new ConcurrentHashMap<>();
        HttpTransport wrong = standalone("n3", "wrong-token", opens);
        try {
            long before = received.size();
            await().atMost(WAIT).until(() -> {
                wrong.send(receiverMember(), new ReadIndexResponse("counter", MemberId.of("n3"), N1, 0, 1, false, 0));
                return opens.getOrDefault("REJECTED", new AtomicInteger()).get() >= 3;
            });
            assertThat(wrong.streamOpen(N1)).isFalse();
            assertThat(opens).doesNotContainKey("SUCCESS");
            assertThat(received.size()).isEqualTo(before);
        } finally {
            wrong.close();
        }
    }

    @Test
    @Order(3)
    void aBadLineEndsOnlyItsStreamAndTheSenderReconnects() throws Exception {
        GroupStatus before = receiver.status();
        URI uri = URI.create("http://127.0.0.1:" + receiverPort + HttpTransport.STREAM_PATH);
        Map<String, String> headers = Map.of("Authorization", "Bearer " + TOKEN, HttpTransport.FROM_HEADER, "n3");
        String invalid = "{\"from\":\"n3\",\"messages\":[{\"type\":\"AppendEntriesRequest\",\"group\":\"counter\","
                + "\"from\":\"n3\",\"to\":\"n1\",\"term\":" + (before.term() + 5) + ",\"prevLogIndex\":0,"
                + "\"prevLogTerm\":0,\"entries\":[{\"index\":7,\"term\":1,\"type\":\"NOOP\",\"clientId\":0,"
                + "\"sequence\":0,\"ackedBelow\":0,\"leaderTime\":0,\"payload\":\"\"}],"
                + "\"leaderCommit\":0,\"readRound\":0}]}";
        for (String bad : List.of("{not json", "[1,2]", invalid, probeJson(1).replace("\"n1\"", "\"n9\""))) {
            StreamConnection c = StreamConnection.open(uri, headers, Duration.ofSeconds(10));
            c.writeLine(probeJson(nextProbe.getAndIncrement()).getBytes(StandardCharsets.UTF_8), true);
            c.writeLine(bad.getBytes(StandardCharsets.UTF_8), false);
            CompletableFuture.runAsync(() -> c.awaitEnd(WAIT)).get(20, TimeUnit.SECONDS);
            assertThat(c.endReason()).as(bad).startsWith("the peer ended the stream");
        }
        // the real sender: an invalid message (addressed to another node) ends its stream; it reopens
        HttpTransport transport = senderTransport();
        awaitDeliveryResumes();
        long opened = transport.streamsOpened(N1);
        transport.send(receiverMember(), new ReadIndexResponse("counter", N2, MemberId.of("n9"), 0, 0, false, 0));
        await().atMost(WAIT).until(() -> transport.streamsOpened(N1) > opened);
        awaitDeliveryResumes();
        // the group never saw any of it: same leader, same term, and it still takes commands
        GroupStatus after = receiver.status();
        assertThat(after.isLeader()).isTrue();
        assertThat(after.term()).isEqualTo(before.term());
        assertThat(receiver.client().<CounterCommand, Long>command("counter", new CounterCommand("c", 1))
                .get(20, TimeUnit.SECONDS)).isPositive();
    }

    @Test
    @Order(4)
    void theSenderWritesTheNextBatchBeforeAnythingComesBack() throws Exception {
        awaitDeliveryResumes();
        HttpTransport transport = senderTransport();
        holding[0] = new CountDownLatch(1);
        release = new CountDownLatch(1);
        holdAt = nextProbe.get();
        List<Long> sent = new ArrayList<>();
        try {
            long written = transport.streamBatchesWritten(N1);
            sent.add(probe()); // n1 stops reading its stream while it holds this one
            assertThat(holding[0].await(20, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i <= 5; i++) {
                sent.add(probe());
                long expected = written + 1 + i;
                await().atMost(WAIT).until(() -> transport.streamBatchesWritten(N1) >= expected);
            }
            // six batches written, none of them handled yet by n1
            assertThat(received).doesNotContainAnyElementsOf(sent);
            assertThat(transport.streamOpen(N1)).isTrue();
        } finally {
            release.countDown();
            holdAt = -1;
        }
        await().atMost(WAIT).until(() -> received.containsAll(sent));
        assertThat(received.stream().filter(sent::contains).toList()).containsExactlyElementsOf(sent);
    }

    @Test
    @Order(5)
    void aPeerAnswering404IsRetriedOverAStreamAndNeverSentPosts() {
        // a path where this server has no /raft/stream: Spring MVC answers 404, an error like any other refusal
        Map<String, AtomicInteger> opens = new ConcurrentHashMap<>();
        HttpTransport wrongUrl = standalone("n3", TOKEN, opens);
        try {
            Member misaddressed = Member.voter("n1", "http://127.0.0.1:" + receiverPort + "/elsewhere");
            await().atMost(WAIT).until(() -> {
                wrongUrl.send(misaddressed, new ReadIndexResponse("counter", MemberId.of("n3"), N1, 0, 1, false, 0));
                return opens.getOrDefault("REJECTED", new AtomicInteger()).get() >= 2;
            });
            assertThat(opens).doesNotContainKey("SUCCESS");
            assertThat(wrongUrl.streaming(N1)).isTrue();
            assertThat(requests().count("/elsewhere" + HttpTransport.RPC_PATH)).isZero();
        } finally {
            wrongUrl.close();
        }
    }

    @Test
    @Order(6)
    void aRestartedPeerIsReconnected() {
        awaitDeliveryResumes();
        HttpTransport transport = senderTransport();
        long opened = transport.streamsOpened(N1);
        receiver.stop();
        await().atMost(WAIT).until(() -> !transport.streamOpen(N1));
        receiver = receiverNode().start(); // same port, same data
        tap(receiver);
        awaitDeliveryResumes();
        assertThat(transport.streamsOpened(N1)).isGreaterThan(opened);
        assertThat(transport.streaming(N1)).isTrue();
        await().atMost(WAIT).until(receiver::isLeader);
    }

    private static String probeJson(long id) {
        return "{\"from\":\"n2\",\"messages\":[{\"type\":\"ReadIndexResponse\",\"group\":\"counter\",\"from\":\"n2\","
                + "\"to\":\"n1\",\"term\":0,\"requestId\":" + id + ",\"success\":false,\"readIndex\":0}]}";
    }

    /** A transport outside any application, with streams on; counts its stream opens by outcome. */
    private static HttpTransport standalone(String id, String token, Map<String, AtomicInteger> opens) {
        HttpTransport t = StandaloneTransport.create(id, token, null,
                (peer, outcome) -> opens.computeIfAbsent(outcome.name(), o -> new AtomicInteger()).incrementAndGet());
        t.start(m -> { });
        return t;
    }

    /** A stream opened by hand on a socket, to see exactly what the endpoint answers. */
    private static final class RawStream implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        int status;
        final Map<String, String> headers = new LinkedHashMap<>();

        private RawStream(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        static RawStream open(int port, String... headerLines) throws IOException {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            RawStream s = new RawStream(socket);
            StringBuilder head = new StringBuilder("POST /raft/stream HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n");
            for (String h : headerLines) {
                head.append(h).append("\r\n");
            }
            s.out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            s.out.flush();
            String statusLine = s.readLine();
            s.status = Integer.parseInt(statusLine.split(" ")[1]);
            String line;
            while (!(line = s.readLine()).isEmpty()) {
                int colon = line.indexOf(':');
                s.headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).trim());
            }
            return s;
        }

        String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        String readBody() throws IOException {
            int length = Integer.parseInt(headers.get("content-length"));
            return new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        void writeLine(String line) throws IOException {
            byte[] data = (line + "\n").getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(data);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
