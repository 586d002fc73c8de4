package io.raftex.autoconfigure.transport;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Peer messages as HTTP/JSON: {@code POST <member url>/raft/rpc} with a batch of messages for every group.
 *
 * <p>Each peer has a queue. {@link #send} only enqueues (it runs on a protocol thread and never blocks); a sender
 * thread takes everything queued for the peer, up to {@code raft.rpc.max-batch-bytes}, encodes it and posts it as
 * one request, one request at a time per peer so that messages keep their order. Messages queued meanwhile go in
 * the next batch, so batches grow with load. Apache HttpClient keeps connections alive (HTTP/1.1) with TCP_NODELAY.
 *
 * <p>Each peer has a resilience4j circuit breaker and time limiter. Messages are never retried here: Raft resends
 * what it still needs with the next heartbeat. While a peer's breaker is open its messages are dropped at once,
 * so the leader simply does not reach it (it does not step down for that).
 */
public final class HttpTransport implements Transport {

    /** The path of the peer RPC endpoint. */
    public static final String RPC_PATH = "/raft/rpc";
    /** Header that may carry the cluster token instead of {@code Authorization: Bearer}. */
    public static final String TOKEN_HEADER = "X-Raft-Cluster-Token";
    /** Header naming the sending node (informational). */
    public static final String FROM_HEADER = "X-Raft-From";
    /** Name prefix of the per-peer circuit breakers and time limiters. */
    public static final String RESILIENCE_PREFIX = "raft-peer-";

    private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);

    private final HttpTransportSettings settings;
    private final RaftMessageJson json;
    private final CircuitBreakerRegistry breakers;
    private final CircuitBreakerConfig breakerConfig;
    private final TimeLimiterRegistry limiters;
    private final TimeLimiterConfig limiterConfig;
    private final RpcObserver observer;
    private final ExecutorService executor;
    private final ScheduledExecutorService timeouts;
    /** Runs the blocking HTTP calls; one call per peer at a time, so it grows to about one thread per peer. */
    private final ExecutorService io;
    private final CloseableHttpClient client;
    private final Map<MemberId, Peer> peers = new ConcurrentHashMap<>();
    private final int batchOverhead;
    private volatile InboundHandler inbound;
    private volatile boolean closed;

    public HttpTransport(HttpTransportSettings settings, RaftMessageJson json, CircuitBreakerRegistry breakers,
                         CircuitBreakerConfig breakerConfig, TimeLimiterRegistry limiters,
                         TimeLimiterConfig limiterConfig, RpcObserver observer) {
        this.settings = settings;
        this.json = json;
        this.breakers = breakers;
        this.breakerConfig = breakerConfig;
        this.limiters = limiters;
        this.limiterConfig = limiterConfig;
        this.observer = observer;
        this.executor = Executors.newFixedThreadPool(2, daemonThreads("raft-rpc-sender-"));
        this.timeouts = Executors.newSingleThreadScheduledExecutor(daemonThreads("raft-rpc-timeout-"));
        this.io = Executors.newCachedThreadPool(daemonThreads("raft-rpc-io-"));
        Timeout rpcTimeout = Timeout.of(settings.rpcTimeout().plusMillis(100));
        // HTTP/1.1 with keep-alive; TCP_NODELAY so a request's body is not held back waiting for the ACK of its
        // headers (Nagle's algorithm against the server's delayed ACK costs ~40 ms per request)
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).setSoTimeout(rpcTimeout)
                                .build())
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(rpcTimeout)
                                .setSocketTimeout(rpcTimeout).build())
                        .setMaxConnPerRoute(2)
                        .setMaxConnTotal(256)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(rpcTimeout)
                        .setRedirectsEnabled(false).build())
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .build();
        this.batchOverhead = json.batchOverhead(settings.localId().value());
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void start(InboundHandler inbound) {
        this.inbound = inbound;
    }

    /** Whether {@link #start} was called and {@link #close} was not: inbound messages can be delivered. */
    public boolean accepting() {
        return inbound != null && !closed;
    }

    /** This node's id. */
    public MemberId localId() {
        return settings.localId();
    }

    /**
     * Hands messages that arrived over HTTP to the node.
     *
     * @return false if the transport is not started or already closed (nothing was delivered)
     */
    public boolean deliver(List<RaftMessage> messages) {
        InboundHandler handler = inbound;
        if (handler == null || closed) {
            return false;
        }
        for (RaftMessage m : messages) {
            handler.onMessage(m);
        }
        return true;
    }

    @Override
    public void send(Member to, RaftMessage message) {
        if (closed) {
            return;
        }
        if (to.id().equals(settings.localId())) {
            InboundHandler handler = inbound;
            if (handler != null) {
                execute(() -> handler.onMessage(message));
            }
            return;
        }
        Peer peer = peers.get(to.id());
        if (peer == null || !peer.url.equals(to.address())) {
            peer = peers.compute(to.id(), (id, old) -> old != null && old.url.equals(to.address())
                    ? old : new Peer(id, to.address()));
        }
        peer.enqueue(message);
    }

    private void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        executor.shutdownNow();
        timeouts.shutdownNow();
        io.shutdownNow();
        client.close(CloseMode.IMMEDIATE);
        for (Peer p : peers.values()) {
            breakers.remove(p.breaker.getName());
            limiters.remove(p.limiter.getName());
        }
        peers.clear();
    }

    /** Messages dropped for {@code peer} because its queue was full or its breaker open; for tests. */
    public long droppedMessages(MemberId peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.dropped.get();
    }

    /** The circuit breaker of {@code peer}, if a message was ever sent to it. */
    public CircuitBreaker circuitBreaker(MemberId peer) {
        Peer p = peers.get(peer);
        return p == null ? null : p.breaker;
    }

    /** One remote node: its queue and its resilience. */
    private final class Peer {
        final MemberId id;
        final String url;
        final URI uri;
        final CircuitBreaker breaker;
        final TimeLimiter limiter;
        final ConcurrentLinkedQueue<RaftMessage> queue = new ConcurrentLinkedQueue<>();
        final AtomicInteger queued = new AtomicInteger();
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicLong dropped = new AtomicLong();
        /** An encoded message that did not fit the previous batch; touched only by the thread holding busy. */
        volatile byte[] carry;
        volatile boolean failing;

        Peer(MemberId id, String url) {
            this.id = id;
            this.url = url;
            this.uri = URI.create(url + RPC_PATH);
            this.breaker = breakers.circuitBreaker(RESILIENCE_PREFIX + id.value(), breakerConfig);
            this.limiter = limiters.timeLimiter(RESILIENCE_PREFIX + id.value(), limiterConfig);
            breaker.getEventPublisher().onStateTransition(e -> log.info("circuit breaker of peer {} ({}): {}",
                    id, url, e.getStateTransition()));
        }

        void enqueue(RaftMessage message) {
            queue.add(message);
            if (queued.incrementAndGet() > settings.maxQueuedMessages() && queue.poll() != null) {
                queued.decrementAndGet();
                dropped.incrementAndGet();
            }
            schedule();
        }

        void schedule() {
            if ((carry != null || !queue.isEmpty()) && !closed && busy.compareAndSet(false, true)) {
                try {
                    executor.execute(this::drain);
                } catch (RejectedExecutionException e) {
                    busy.set(false);
                }
            }
        }

        private void done() {
            busy.set(false);
            schedule();
        }

        private void drain() {
            try {
                if (!breaker.tryAcquirePermission()) {
                    int n = dropAll();
                    dropped.addAndGet(n);
                    observer.onBatch(id.value(), n, RpcObserver.Outcome.SKIPPED, 0);
                    done();
                    return;
                }
                List<byte[]> parts = takeBatch();
                if (parts.isEmpty()) {
                    breaker.releasePermission();
                    done();
                    return;
                }
                post(parts);
            } catch (RuntimeException e) {
                log.error("sending to peer {} failed", id, e);
                done();
            }
        }

        private int dropAll() {
            int n = carry != null ? 1 : 0;
            carry = null;
            while (queue.poll() != null) {
                queued.decrementAndGet();
                n++;
            }
            return n;
        }

        private List<byte[]> takeBatch() {
            int max = settings.maxBatchBytes();
            List<byte[]> parts = new ArrayList<>();
            int size = batchOverhead;
            byte[] first = carry;
            if (first != null) {
                carry = null;
                parts.add(first);
                size += first.length + 1;
            }
            RaftMessage m;
            while ((m = queue.poll()) != null) {
                queued.decrementAndGet();
                byte[] encoded;
                try {
                    encoded = json.encode(m);
                } catch (RuntimeException e) {
                    log.error("cannot encode {} for peer {}; dropped", m.getClass().getSimpleName(), id, e);
                    continue;
                }
                if (encoded.length + 1 + batchOverhead > max) {
                    dropped.incrementAndGet();
                    log.warn("{} for peer {} takes {} bytes, more than raft.rpc.max-batch-bytes ({}); dropped",
                            m.getClass().getSimpleName(), id, encoded.length, max);
                    continue;
                }
                if (size + encoded.length + 1 > max) {
                    carry = encoded;
                    break;
                }
                parts.add(encoded);
                size += encoded.length + 1;
            }
            return parts;
        }

        private void post(List<byte[]> parts) {
            byte[] body = json.batch(settings.localId().value(), parts);
            HttpPost request = new HttpPost(uri);
            request.setHeader(FROM_HEADER, settings.localId().value());
            settings.clusterToken().ifPresent(t -> request.setHeader("Authorization", "Bearer " + t));
            request.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
            long start = System.nanoTime();
            int count = parts.size();
            limiter.executeCompletionStage(timeouts, () -> CompletableFuture.supplyAsync(() -> execute(request), io))
                    .whenComplete((status, error) -> {
                        try {
                            completed(count, start, status, error);
                        } finally {
                            done();
                        }
                    });
        }

        /** Sends one batch and returns the HTTP status; the answer's body is read and dropped. */
        private int execute(HttpPost request) {
            try {
                return client.execute(request, response -> {
                    EntityUtils.consume(response.getEntity());
                    return response.getCode();
                });
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }

        private void completed(int count, long start, Integer status, Throwable error) {
            long nanos = System.nanoTime() - start;
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                breaker.onError(nanos, TimeUnit.NANOSECONDS, cause);
                boolean timeout = cause instanceof TimeoutException
                        || cause instanceof java.net.SocketTimeoutException;
                observer.onBatch(id.value(), count, timeout ? RpcObserver.Outcome.TIMEOUT : RpcObserver.Outcome.ERROR,
                        nanos);
                if (!failing) {
                    failing = true;
                    log.warn("cannot reach peer {} at {}: {}", id, url, cause.toString());
                } else {
                    log.debug("cannot reach peer {} at {}: {}", id, url, cause.toString());
                }
                return;
            }
            if (status >= 200 && status < 300) {
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                observer.onBatch(id.value(), count, RpcObserver.Outcome.SUCCESS, nanos);
                if (failing) {
                    failing = false;
                    log.info("peer {} at {} is reachable again", id, url);
                }
                return;
            }
            // 5xx but 503 (starting or stopping) means the peer is broken; any other status means it is alive
            if (status >= 500 && status != 503) {
                breaker.onError(nanos, TimeUnit.NANOSECONDS, new IOException("HTTP " + status));
            } else {
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
            }
            observer.onBatch(id.value(), count, RpcObserver.Outcome.REJECTED, nanos);
            if (status == 401 || status == 403) {
                log.warn("peer {} at {} refused our cluster token (HTTP {}): check raft.security.cluster-token",
                        id, url, status);
            } else {
                log.debug("peer {} at {} answered HTTP {}", id, url, status);
            }
        }
    }
}
