package io.raftex.autoconfigure.transport;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.raftex.autoconfigure.MemberRules;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.log.LogEntry;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.InstallSnapshotRequest;
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
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.DefaultHostnameVerifier;
import org.apache.hc.core5.reactor.ssl.SSLBufferMode;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Peer messages as HTTP/JSON, over a long-lived stream per peer ({@code POST <member url>/raft/stream}), or one
 * {@code POST <member url>/raft/rpc} per batch.
 *
 * <p>Each peer has a queue. {@link #send} only enqueues (it runs on a protocol thread and never blocks). A queue holds
 * at most {@code maxQueuedMessages} messages and about {@value #QUEUED_BATCHES} batches' worth of payload bytes
 * ({@code raft.rpc.max-batch-bytes} each); past either bound the oldest messages are dropped.
 *
 * <p><b>Streams</b> (the default, {@code raft.rpc.stream=true}; after etcd's rafthttp). Each peer has a writer
 * thread that keeps one HTTP/1.1 POST open to the peer's {@code /raft/stream}, with a chunked body that does not
 * end: it takes everything queued for the peer (up to {@code raft.rpc.max-batch-bytes}), writes it as one line of
 * JSON (the same batch as {@code /raft/rpc} takes) and flushes, and goes on with the next without waiting: nothing
 * answers a batch, the peer's replies come back on its own stream to this node. One stream and one writer per peer
 * keep the messages in order. The cluster token is checked once, when the stream opens. When the stream fails
 * (connection refused or reset, the peer restarts, or ends the stream because it refused a line) it is reopened
 * after an exponential backoff with jitter, and whatever is queued meanwhile is dropped (Raft resends what it
 * needs). Every second the stream carries a ping (an empty line), which the peer answers on the otherwise silent
 * answer body; a stream whose peer stays silent, or whose write stays blocked, for the write timeout (a partition,
 * a paused process) is ended and reopened. A peer that refuses the open (any status but 200, 404 included) is logged
 * and tried again after the backoff, like one that cannot be reached.
 *
 * <p><b>One POST per batch</b> ({@code raft.rpc.stream=false}). A sender thread
 * takes everything queued for the peer, up to {@code raft.rpc.max-batch-bytes}, encodes it and posts it as one
 * request, one request at a time per peer so that messages keep their order. Messages queued meanwhile go in the
 * next batch, so batches grow with load. Apache HttpClient keeps connections alive (HTTP/1.1) with TCP_NODELAY.
 *
 * <p>Peers are found from the {@link Member} each message is sent to, so members added to a group's configuration
 * are reached at the address the configuration gives them. A peer sent nothing for a minute (a member removed from
 * every group, or a follower that only talked to another during an election) has its link closed; the next
 * message opens a new one.
 *
 * <p>Each peer has a resilience4j circuit breaker and time limiter. They guard each {@code /raft/rpc} call, and
 * each stream open (a stream that breaks counts as a failed call too). Messages are never retried here: Raft
 * resends what it still needs with the next heartbeat. While a peer's breaker is open its messages are dropped at
 * once, so the leader simply does not reach it (it does not step down for that).
 *
 * <p><b>TLS.</b> Peers at {@code https} URLs are reached with the {@link PeerTls} material given (the SSL bundle
 * named by {@code raft.rpc.ssl.bundle}), or with the JVM's defaults without one. With material given, a member at an
 * {@code http} URL is not sent anything (messages to it are dropped, the address logged once).
 * {@link #updateTls} replaces the material at run time: the HTTP client is rebuilt and open streams are ended, so
 * that every connection opened from then on uses the new key and trust.
 */
public final class HttpTransport implements Transport {

    /** The path of the peer RPC endpoint. */
    public static final String RPC_PATH = "/raft/rpc";
    /** The path of the peer stream endpoint. */
    public static final String STREAM_PATH = "/raft/stream";
    /** Media type of a stream's body: newline-delimited JSON, one batch per line. */
    public static final String STREAM_MEDIA_TYPE = "application/x-ndjson";
    /** Header that may carry the cluster token instead of {@code Authorization: Bearer}. */
    public static final String TOKEN_HEADER = "X-Raft-Cluster-Token";
    /** Header naming the sending node (informational). */
    public static final String FROM_HEADER = "X-Raft-From";
    /** Name prefix of the per-peer circuit breakers and time limiters. */
    public static final String RESILIENCE_PREFIX = "raft-peer-";

    private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);
    private static final byte[] EMPTY = new byte[0];
    private static final long TOKEN_WARNING_INTERVAL = TimeUnit.SECONDS.toNanos(30);
    /** A peer's queue holds about this many batches' worth of payload bytes at most. */
    static final int QUEUED_BATCHES = 16;

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
    private volatile CloseableHttpClient client;
    /** The material of outgoing TLS connections; null: the JVM's defaults. */
    private volatile PeerTls tls;
    private final AtomicLong tlsUpdates = new AtomicLong();
    private final Map<MemberId, Peer> peers = new ConcurrentHashMap<>();
    /** Member addresses found not to be URLs, logged once each. */
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final int batchOverhead;
    private final long maxQueuedBytes;
    /** Waits for the end of each open stream (one blocked thread per open stream). */
    private final ExecutorService streamReaders;
    private volatile InboundHandler inbound;
    private volatile Consumer<RaftMessage> inboundTap;
    private volatile boolean closed;
    /** How long a peer may go without messages before {@link #pruneIdlePeers} closes its link. */
    private volatile Duration idlePeerTimeout = Duration.ofMinutes(1);

    public HttpTransport(HttpTransportSettings settings, RaftMessageJson json, CircuitBreakerRegistry breakers,
                         CircuitBreakerConfig breakerConfig, TimeLimiterRegistry limiters,
                         TimeLimiterConfig limiterConfig, RpcObserver observer) {
        this(settings, json, breakers, breakerConfig, limiters, limiterConfig, observer, null);
    }

    /**
     * A transport whose {@code https} connections to peers use {@code tls} (null: the JVM's defaults, and members
     * at {@code http} URLs are reached too).
     */
    public HttpTransport(HttpTransportSettings settings, RaftMessageJson json, CircuitBreakerRegistry breakers,
                         CircuitBreakerConfig breakerConfig, TimeLimiterRegistry limiters,
                         TimeLimiterConfig limiterConfig, RpcObserver observer, PeerTls tls) {
        this.settings = settings;
        this.tls = tls;
        this.maxQueuedBytes = (long) QUEUED_BATCHES * settings.maxBatchBytes();
        this.json = json;
        this.breakers = breakers;
        this.breakerConfig = breakerConfig;
        this.limiters = limiters;
        this.limiterConfig = limiterConfig;
        this.observer = observer;
        this.executor = Executors.newFixedThreadPool(2, daemonThreads("raft-rpc-sender-"));
        this.timeouts = Executors.newSingleThreadScheduledExecutor(daemonThreads("raft-rpc-timeout-"));
        this.io = Executors.newCachedThreadPool(daemonThreads("raft-rpc-io-"));
        this.client = buildClient(settings, tls);
        this.batchOverhead = json.batchOverhead(settings.localId().value());
        this.streamReaders = Executors.newCachedThreadPool(daemonThreads("raft-stream-reader-"));
        if (settings.stream().enabled()) {
            long every = Math.max(100, Math.min(1000, settings.stream().writeTimeout().toMillis() / 4));
            timeouts.scheduleWithFixedDelay(this::checkBlockedWrites, every, every, TimeUnit.MILLISECONDS);
        }
        timeouts.scheduleWithFixedDelay(this::pruneIdlePeers, 1, 1, TimeUnit.SECONDS);
    }

    /** The client of {@code POST /raft/rpc}; {@code tls} (if not null) for {@code https} peers. */
    private static CloseableHttpClient buildClient(HttpTransportSettings settings, PeerTls tls) {
        Timeout rpcTimeout = Timeout.of(settings.rpcTimeout().plusMillis(100));
        // HTTP/1.1 with keep-alive; TCP_NODELAY so a request's body is not held back waiting for the ACK of its
        // headers (Nagle's algorithm against the server's delayed ACK costs ~40 ms per request)
        PoolingHttpClientConnectionManagerBuilder connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).setSoTimeout(rpcTimeout).build())
                .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(rpcTimeout)
                        .setSocketTimeout(rpcTimeout).build())
                .setMaxConnPerRoute(2)
                .setMaxConnTotal(256);
        if (tls != null) {
            connections.setTlsSocketStrategy(new DefaultClientTlsStrategy(tls.context(), tls.protocols(),
                    tls.ciphers(), SSLBufferMode.STATIC, new DefaultHostnameVerifier()));
        }
        return HttpClients.custom()
                .setConnectionManager(connections.build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(rpcTimeout)
                        .setRedirectsEnabled(false).build())
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .build();
    }

    /**
     * Replaces the TLS material of outgoing connections (a reloaded SSL bundle): builds a new HTTP client for
     * {@code POST /raft/rpc} and closes the old one (a call in progress on it fails; Raft resends), and ends every
     * open stream, which its writer reopens with the new material at once. Connections opened from now on present
     * the new key and trust the new certificates.
     */
    public synchronized void updateTls(PeerTls material) {
        Objects.requireNonNull(material, "material");
        if (closed) {
            return;
        }
        CloseableHttpClient old = client;
        tls = material;
        client = buildClient(settings, material);
        old.close(CloseMode.GRACEFUL);
        for (Peer p : peers.values()) {
            StreamConnection c = p.connection;
            if (c != null) {
                c.close("the TLS material was updated");
            }
        }
        tlsUpdates.incrementAndGet();
        log.info("TLS material of peer connections updated: new connections use it");
    }

    /** How often {@link #updateTls} replaced the TLS material. */
    public long tlsUpdates() {
        return tlsUpdates.get();
    }

    /** Whether outgoing connections use TLS material of their own (else the JVM's defaults). */
    public boolean hasTls() {
        return tls != null;
    }

    /**
     * Lets go of peers nothing was sent to for {@link #idlePeerTimeout}: their stream (and writer thread) is closed,
     * and a later message opens a new one. A member removed from every group's configuration is sent nothing
     * more, so its link does not stay open (or keep reconnecting to a node that was shut down) for ever.
     */
    private void pruneIdlePeers() {
        long limit = idlePeerTimeout.toNanos();
        long now = System.nanoTime();
        for (Peer p : peers.values()) {
            if (now - p.lastEnqueued > limit && p.queue.isEmpty() && peers.remove(p.id, p)) {
                log.debug("nothing sent to peer {} at {} for {} ms: closing its link", p.id, p.url,
                        idlePeerTimeout.toMillis());
                p.shut();
            }
        }
    }

    /** Sets how long a peer may go without messages before its link is closed (default one minute); for tests. */
    void idlePeerTimeout(Duration timeout) {
        this.idlePeerTimeout = timeout;
    }

    /** Whether this transport holds a link (a queue, and a stream or sender) to {@code peer} now. */
    public boolean hasPeer(MemberId peer) {
        return peers.containsKey(peer);
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
        Consumer<RaftMessage> tap = inboundTap;
        for (RaftMessage m : messages) {
            if (tap != null) {
                tap.accept(m);
            }
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
            if (!reachable(to)) {
                return;
            }
            peer = peers.compute(to.id(), (id, old) -> {
                if (old != null && old.url.equals(to.address())) {
                    return old;
                }
                if (old != null) {
                    old.shut();
                }
                return new Peer(id, to.address());
            });
        }
        peer.enqueue(message);
    }

    /**
     * Whether {@code to}'s address is a valid member URL ({@link MemberRules#baseUrl}) that no other member's link
     * uses. A member's address comes from the group's configuration, which membership changes let peers and the admin
     * API set; a message to an address outside the rules is dropped (and the address logged once, redacted) rather
     * than thrown at the group's thread or retried by a writer for ever.
     */
    private boolean reachable(Member to) {
        String address = to.address();
        if (!MemberRules.isValidUrl(address)) {
            if (unreachable.add(to.id() + "=" + address)) {
                log.warn("member {} has the address '{}', which is not a valid member url ({}): messages to it are"
                        + " dropped", to.id(), MemberRules.redact(address), MemberRules.URL_RULE);
            }
            return false;
        }
        if (tls != null && !address.regionMatches(true, 0, "https:", 0, 6)) {
            if (unreachable.add(to.id() + "=" + address)) {
                log.warn("member {} has the address '{}', which is not https while raft.rpc.ssl.bundle is set:"
                        + " messages to it are dropped", to.id(), MemberRules.redact(address));
            }
            return false;
        }
        for (Peer p : peers.values()) {
            if (!p.id.equals(to.id()) && p.url.equalsIgnoreCase(address)) {
                // two ids at one node would make its streams replace each other for ever: the first keeps the link
                if (unreachable.add(to.id() + "=" + address)) {
                    log.warn("member {} has the address of member {} ({}): messages to {} are dropped while {} is"
                            + " reached there", to.id(), p.id, MemberRules.redact(address), to.id(), p.id);
                }
                return false;
            }
        }
        return true;
    }

    /** Ends streams whose writer has been blocked longer than the write timeout (the peer stopped reading). */
    private void checkBlockedWrites() {
        long limit = settings.stream().writeTimeout().toNanos();
        long now = System.nanoTime();
        for (Peer p : peers.values()) {
            long started = p.writeStarted;
            StreamConnection c = p.connection;
            if (started != 0 && c != null && now - started > limit) {
                c.close("a write was blocked for more than " + settings.stream().writeTimeout().toMillis()
                        + " ms (the peer does not read)");
            }
        }
    }

    /**
     * Lets a test see every message handed to the node, before it is (on the delivering thread); null removes it.
     */
    void tapInbound(Consumer<RaftMessage> tap) {
        this.inboundTap = tap;
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
        for (Peer p : peers.values()) {
            p.shut();
        }
        executor.shutdownNow();
        timeouts.shutdownNow();
        io.shutdownNow();
        streamReaders.shutdownNow();
        synchronized (this) {
            client.close(CloseMode.IMMEDIATE);
        }
        for (Peer p : peers.values()) {
            breakers.remove(p.breaker.getName());
            limiters.remove(p.limiter.getName());
        }
        peers.clear();
    }

    /** About how many payload bytes wait for {@code peer} now; for tests. */
    public long queuedBytes(MemberId peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.queuedBytes.get();
    }

    /** The payload bytes of a message, as the queue bound counts them: entries and snapshot chunks. */
    static long payloadBytes(RaftMessage m) {
        if (m instanceof AppendEntriesRequest a) {
            long n = 0;
            for (LogEntry e : a.entries()) {
                n += e.sizeInBytes();
            }
            return n;
        }
        return m instanceof InstallSnapshotRequest i ? i.data().length : 0;
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

    /** Batches (lines) written to streams to {@code peer} so far, pings not counted. */
    public long streamBatchesWritten(MemberId peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.streamBatches.get();
    }

    /** Streams to {@code peer} opened so far. */
    public long streamsOpened(MemberId peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.streamsOpened.get();
    }

    /** Whether a stream to {@code peer} is open now. */
    public boolean streamOpen(MemberId peer) {
        Peer p = peers.get(peer);
        StreamConnection c = p == null ? null : p.connection;
        return c != null && c.alive();
    }

    /** Whether messages to {@code peer} go over a stream (false: one {@code POST /raft/rpc} per batch). */
    public boolean streaming(MemberId peer) {
        Peer p = peers.get(peer);
        return p == null ? settings.stream().enabled() : p.streaming;
    }

    /**
     * One remote node: its queue, its resilience, and either its stream writer or its one-call-at-a-time sender.
     * Exactly one of them owns the queue at a time: the writer thread while {@link #streaming}, else the sender
     * that holds {@link #busy}.
     */
    private final class Peer {
        final MemberId id;
        final String url;
        final URI uri;
        final URI streamUri;
        final CircuitBreaker breaker;
        final TimeLimiter limiter;
        final ConcurrentLinkedQueue<RaftMessage> queue = new ConcurrentLinkedQueue<>();
        final AtomicInteger queued = new AtomicInteger();
        /** About how many bytes the queued messages hold (their payloads: entries, snapshot chunks). */
        final AtomicLong queuedBytes = new AtomicLong();
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLong streamBatches = new AtomicLong();
        final AtomicLong streamsOpened = new AtomicLong();
        /** An encoded message that did not fit the previous batch; touched only by the queue's owner. */
        volatile byte[] carry;
        volatile boolean failing;
        /** Messages go over a stream (the writer thread owns the queue); else one POST per batch. */
        final boolean streaming;
        volatile Thread writer;
        volatile boolean writerWaiting;
        volatile StreamConnection connection;
        /** When the write in progress started ({@link System#nanoTime}), 0 when none is. */
        volatile long writeStarted;
        /** Replaced by a peer of another URL, idle, or the transport closed. */
        volatile boolean shut;
        /** When a message was last queued ({@link System#nanoTime}). */
        volatile long lastEnqueued = System.nanoTime();
        // the writer thread's own state
        private int attempts;
        private long nextAttemptAt;
        private long lastPing;
        private long lastTokenWarning;

        /** Logs a refused cluster token: a warning at most every 30 s, debug otherwise. */
        private void tokenRefused(int status) {
            long now = System.nanoTime();
            if (now - lastTokenWarning > TOKEN_WARNING_INTERVAL || lastTokenWarning == 0) {
                lastTokenWarning = now;
                log.warn("peer {} at {} refused our cluster token (HTTP {}): check raft.security.cluster-token"
                        + "{}", id, url, status, status == 403 && tls != null
                        ? " and the client certificate of raft.rpc.ssl.bundle" : "");
            } else {
                log.debug("peer {} at {} refused our cluster token (HTTP {})", id, url, status);
            }
        }

        Peer(MemberId id, String url) {
            this.id = id;
            this.url = url;
            this.uri = URI.create(url + RPC_PATH);
            this.streamUri = URI.create(url + STREAM_PATH);
            this.breaker = breakers.circuitBreaker(RESILIENCE_PREFIX + id.value(), breakerConfig);
            this.limiter = limiters.timeLimiter(RESILIENCE_PREFIX + id.value(), limiterConfig);
            this.streaming = settings.stream().enabled();
            this.nextAttemptAt = System.nanoTime();
            breaker.getEventPublisher().onStateTransition(e -> {
                // a peer that stays down (stopped, or removed from the group) is probed open, half-open, open...
                // every few seconds: only going down and coming back are worth INFO
                CircuitBreaker.StateTransition t = e.getStateTransition();
                if (t.getFromState() == CircuitBreaker.State.CLOSED || t.getToState() == CircuitBreaker.State.CLOSED) {
                    log.info("circuit breaker of peer {} ({}): {}", id, url, t);
                } else {
                    log.debug("circuit breaker of peer {} ({}): {}", id, url, t);
                }
            });
        }

        void enqueue(RaftMessage message) {
            lastEnqueued = System.nanoTime();
            queue.add(message);
            queued.incrementAndGet();
            queuedBytes.addAndGet(payloadBytes(message));
            // bounded in messages and in bytes (AppendEntries probes and snapshot chunks can be ~1 MiB each): the
            // oldest go first, and Raft resends what it still needs
            while ((queued.get() > settings.maxQueuedMessages() || queuedBytes.get() > maxQueuedBytes)
                    && queued.get() > 1 && take() != null) {
                dropped.incrementAndGet();
            }
            schedule();
        }

        /** Takes the oldest queued message, if any, out of the counts. */
        private RaftMessage take() {
            RaftMessage m = queue.poll();
            if (m != null) {
                queued.decrementAndGet();
                queuedBytes.addAndGet(-payloadBytes(m));
            }
            return m;
        }

        void schedule() {
            if (streaming) {
                Thread w = writer;
                if (w == null) {
                    startWriter();
                } else if (writerWaiting) {
                    LockSupport.unpark(w);
                }
                return;
            }
            if ((carry != null || !queue.isEmpty()) && !closed && busy.compareAndSet(false, true)) {
                try {
                    executor.execute(this::drain);
                } catch (RejectedExecutionException e) {
                    busy.set(false);
                }
            }
        }

        private synchronized void startWriter() {
            if (writer != null || !streaming || shut || closed) {
                return;
            }
            Thread t = new Thread(this::writeLoop, "raft-stream-" + settings.localId().value() + "-to-" + id.value());
            t.setDaemon(true);
            writer = t;
            t.start();
        }

        /** Stops this peer's writer and closes its stream (the transport closes, or the peer moved). */
        void shut() {
            shut = true;
            StreamConnection c = connection;
            if (c != null) {
                c.close("closed");
            }
            Thread w = writer;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        private void done() {
            busy.set(false);
            schedule();
        }

        // ---- one POST /raft/rpc per batch

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
            while (take() != null) {
                n++;
            }
            return n;
        }

        // ---- the stream

        private boolean hasWork() {
            return carry != null || !queue.isEmpty();
        }

        private boolean stopping() {
            return shut || closed;
        }

        /** The writer thread: keeps a stream open and writes what is queued, batch after batch. */
        private void writeLoop() {
            try {
                while (!stopping()) {
                    try {
                        StreamConnection c = connection;
                        if (c != null && !c.alive()) {
                            connection = null;
                            streamEnded(c);
                            continue;
                        }
                        if (c == null) {
                            openOrWait();
                            continue;
                        }
                        long pingAt = lastPing + settings.stream().pingInterval().toNanos();
                        boolean pingDue = System.nanoTime() - pingAt >= 0;
                        if (!hasWork()) {
                            if (pingDue) {
                                write(c, EMPTY, 0, true);
                            } else {
                                awaitWork(c, pingAt);
                            }
                            continue;
                        }
                        List<byte[]> parts = takeBatch();
                        if (!parts.isEmpty()) {
                            write(c, json.batch(settings.localId().value(), parts), parts.size(), pingDue);
                        }
                    } catch (RuntimeException e) {
                        // whatever failed, the next attempt waits out the backoff and what is queued is dropped
                        if (!failing) {
                            failing = true;
                            log.error("stream writer for peer {} at {} failed; backing off", id, url, e);
                        } else {
                            log.debug("stream writer for peer {} at {} failed again: {}", id, url, e.toString());
                        }
                        StreamConnection c = connection;
                        connection = null;
                        if (c != null) {
                            c.close(e.toString());
                        }
                        dropQueued();
                        backOff();
                    }
                }
            } finally {
                StreamConnection c = connection;
                connection = null;
                if (c != null) {
                    c.close("closed");
                }
                synchronized (this) {
                    writer = null;
                }
                if (!stopping() && hasWork()) {
                    schedule();
                }
            }
        }

        /** Parks until something is queued, the stream ends or {@code deadline} ({@link System#nanoTime}). */
        private void awaitWork(StreamConnection c, long deadline) {
            writerWaiting = true;
            try {
                long left;
                while (!hasWork() && !stopping() && c.alive() && (left = deadline - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(this, left);
                }
            } finally {
                writerWaiting = false;
            }
        }

        /**
         * Writes one line; a failure ends the stream and drops the batch. A batch (not a ping) is a call for the
         * breaker: a success when written, so that a breaker that opened while the peer was away closes again once
         * batches flow; the batch is written whatever the breaker says, since the stream is open. A stream that
         * breaks counts as one failure, in {@link #streamEnded}.
         */
        private void write(StreamConnection c, byte[] line, int messages, boolean ping) {
            boolean permitted = messages > 0 && breaker.tryAcquirePermission();
            long start = System.nanoTime();
            writeStarted = start;
            try {
                c.writeLine(line, ping);
                long end = System.nanoTime();
                if (ping) {
                    lastPing = end;
                }
                if (messages > 0) {
                    streamBatches.incrementAndGet();
                    if (permitted) {
                        breaker.onSuccess(end - start, TimeUnit.NANOSECONDS);
                    }
                    observer.onStreamBatch(id.value(), messages, RpcObserver.Outcome.SUCCESS, end - start);
                }
            } catch (IOException e) {
                c.close(e.toString());
                if (permitted) {
                    breaker.releasePermission();
                }
                if (messages > 0) {
                    dropped.addAndGet(messages);
                    observer.onStreamBatch(id.value(), messages, RpcObserver.Outcome.ERROR,
                            System.nanoTime() - start);
                }
            } finally {
                writeStarted = 0;
            }
        }

        /** The open stream ended: note it, drop what is queued and back off before reopening. */
        private void streamEnded(StreamConnection c) {
            String reason = c.endReason();
            if (c.ageNanos() > settings.stream().maxBackoff().toNanos()) {
                attempts = 0; // it was up for a while: start the backoff afresh
            }
            if (!stopping()) {
                breaker.onError(0, TimeUnit.NANOSECONDS, new IOException("stream ended: " + reason));
                log.info("stream to peer {} at {} ended ({}); reopening", id, url, reason);
                failing = true;
            }
            dropQueued();
            backOff();
        }

        private void dropQueued() {
            int n = dropAll();
            if (n > 0) {
                dropped.addAndGet(n);
                observer.onStreamBatch(id.value(), n, RpcObserver.Outcome.SKIPPED, 0);
            }
        }

        private void backOff() {
            long min = settings.stream().minBackoff().toNanos();
            long max = settings.stream().maxBackoff().toNanos();
            long delay = attempts >= 30 ? max : Math.min(max, min << attempts);
            attempts++;
            long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
            nextAttemptAt = System.nanoTime() + jittered;
        }

        /** Waits out the backoff (dropping what is queued meanwhile) or opens a stream. */
        private void openOrWait() {
            long wait = nextAttemptAt - System.nanoTime();
            if (wait > 0) {
                dropQueued();
                LockSupport.parkNanos(this, wait); // not woken by new messages: they are dropped anyway
                return;
            }
            if (attempts > 0) {
                dropQueued(); // queued while the stream was down
            }
            if (!breaker.tryAcquirePermission()) {
                observer.onStreamOpen(id.value(), RpcObserver.Outcome.SKIPPED, 0);
                dropQueued();
                backOff();
                return;
            }
            long start = System.nanoTime();
            try {
                StreamConnection c = StreamConnection.open(streamUri, streamHeaders(), settings.rpcTimeout(), tls);
                long nanos = System.nanoTime() - start;
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                limiter.onSuccess();
                observer.onStreamOpen(id.value(), RpcObserver.Outcome.SUCCESS, nanos);
                streamsOpened.incrementAndGet();
                lastPing = System.nanoTime();
                connection = c;
                if (stopping()) {
                    c.close("closed");
                    return;
                }
                Thread w = Thread.currentThread();
                try {
                    streamReaders.execute(() -> {
                        c.awaitEnd(settings.stream().writeTimeout());
                        LockSupport.unpark(w);
                    });
                } catch (RejectedExecutionException e) {
                    c.close("closed");
                    return;
                }
                if (failing) {
                    failing = false;
                    log.info("stream to peer {} at {} is open again", id, url);
                } else {
                    log.debug("stream to peer {} at {} is open", id, url);
                }
                return;
            } catch (StreamConnection.RefusedException e) {
                refused(e, System.nanoTime() - start);
            } catch (IOException | RuntimeException e) {
                long nanos = System.nanoTime() - start;
                boolean timeout = e instanceof SocketTimeoutException;
                breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
                limiter.onError(timeout ? new TimeoutException(e.getMessage()) : e);
                observer.onStreamOpen(id.value(), timeout ? RpcObserver.Outcome.TIMEOUT : RpcObserver.Outcome.ERROR,
                        nanos);
                if (!failing) {
                    failing = true;
                    log.warn("cannot open a stream to peer {} at {}: {}", id, url, e.toString());
                } else {
                    log.debug("cannot open a stream to peer {} at {}: {}", id, url, e.toString());
                }
                backOff();
            }
        }

        /** The peer answered the open with another status than 200. */
        private void refused(StreamConnection.RefusedException e, long nanos) {
            int status = e.status();
            // 5xx but 503 (starting or stopping) means the peer is broken; any other status means it is alive
            if (status >= 500 && status != 503) {
                breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
            } else {
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
            }
            limiter.onSuccess();
            observer.onStreamOpen(id.value(), RpcObserver.Outcome.REJECTED, nanos);
            if (status == 401 || status == 403) {
                tokenRefused(status);
            } else if (status == 404) {
                if (!failing) {
                    log.warn("peer {} at {} answered HTTP 404 to POST {}: no Raft node serves that url (check the"
                            + " member's url and the peer's context path); retrying", id, url, STREAM_PATH);
                } else {
                    log.debug("peer {} at {} answered HTTP 404 to {}", id, url, STREAM_PATH);
                }
            } else if (!failing) {
                log.info("peer {} at {} refused a stream: {}", id, url, e.getMessage());
            } else {
                log.debug("peer {} at {} refused a stream: {}", id, url, e.getMessage());
            }
            failing = true;
            backOff();
        }

        private Map<String, String> streamHeaders() {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Content-Type", STREAM_MEDIA_TYPE);
            headers.put("Accept", STREAM_MEDIA_TYPE + ", application/problem+json");
            headers.put("User-Agent", "raftex");
            headers.put(FROM_HEADER, settings.localId().value());
            settings.clusterToken().ifPresent(t -> headers.put("Authorization", "Bearer " + t));
            return headers;
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
            while ((m = take()) != null) {
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
                tokenRefused(status);
            } else {
                log.debug("peer {} at {} answered HTTP {}", id, url, status);
            }
        }
    }
}
