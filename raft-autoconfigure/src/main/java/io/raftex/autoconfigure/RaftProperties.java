package io.raftex.autoconfigure;

import io.raftex.core.runtime.RuntimeSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DataSizeUnit;
import org.springframework.util.unit.DataSize;
import org.springframework.util.unit.DataUnit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Configuration of the Raft node, under the prefix {@code raft}. Only {@code raft.node-id} is required; with no
 * {@code raft.members} the node runs a single-member cluster of itself. The timing and snapshot defaults are the
 * core's ({@link RuntimeSettings}'s {@code DEFAULT_*} constants), so a node configured with no properties runs as a
 * plain {@code RaftNode} does; {@code META-INF/additional-spring-configuration-metadata.json} repeats them for IDEs.
 */
@ConfigurationProperties("raft")
public class RaftProperties {

    /**
     * Whether to run a Raft node in this application. When false, no Raft bean is created.
     */
    private boolean enabled = true;

    /**
     * This node's id, stable across restarts (for example "n1"): 1 to 64 ASCII letters, digits, '.', '-' or '_',
     * not '.' or '..'. Required. When raft.members is given but does not
     * name this node, the node starts as a new member in waiting: it takes no part in its groups (no elections)
     * until a leader adds it through the admin API (POST /raft/admin/groups/{group}/members), then catches up.
     */
    private String nodeId;

    /**
     * Initial members of every group, all voters, as "id=url" entries separated by commas, for example
     * "n1=http://10.0.0.1:8080,n2=http://10.0.0.2:8080,n3=http://10.0.0.3:8080". Each url is the base URL of a
     * member's web server (http or https, with a host, a port from 1 to 65535 if any, no credentials, no query or
     * fragment; one member per url). Used when a group starts with an empty data directory; afterwards the
     * group's configuration, changed through the admin API and kept in its log, is what counts. The list includes
     * this node on the nodes that form the cluster; a node added later lists the current members without itself
     * and waits until a leader adds it. When empty, the node runs a single-member cluster of itself at
     * http://localhost:${server.port} (https with raft.rpc.ssl.bundle).
     */
    private List<String> members = new ArrayList<>();

    /**
     * Directory for the write-ahead log, the store and snapshots. Created if absent; must be writable. Defaults to
     * "./data/<node-id>".
     */
    private Path dataDir;

    /**
     * The id of the cluster this node belongs to (like etcd's initial-cluster-token), the same on every node of it.
     * Optional. When set, the data directory records it the first time, and a data directory recorded for another
     * cluster refuses to start, naming both ids. Unset: not checked.
     */
    private String clusterId;

    /**
     * Base election timeout: a follower that hears from no leader for a random time between this and twice this
     * starts an election. Must be at least twice the heartbeat interval.
     */
    private Duration electionTimeout = RuntimeSettings.DEFAULT_ELECTION_TIMEOUT;

    /**
     * Interval between leader heartbeats. It is also the tick of the node's timer, so the election timeout is
     * counted in multiples of it.
     */
    private Duration heartbeatInterval = RuntimeSettings.DEFAULT_TICK_INTERVAL;

    /**
     * How long a command may take, from the call until its result is known, before it fails with a
     * CommandTimeoutException (the command may still be applied later, at most once). Also the deadline of queries.
     */
    private Duration commandTimeout = RuntimeSettings.DEFAULT_COMMAND_TIMEOUT;

    /**
     * Durability and group commit of the write-ahead log.
     */
    private final Storage storage = new Storage();

    /**
     * Snapshots of the state machines.
     */
    private final Snapshot snapshot = new Snapshot();

    /**
     * The HTTP/JSON transport between nodes.
     */
    private final Rpc rpc = new Rpc();

    /**
     * Shared secrets.
     */
    private final Security security = new Security();

    /**
     * What the health component {@code raft} requires of a member.
     */
    private final Health health = new Health();

    /**
     * How {@code RaftClient} reports the commands submitted through it.
     */
    private final Client client = new Client();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getNodeId() {
        return nodeId;
    }

    public String getClusterId() {
        return clusterId;
    }

    public void setClusterId(String clusterId) {
        this.clusterId = clusterId;
    }

    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public List<String> getMembers() {
        return members;
    }

    public void setMembers(List<String> members) {
        this.members = members;
    }

    public Path getDataDir() {
        return dataDir;
    }

    public void setDataDir(Path dataDir) {
        this.dataDir = dataDir;
    }

    public Duration getElectionTimeout() {
        return electionTimeout;
    }

    public void setElectionTimeout(Duration electionTimeout) {
        this.electionTimeout = electionTimeout;
    }

    public Duration getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(Duration heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public Duration getCommandTimeout() {
        return commandTimeout;
    }

    public void setCommandTimeout(Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
    }

    public Storage getStorage() {
        return storage;
    }

    public Snapshot getSnapshot() {
        return snapshot;
    }

    public Rpc getRpc() {
        return rpc;
    }

    public Security getSecurity() {
        return security;
    }

    public Health getHealth() {
        return health;
    }

    public Client getClient() {
        return client;
    }

    /** How {@code RaftClient} reports the commands submitted through it. */
    public static class Client {

        /**
         * Whether each command submitted through {@code RaftClient} is a Micrometer Observation {@code raft.command}
         * (a timer, and a span with tracing). Off by default, as per-message observations are in Spring's messaging
         * templates: it costs a leader a few per cent of its writes per second (docs/benchmarks.md).
         * {@code raft.command.latency} and {@code raft.commands} are kept either way.
         */
        private boolean observationEnabled = false;

        public boolean isObservationEnabled() {
            return observationEnabled;
        }

        public void setObservationEnabled(boolean observationEnabled) {
            this.observationEnabled = observationEnabled;
        }
    }

    /** What the health component {@code raft} requires. */
    public static class Health {

        /**
         * Whether a group's health is DOWN while this member is catching up: receiving a snapshot from the leader, or
         * more than 100 entries known committed not yet applied (the status field {@code catchingUp}). Useful in the
         * readiness group, so that traffic reaches a node only once its state is current.
         */
        private boolean requireCaughtUp = false;

        public boolean isRequireCaughtUp() {
            return requireCaughtUp;
        }

        public void setRequireCaughtUp(boolean requireCaughtUp) {
            this.requireCaughtUp = requireCaughtUp;
        }
    }

    /** How the write-ahead log makes appends durable. */
    public enum SyncMode {
        /** FileChannel.force(true): data and file metadata reach the disk before an entry counts as durable. */
        FSYNC,
        /** FileChannel.force(false): data reach the disk; metadata that is not needed to read them may lag. */
        DATASYNC,
        /** No sync: entries count as durable once written to the OS. Fast, but a machine crash can lose them. */
        NONE
    }

    /** Durability and group commit. */
    public static class Storage {

        /**
         * How the write-ahead log makes a batch durable before acknowledging it: fsync, datasync or none. Anything
         * but fsync or datasync gives up Raft's safety if the machine crashes.
         */
        private SyncMode sync = SyncMode.DATASYNC;

        /**
         * Most entries the write-ahead log writer takes into one batch, made durable with a single sync (group
         * commit).
         */
        private int maxBatchSize = 1024;

        public SyncMode getSync() {
            return sync;
        }

        public void setSync(SyncMode sync) {
            this.sync = sync;
        }

        public int getMaxBatchSize() {
            return maxBatchSize;
        }

        public void setMaxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
        }
    }

    /** Snapshots. */
    public static class Snapshot {

        /**
         * A group takes a snapshot of its state machine, and lets the log before it go, every this many applied
         * entries. 0 turns automatic snapshots off.
         */
        private long intervalEntries = RuntimeSettings.DEFAULT_SNAPSHOT_INTERVAL;

        /**
         * Size of one chunk when a leader sends a snapshot to a member that is too far behind.
         */
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize chunkSize = DataSize.ofBytes(RuntimeSettings.DEFAULT_SNAPSHOT_CHUNK_BYTES);

        public long getIntervalEntries() {
            return intervalEntries;
        }

        public void setIntervalEntries(long intervalEntries) {
            this.intervalEntries = intervalEntries;
        }

        public DataSize getChunkSize() {
            return chunkSize;
        }

        public void setChunkSize(DataSize chunkSize) {
            this.chunkSize = chunkSize;
        }
    }

    /** The HTTP/JSON transport. */
    public static class Rpc {

        /**
         * Time limit of one HTTP call to a peer: one POST /raft/rpc (one batch of messages), or opening a stream.
         * A call that takes longer is cancelled and counts as a failure for the peer's circuit breaker; the
         * protocol resends what it still needs.
         */
        private Duration timeout = Duration.ofMillis(500);

        /**
         * Largest request body POST /raft/rpc accepts (larger ones are refused with 413) and longest line of a
         * stream (a longer one ends the stream), and the most a sender puts into one batch. Log entries sent in
         * one message are limited to fit within it.
         */
        @DataSizeUnit(DataUnit.BYTES)
        private DataSize maxBatchBytes = DataSize.ofMegabytes(4);

        /**
         * Whether to send to each peer over one long-lived stream (POST /raft/stream: one HTTP request whose body
         * carries batch after batch, one JSON line each, without waiting for answers; the cluster token is checked
         * once per stream). False: one POST /raft/rpc per batch, one batch in flight per peer, which is slower.
         * This node accepts streams and POSTs from its peers whatever the setting.
         */
        private boolean stream = true;

        /** TLS between peers. */
        private final Ssl ssl = new Ssl();

        public Ssl getSsl() {
            return ssl;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public DataSize getMaxBatchBytes() {
            return maxBatchBytes;
        }

        public void setMaxBatchBytes(DataSize maxBatchBytes) {
            this.maxBatchBytes = maxBatchBytes;
        }

        public boolean isStream() {
            return stream;
        }

        public void setStream(boolean stream) {
            this.stream = stream;
        }
    }

    /**
     * TLS between peers: the material of this node's outgoing connections, and whether the peer paths require a
     * client certificate. Incoming connections are the web server's own ({@code server.ssl.*}).
     */
    public static class Ssl {

        /**
         * Name of the SSL bundle (spring.ssl.bundle.*) whose key and trust material this node uses to reach its
         * peers. When set, every member url must be https; the key is presented to peers that ask for a client
         * certificate, and peers' server certificates are checked against the trust material and their host
         * names. When the bundle is reloaded (reload-on-update), new connections use the new material. Empty: peers
         * at https urls are reached with the JVM's default trust and no client certificate.
         */
        private String bundle;

        /**
         * Whether POST /raft/rpc and POST /raft/stream refuse (403) requests that did not come over TLS with a
         * client certificate the web server's TLS accepted. Set it with server.ssl.client-auth=want, so that only
         * the peer paths require a certificate (health probes and clients on the same port do not); with
         * server.ssl.client-auth=need the server refuses connections without a trusted certificate on every path.
         */
        private boolean requireClientCertificate;

        public String getBundle() {
            return bundle;
        }

        public void setBundle(String bundle) {
            this.bundle = bundle;
        }

        public boolean isRequireClientCertificate() {
            return requireClientCertificate;
        }

        public void setRequireClientCertificate(boolean requireClientCertificate) {
            this.requireClientCertificate = requireClientCertificate;
        }
    }

    /** Shared secrets. */
    public static class Security {

        /**
         * Shared secret that every peer RPC carries (header "Authorization: Bearer <token>", or
         * "X-Raft-Cluster-Token"). Requests without it, or with another, are refused with 401. Set the same value on
         * every node. Required when raft.members names other nodes, unless allow-unauthenticated-peers is true.
         * At least 16 characters; empty means not set, and an unresolved placeholder stops startup.
         */
        private String clusterToken;

        /**
         * Whether a node with other members may start without a cluster token, leaving peer RPCs on /raft/rpc open
         * to anyone who can reach the web server (a warning is logged). Only for a trusted, isolated network.
         */
        private boolean allowUnauthenticatedPeers;

        /**
         * Bearer token required by the write operations of the admin API (header "Authorization: Bearer <token>").
         * Requests without it get 401, with another token 403. When empty, write operations are refused with 403.
         * At least 16 characters when set; an unresolved placeholder stops startup.
         */
        private String adminToken;

        /**
         * Whether the read operations of the admin API (GET /raft/admin/groups...) also require the admin token.
         * When false, reads are open to anyone who can reach the web server.
         */
        private boolean adminReadsRequireToken;

        public String getClusterToken() {
            return clusterToken;
        }

        public void setClusterToken(String clusterToken) {
            this.clusterToken = clusterToken;
        }

        public boolean isAllowUnauthenticatedPeers() {
            return allowUnauthenticatedPeers;
        }

        public void setAllowUnauthenticatedPeers(boolean allowUnauthenticatedPeers) {
            this.allowUnauthenticatedPeers = allowUnauthenticatedPeers;
        }

        public String getAdminToken() {
            return adminToken;
        }

        public void setAdminToken(String adminToken) {
            this.adminToken = adminToken;
        }

        public boolean isAdminReadsRequireToken() {
            return adminReadsRequireToken;
        }

        public void setAdminReadsRequireToken(boolean adminReadsRequireToken) {
            this.adminReadsRequireToken = adminReadsRequireToken;
        }
    }
}
