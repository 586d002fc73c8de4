package io.raftex.autoconfigure.transport;

import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The sending side of the HTTP transport against a stub peer. */
class HttpTransportTest {

    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");

    private final RaftMessageJson json = new RaftMessageJson();
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final TimeLimiterRegistry limiters = TimeLimiterRegistry.ofDefaults();
    private final Map<RpcObserver.Outcome, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    private final Map<RpcObserver.Outcome, AtomicInteger> streamOpens = new ConcurrentHashMap<>();
    private HttpServer server;
    private HttpTransport transport;

    @AfterEach
    void close() {
        if (transport != null) {
            transport.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private HttpTransport transport(Duration timeout, int maxBatchBytes) {
        return transport(timeout, maxBatchBytes, HttpTransportSettings.Stream.DISABLED);
    }

    private HttpTransport transport(Duration timeout, int maxBatchBytes, HttpTransportSettings.Stream stream) {
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom().slidingWindowSize(10).minimumNumberOfCalls(5)
                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofSeconds(30)).build();
        transport = new HttpTransport(new HttpTransportSettings(N1, timeout, maxBatchBytes, Optional.of("tok"), 10_000,
                stream), json, breakers, breaker, limiters, TimeLimiterConfig.custom().timeoutDuration(timeout).build(),
                new RpcObserver() {
                    @Override
                    public void onBatch(String peer, int messages, Outcome outcome, long nanos) {
                        outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).addAndGet(messages);
                    }

                    @Override
                    public void onStreamOpen(String peer, Outcome outcome, long nanos) {
                        streamOpens.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
                    }
                });
        transport.start(m -> { });
        return transport;
    }

    private static HttpTransportSettings.Stream streams() {
        return HttpTransportSettings.Stream.enabled(Duration.ofMillis(50), Duration.ofMillis(400),
                Duration.ofMillis(200));
    }

    /** A stub peer that records request bodies and headers and answers 202, after an optional delay. */
    private List<List<RaftMessage>> stubPeer(List<String> tokens, CountDownLatch release) throws IOException {
        List<List<RaftMessage>> batches = new CopyOnWriteArrayList<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/raft/rpc", exchange -> {
            try {
                if (release != null) {
                    release.await(10, TimeUnit.SECONDS);
                }
                tokens.add(exchange.getRequestHeaders().getFirst("Authorization"));
                batches.add(json.decodeBatch(exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(202, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });
        server.start();
        return batches;
    }

    private Member peer() {
        return Member.voter("n2", "http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static VoteResponse message(long term) {
        return new VoteResponse("g", N1, N2, term, true);
    }

    @Test
    void batchesQueuedMessagesInOrderWithTheToken() throws Exception {
        List<String> tokens = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        List<List<RaftMessage>> batches = stubPeer(tokens, release);
        HttpTransport t = transport(Duration.ofSeconds(5), 64 * 1024);
        Member peer = peer();
        // the first call is held by the peer while 500 more messages queue up
        long start = System.nanoTime();
        for (int i = 1; i <= 501; i++) {
            t.send(peer, message(i));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> batches.stream().mapToInt(List::size).sum() == 501);
        assertThat(batches.size()).isLessThan(20);
        List<Long> terms = batches.stream().flatMap(List::stream).map(RaftMessage::term).toList();
        assertThat(terms).isSorted().hasSize(501);
        assertThat(tokens).allMatch("Bearer tok"::equals);
        // the peer records a batch before it answers: the outcome follows the answer
        await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.containsKey(RpcObserver.Outcome.SUCCESS)
                && outcomes.get(RpcObserver.Outcome.SUCCESS).get() == 501);
    }

    @Test
    void aPeersQueueIsBoundedInBytesNotOnlyInMessages() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<List<RaftMessage>> batches = stubPeer(new CopyOnWriteArrayList<>(), release);
        HttpTransport t = transport(Duration.ofSeconds(5), 64 * 1024);
        Member peer = peer();
        t.send(peer, message(1)); // the first call is held by the peer
        await().atMost(Duration.ofSeconds(5)).until(() -> t.queuedBytes(N2) == 0);
        // 200 AppendEntries of 40 KiB each (8 MB) queue up behind it: far fewer messages than the count bound
        byte[] payload = new byte[40 * 1024];
        for (int i = 0; i < 200; i++) {
            t.send(peer, new AppendEntriesRequest("g", N1, N2, 1, i, 1, List.of(new LogEntry(i + 1, 1,
                    EntryType.COMMAND, 0, 0, 0, 0, payload)), 0, 0));
        }
        assertThat(t.queuedBytes(N2)).as("queued for the held peer").isLessThanOrEqualTo(16L * 64 * 1024);
        assertThat(t.droppedMessages(N2)).as("the oldest went").isPositive();
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> batches.stream().flatMap(List::stream)
                .anyMatch(m -> m instanceof AppendEntriesRequest a && a.prevLogIndex() == 199));
        assertThat(t.queuedBytes(N2)).isZero();
        List<Long> prevs = batches.stream().flatMap(List::stream).filter(m -> m instanceof AppendEntriesRequest)
                .map(m -> ((AppendEntriesRequest) m).prevLogIndex()).toList();
        assertThat(prevs).as("the newest are sent, in order").isSorted().contains(199L);
    }

    @Test
    void batchesRespectTheSizeLimit() throws Exception {
        List<List<RaftMessage>> batches = stubPeer(new CopyOnWriteArrayList<>(), null);
        HttpTransport t = transport(Duration.ofSeconds(5), 1024);
        for (int i = 1; i <= 100; i++) {
            t.send(peer(), message(i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> batches.stream().mapToInt(List::size).sum() == 100);
        assertThat(batches).allSatisfy(b -> assertThat(json.batch("n1",
                b.stream().map(json::encode).toList()).length).isLessThanOrEqualTo(1024));
    }

    @Test
    void aSlowPeerTimesOutAndAnUnreachableOneOpensItsBreaker() throws Exception {
        stubPeer(new CopyOnWriteArrayList<>(), new CountDownLatch(1)); // never answers in time
        HttpTransport t = transport(Duration.ofMillis(200), 64 * 1024);
        t.send(peer(), message(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> outcomes.containsKey(RpcObserver.Outcome.TIMEOUT));

        Member dead = Member.voter("n3", "http://127.0.0.1:" + TestNode.freePort());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            t.send(dead, message(2));
            CircuitBreaker b = t.circuitBreaker(MemberId.of("n3"));
            return b != null && b.getState() == CircuitBreaker.State.OPEN;
        });
        // open: messages are dropped at once, without a call
        long dropped = t.droppedMessages(MemberId.of("n3"));
        for (int i = 0; i < 100; i++) {
            t.send(dead, message(3));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> t.droppedMessages(MemberId.of("n3")) >= dropped + 100);
        await().atMost(Duration.ofSeconds(5)).until(() -> outcomes.containsKey(RpcObserver.Outcome.SKIPPED)
                && outcomes.get(RpcObserver.Outcome.SKIPPED).get() >= 100);
        assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "raft-peer-n3").tag("state", "open")
                .gauge().value()).isEqualTo(1.0);
    }

    @Test
    void aPeerSentNothingForAWhileIsLetGoAndReopenedByTheNextMessage() throws Exception {
        List<List<RaftMessage>> batches = stubPeer(new CopyOnWriteArrayList<>(), null);
        HttpTransport t = transport(Duration.ofSeconds(5), 64 * 1024);
        t.idlePeerTimeout(Duration.ofMillis(300));
        t.send(peer(), message(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> batches.stream().mapToInt(List::size).sum() == 1);
        assertThat(t.hasPeer(N2)).isTrue();
        // a removed member is sent nothing more: its link goes
        await().atMost(Duration.ofSeconds(10)).until(() -> !t.hasPeer(N2));
        t.send(peer(), message(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> batches.stream().mapToInt(List::size).sum() == 2);
        assertThat(batches.stream().flatMap(List::stream).map(RaftMessage::term).toList()).containsExactly(1L, 2L);
    }

    @Test
    void aMemberWhoseAddressIsNotAUrlIsSentNothingAndNothingThrows() {
        HttpTransport t = transport(Duration.ofSeconds(5), 64 * 1024);
        for (String address : List.of("", "not a url", "ftp://h:1", "h:1", "http://")) {
            t.send(new Member(N2, address, io.raftex.core.Membership.VOTER), message(1));
            assertThat(t.hasPeer(N2)).as(address).isFalse();
        }
    }

    @Test
    void aMemberUrlOutsideTheRulesIsSentNothingWithStreamsEither() {
        HttpTransport t = transport(Duration.ofMillis(200), 64 * 1024, streams());
        for (String address : List.of("http://127.0.0.1:99999", "http://127.0.0.1:0", "http://u:p@127.0.0.1:1",
                "http://127.0.0.1:1?q=1")) {
            for (int i = 0; i < 5; i++) {
                t.send(new Member(N2, address, io.raftex.core.Membership.VOTER), message(i));
            }
            assertThat(t.hasPeer(N2)).as(address).isFalse();
        }
    }

    @Test
    void twoMembersAtOneUrlDoNotTakeEachOthersLink() throws Exception {
        stubPeer(new CopyOnWriteArrayList<>(), null);
        HttpTransport t = transport(Duration.ofSeconds(5), 64 * 1024);
        t.send(peer(), message(1));
        t.send(new Member(MemberId.of("n3"), peer().address(), io.raftex.core.Membership.VOTER), message(1));
        assertThat(t.hasPeer(N2)).isTrue();
        assertThat(t.hasPeer(MemberId.of("n3"))).as("the second id at n2's url is sent nothing").isFalse();
    }

    @Test
    void aPeerAnswering404ToTheStreamIsRetriedOverAStreamAndNeverSentPosts() throws Exception {
        List<String> tokens = new CopyOnWriteArrayList<>();
        List<List<RaftMessage>> batches = stubPeer(tokens, null); // no /raft/stream here: 404
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(HttpTransport.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            HttpTransport t = transport(Duration.ofSeconds(5), 64 * 1024, streams());
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                t.send(peer(), message(1));
                AtomicInteger rejected = streamOpens.get(RpcObserver.Outcome.REJECTED);
                return rejected != null && rejected.get() >= 3;
            });
            // a 404 is a refused open like any other: the stream is tried again, nothing goes by POST /raft/rpc
            assertThat(t.streaming(N2)).isTrue();
            assertThat(t.streamOpen(N2)).isFalse();
            assertThat(batches).isEmpty();
            assertThat(tokens).allMatch("Bearer tok"::equals);
        } finally {
            logger.detachAppender(appender);
        }
        // one warning names the peer, its url and the 404; the retries after it are not repeated as warnings
        List<String> warnings = appender.list.stream()
                .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("404")).toList();
        assertThat(warnings).singleElement().asString().contains("peer n2 at " + peer().address())
                .contains("POST /raft/stream").contains("retrying");
    }

    @Test
    void anUnreachablePeerOpensItsBreakerWithStreamsToo() {
        HttpTransport t = transport(Duration.ofMillis(200), 64 * 1024, streams());
        Member dead = Member.voter("n3", "http://127.0.0.1:" + TestNode.freePort());
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            t.send(dead, message(1));
            CircuitBreaker b = t.circuitBreaker(MemberId.of("n3"));
            return b != null && b.getState() == CircuitBreaker.State.OPEN;
        });
        assertThat(streamOpens.get(RpcObserver.Outcome.ERROR).get()).isGreaterThanOrEqualTo(5);
        // open: no more attempts, and what is queued is dropped
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            t.send(dead, message(2));
            return streamOpens.containsKey(RpcObserver.Outcome.SKIPPED);
        });
        long dropped = t.droppedMessages(MemberId.of("n3"));
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            t.send(dead, message(3));
            return t.droppedMessages(MemberId.of("n3")) > dropped;
        });
        assertThat(t.streamOpen(MemberId.of("n3"))).isFalse();
        assertThat(t.streaming(MemberId.of("n3"))).isTrue();
    }

    @Test
    void aStreamWhosePeerFallsSilentIsReopened() throws Exception {
        // a peer that accepts streams and reads them, but never answers a ping (a link that went dark)
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!silent.isClosed()) {
                    try {
                        Socket s = silent.accept();
                        accepted.incrementAndGet();
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                .getBytes(StandardCharsets.ISO_8859_1));
                        s.getOutputStream().flush();
                        Thread reader = new Thread(() -> {
                            try (s) {
                                s.getInputStream().transferTo(OutputStream.nullOutputStream());
                            } catch (IOException ignored) {
                                // the sender gave up on it
                            }
                        });
                        reader.setDaemon(true);
                        reader.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            HttpTransport t = transport(Duration.ofMillis(200), 64 * 1024, new HttpTransportSettings.Stream(true,
                    Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(400)));
            Member peer = Member.voter("n2", "http://127.0.0.1:" + silent.getLocalPort());
            t.send(peer, message(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> t.streamOpen(N2));
            // no answer to its pings within 400 ms: the sender ends the stream and opens another
            await().atMost(Duration.ofSeconds(10)).until(() -> accepted.get() >= 3);
            assertThat(t.streamsOpened(N2)).isGreaterThanOrEqualTo(2);
        }
    }
}
