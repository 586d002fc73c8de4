package io.raftex.core;

import io.raftex.core.message.RaftMessage;
import io.raftex.core.protocol.ProtocolConfig;
import io.raftex.core.runtime.DurableStorageProvider;
import io.raftex.core.runtime.GroupRuntime;
import io.raftex.core.runtime.InMemoryStorageProvider;
import io.raftex.core.runtime.RuntimeSettings;
import io.raftex.core.runtime.StorageProvider;
import io.raftex.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One node of a RaftEx cluster: it hosts any number of Raft groups, each with its own thread, timer, log and state
 * machine, sharing one {@link Transport} and one {@link StorageProvider}. Usable without Spring:
 *
 * <pre>{@code
 * RaftNode node = RaftNode.builder()
 *         .nodeId("n1")
 *         .transport(transport)
 *         .storage(DurableStorageProvider.open(dataDir, StorageOptions.defaults(), Optional.of("n1")))
 *         .electionTimeout(Duration.ofMillis(500))
 *         .build();
 * node.start();
 * RaftGroup<Cmd, Res> kv = node.startGroup("kv", config, new KvStateMachine(), cmdCodec, resCodec);
 * Res r = kv.command(new Put("a", "1")).join();
 * node.close();
 * }</pre>
 *
 * <p>The node's id is its member id in every group. The node owns the transport and the storage provider it is
 * given: {@link #close()} closes both.
 */
public final class RaftNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    private final RuntimeSettings settings;
    private final Transport transport;
    private final StorageProvider storage;
    private final ExecutorService ownCallbackExecutor;
    private final Map<String, GroupRuntime<?, ?>> groups = new ConcurrentHashMap<>();
    private final AtomicLong droppedMessages = new AtomicLong();
    private final Object lifecycle = new Object();
    private volatile boolean started;
    private volatile boolean closed;

    private RaftNode(Builder b, StorageProvider storage, Executor callbacks, ExecutorService ownCallbackExecutor) {
        this.transport = b.transport;
        this.storage = storage;
        this.ownCallbackExecutor = ownCallbackExecutor;
        this.settings = b.settings(callbacks);
    }

    /** A builder; {@link Builder#nodeId} and {@link Builder#transport} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** This node's id (its member id in every group). */
    public String nodeId() {
        return settings.nodeId();
    }

    /** The settings every group of this node runs with: timing (in ticks and as durations), timeouts, limits. */
    public RuntimeSettings settings() {
        return settings;
    }

    /** Starts receiving messages. Idempotent. */
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("node " + nodeId() + " is closed");
            }
            if (!started) {
                transport.start(this::onMessage);
                started = true;
                LOG.info("node {} started", nodeId());
            }
        }
    }

    /**
     * Starts hosting a group: opens its log (recovering whatever the storage holds for it), and starts its member.
     * The node must be started; if it is not one of {@code members} (a node about to join), its member takes no part
     * until a leader adds it. A group stopped earlier (for example by a storage failure) may be started again under
     * the same name.
     *
     * @param name          the group's name, the same on every member
     * @param members       the group's configuration; used when the storage holds none for the group yet
     * @param stateMachine  the replicated state; its methods run on the group's thread only
     * @param commandCodec  encodes commands into the log
     * @param resultCodec   encodes results into the session table
     * @throws IllegalStateException if the node is not started, is closed, or already runs a group of that name
     * @throws RaftException         (a {@link GroupStoppedException}) if the group's storage cannot be opened
     */
    public <C, R> RaftGroup<C, R> startGroup(String name, ClusterConfig members, StateMachine<C, R> stateMachine,
                                             Codec<C> commandCodec, Codec<R> resultCodec) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("group name must not be blank");
        }
        synchronized (lifecycle) {
            if (closed || !started) {
                throw new IllegalStateException("node " + nodeId() + " is " + (closed ? "closed" : "not started"));
            }
            GroupRuntime<?, ?> existing = groups.get(name);
            if (existing != null && existing.isRunning()) {
                throw new IllegalStateException("group '" + name + "' already runs on node " + nodeId());
            }
            if (existing != null) {
                existing.close();
            }
            GroupRuntime<C, R> group = new GroupRuntime<>(name, members, stateMachine, commandCodec, resultCodec,
                    settings, transport, storage);
            groups.put(name, group);
            try {
                group.start();
            } catch (RuntimeException e) {
                groups.remove(name, group);
                group.close();
                throw e;
            }
            return group;
        }
    }

    /** The group of that name on this node, running or stopped. */
    public Optional<RaftGroup<?, ?>> group(String name) {
        return Optional.ofNullable(groups.get(name));
    }

    /**
     * The group of that name with its command and result types as the caller knows them.
     *
     * @throws UnknownGroupException if no group of that name is on this node
     */
    @SuppressWarnings("unchecked")
    public <C, R> RaftGroup<C, R> requireGroup(String name) {
        GroupRuntime<?, ?> g = groups.get(name);
        if (g == null) {
            throw new UnknownGroupException(name);
        }
        return (RaftGroup<C, R>) g;
    }

    /** Every group on this node, running or stopped. */
    public List<RaftGroup<?, ?>> groups() {
        return List.copyOf(new ArrayList<>(groups.values()));
    }

    /** Stops a group and forgets it; its stored log stays. Returns false if there was no such group. */
    public boolean stopGroup(String name) {
        synchronized (lifecycle) {
            GroupRuntime<?, ?> g = groups.remove(name);
            if (g == null) {
                return false;
            }
            g.close();
            return true;
        }
    }

    /** Inbound messages for groups this node does not run, dropped so far. */
    public long droppedMessages() {
        return droppedMessages.get();
    }

    private void onMessage(RaftMessage message) {
        GroupRuntime<?, ?> g = groups.get(message.group());
        if (g == null) {
            droppedMessages.incrementAndGet();
            LOG.debug("node {}: no group '{}'; dropped {}", nodeId(), message.group(),
                    message.getClass().getSimpleName());
            return;
        }
        g.receive(message);
    }

    /**
     * Stops every group (pending requests fail with {@link GroupStoppedException}, or with
     * {@link CommandOutcomeUnknownException} if they may be in a leader's log), closes the transport and the
     * storage provider, and releases the node's threads. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (GroupRuntime<?, ?> g : groups.values()) {
            try {
                g.close();
            } catch (RuntimeException e) {
                LOG.warn("node {}: closing group '{}' failed", nodeId(), g.name(), e);
            }
        }
        groups.clear();
        closeQuietly("transport", transport);
        closeQuietly("storage", storage);
        if (ownCallbackExecutor != null) {
            ownCallbackExecutor.shutdown();
            try {
                ownCallbackExecutor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("node {} closed", nodeId());
    }

    private void closeQuietly(String what, AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("node {}: closing the {} failed", nodeId(), what, e);
        }
    }

    @Override
    public String toString() {
        return "RaftNode[" + nodeId() + ", groups " + groups.keySet() + "]";
    }

    /**
     * Builds a {@link RaftNode}. Timing is given as durations; the builder converts it to protocol ticks once
     * ({@link RuntimeSettings#protocolTiming}). Every default is a {@code DEFAULT_*} constant of
     * {@link RuntimeSettings}, the same the Spring starter's {@code raft.*} properties start from.
     */
    public static final class Builder {
        private String nodeId;
        private Transport transport;
        private StorageProvider storage;
        private Duration tickInterval = RuntimeSettings.DEFAULT_TICK_INTERVAL;
        private Duration electionTimeout = RuntimeSettings.DEFAULT_ELECTION_TIMEOUT;
        private Duration heartbeatInterval;
        private long maxBytesPerMessage = ProtocolConfig.defaults().maxBytesPerMessage();
        private Duration commandTimeout = RuntimeSettings.DEFAULT_COMMAND_TIMEOUT;
        private Duration queryTimeout;
        private int maxSessionsPerGroup = RuntimeSettings.DEFAULT_MAX_SESSIONS;
        private long snapshotInterval = RuntimeSettings.DEFAULT_SNAPSHOT_INTERVAL;
        private int snapshotChunkBytes = RuntimeSettings.DEFAULT_SNAPSHOT_CHUNK_BYTES;
        private Executor callbackExecutor;

        private Builder() {
        }

        /** The node's id, also its member id in every group (required). */
        public Builder nodeId(String nodeId) {
            this.nodeId = MemberId.of(nodeId).value();
            return this;
        }

        /** How this node reaches the others (required). */
        public Builder transport(Transport transport) {
            this.transport = transport;
            return this;
        }

        /**
         * Where groups keep their logs and snapshots; the node closes it on {@link RaftNode#close()}. Default: in
         * memory ({@link InMemoryStorageProvider}), lost when the node closes. For a durable node, open the store
         * in its data directory: {@code DurableStorageProvider.open(dataDir, StorageOptions.defaults(),
         * Optional.of(nodeId))} (see {@link DurableStorageProvider}).
         */
        public Builder storage(StorageProvider storage) {
            this.storage = Objects.requireNonNull(storage, "storage");
            return this;
        }

        /**
         * The period of each group's timer (default {@link RuntimeSettings#DEFAULT_TICK_INTERVAL}, 100 ms): the
         * unit every other timing is counted in, rounded down to whole ticks. Also the heartbeat interval unless
         * {@link #heartbeatInterval} says otherwise.
         */
        public Builder tickInterval(Duration tickInterval) {
            this.tickInterval = Objects.requireNonNull(tickInterval, "tickInterval");
            return this;
        }

        /**
         * Base election timeout (default {@link RuntimeSettings#DEFAULT_ELECTION_TIMEOUT}, 1 s): a follower that
         * hears from no leader for a random time in [this, 2 × this) starts an election. At least twice the
         * heartbeat interval.
         */
        public Builder electionTimeout(Duration electionTimeout) {
            this.electionTimeout = Objects.requireNonNull(electionTimeout, "electionTimeout");
            return this;
        }

        /** Interval between leader heartbeats (default: one {@link #tickInterval}); at least one tick. */
        public Builder heartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
            return this;
        }

        /**
         * Most entry bytes a leader puts into one AppendEntries (default 1 MiB; at least one entry is always
         * sent).
         */
        public Builder maxBytesPerMessage(long bytes) {
            this.maxBytesPerMessage = bytes;
            return this;
        }

        /**
         * How long a command is retried before it fails with {@link CommandTimeoutException} (default
         * {@link RuntimeSettings#DEFAULT_COMMAND_TIMEOUT}, 10 s).
         */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = Objects.requireNonNull(commandTimeout, "commandTimeout");
            return this;
        }

        /** How long a query may wait for its consistency (default: the command timeout). */
        public Builder queryTimeout(Duration queryTimeout) {
            this.queryTimeout = Objects.requireNonNull(queryTimeout, "queryTimeout");
            return this;
        }

        /**
         * Each group takes a snapshot every this many applied entries and lets the log before the previous one go
         * (default {@link RuntimeSettings#DEFAULT_SNAPSHOT_INTERVAL}, 10,000); 0 takes snapshots on request only. Only state machines that capture snapshots take part.
         */
        public Builder snapshotInterval(long entries) {
            this.snapshotInterval = entries;
            return this;
        }

        /**
         * Size of the chunks a leader sends a snapshot in to a member that is too far behind (default
         * {@link RuntimeSettings#DEFAULT_SNAPSHOT_CHUNK_BYTES}, 512 KiB).
         */
        public Builder snapshotChunkBytes(int bytes) {
            this.snapshotChunkBytes = bytes;
            return this;
        }

        /**
         * Most client sessions each group remembers for de-duplication (default
         * {@link RuntimeSettings#DEFAULT_MAX_SESSIONS}, 10,000).
         */
        public Builder maxSessionsPerGroup(int maxSessions) {
            this.maxSessionsPerGroup = maxSessions;
            return this;
        }

        /**
         * Where client futures are completed (default: a small pool the node owns). Never a group thread, so that
         * a slow callback cannot stall a group.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Builds the node; call {@link RaftNode#start()} next.
         *
         * @throws IllegalStateException    if the node id or the transport is missing
         * @throws IllegalArgumentException if a setting is out of range
         */
        public RaftNode build() {
            if (nodeId == null) {
                throw new IllegalStateException("nodeId is required");
            }
            if (transport == null) {
                throw new IllegalStateException("transport is required");
            }
            // validate everything before resources are opened
            settings(Runnable::run);
            StorageProvider chosen = storage != null ? storage : new InMemoryStorageProvider();
            ExecutorService own = null;
            Executor callbacks = callbackExecutor;
            if (callbacks == null) {
                AtomicInteger n = new AtomicInteger();
                String id = nodeId;
                own = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                    Thread t = new Thread(r, "raft-" + id + "-callback-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
                callbacks = own;
            }
            return new RaftNode(this, chosen, callbacks, own);
        }

        private RuntimeSettings settings(Executor callbacks) {
            ProtocolConfig defaults = ProtocolConfig.defaults();
            ProtocolConfig protocol = RuntimeSettings.protocolTiming(defaults, tickInterval, electionTimeout,
                            heartbeatInterval == null ? tickInterval : heartbeatInterval)
                    .withLimits(defaults.maxEntriesPerMessage(), maxBytesPerMessage, defaults.maxInflightMessages());
            return new RuntimeSettings(nodeId, protocol, tickInterval, commandTimeout,
                    queryTimeout == null ? commandTimeout : queryTimeout, maxSessionsPerGroup, callbacks,
                    snapshotInterval, snapshotChunkBytes);
        }
    }
}
