package io.raftex.autoconfigure;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.StorageOptions;
import io.raftex.core.log.SyncMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link RaftProperties} checked and resolved into the typed values the beans need: the node id, the initial members
 * with parsed URLs, a writable data directory, the timing as durations (the core turns them into ticks), storage
 * options, message limits and secrets. Building it is the startup validation: every mistake is reported as a
 * {@link RaftConfigurationException} naming the property. The defaults of the properties are those of the core
 * ({@link io.raftex.core.runtime.RuntimeSettings}).
 */
public final class RaftSettings {

    /**
     * Fewest characters a {@code raft.security.cluster-token} or {@code raft.security.admin-token} may have: 16, so a
     * token is at least a random-looking secret and not a word or a test value.
     */
    public static final int MIN_TOKEN_LENGTH = 16;

    private final MemberId nodeId;
    /** Empty when raft.members is empty: the node then forms a single-member cluster at its own local URL. */
    private final List<Member> members;
    private final Path dataDir;
    private final String clusterId;
    private final Duration heartbeatInterval;
    private final Duration electionTimeout;
    private final Duration commandTimeout;
    private final StorageOptions storageOptions;
    private final long snapshotInterval;
    private final long snapshotChunkSize;
    private final Duration rpcTimeout;
    private final int maxBatchBytes;
    private final boolean stream;
    private final String clusterToken;
    private final boolean allowUnauthenticatedPeers;
    private final String adminToken;
    private final boolean adminReadsRequireToken;
    private final String sslBundle;
    private final boolean requireClientCertificate;

    private RaftSettings(RaftProperties p, MemberId nodeId, List<Member> members, Path dataDir) {
        this.nodeId = nodeId;
        this.members = List.copyOf(members);
        this.dataDir = dataDir;
        this.clusterId = emptyToNull(p.getClusterId() == null ? null : p.getClusterId().strip());
        this.heartbeatInterval = p.getHeartbeatInterval();
        this.electionTimeout = p.getElectionTimeout();
        this.commandTimeout = p.getCommandTimeout();
        StorageOptions defaults = StorageOptions.defaults();
        this.storageOptions = defaults.withSyncMode(SyncMode.valueOf(p.getStorage().getSync().name()))
                .withMaxBatch(p.getStorage().getMaxBatchSize(), defaults.maxBatchBytes());
        this.snapshotInterval = p.getSnapshot().getIntervalEntries();
        this.snapshotChunkSize = p.getSnapshot().getChunkSize().toBytes();
        this.rpcTimeout = p.getRpc().getTimeout();
        this.maxBatchBytes = (int) p.getRpc().getMaxBatchBytes().toBytes();
        this.stream = p.getRpc().isStream();
        this.clusterToken = emptyToNull(p.getSecurity().getClusterToken());
        this.allowUnauthenticatedPeers = p.getSecurity().isAllowUnauthenticatedPeers();
        this.adminToken = emptyToNull(p.getSecurity().getAdminToken());
        this.adminReadsRequireToken = p.getSecurity().isAdminReadsRequireToken();
        String bundle = p.getRpc().getSsl().getBundle();
        this.sslBundle = bundle == null || bundle.isBlank() ? null : bundle.strip();
        this.requireClientCertificate = p.getRpc().getSsl().isRequireClientCertificate();
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    /** Checks {@code properties} and resolves them; creates the data directory if it is absent. */
    public static RaftSettings from(RaftProperties properties) {
        MemberId nodeId = nodeId(properties.getNodeId());
        List<Member> members = members(properties.getMembers());
        checkTiming(properties);
        checkToken("raft.security.cluster-token", properties.getSecurity().getClusterToken());
        checkToken("raft.security.admin-token", properties.getSecurity().getAdminToken());
        checkPeerAuthentication(properties, nodeId, members);
        checkTlsMembers(properties, members);
        Path dataDir = dataDir(properties.getDataDir(), nodeId);
        return new RaftSettings(properties, nodeId, members, dataDir);
    }

    private static MemberId nodeId(String value) {
        if (value == null || value.isBlank()) {
            throw new RaftConfigurationException("raft.node-id",
                    "raft.node-id is required: set it to this node's id, for example raft.node-id=n1");
        }
        MemberRules.idProblem(value).ifPresent(problem -> {
            throw new RaftConfigurationException("raft.node-id", "raft.node-id " + problem);
        });
        return MemberId.of(value);
    }

    private static List<Member> members(List<String> entries) {
        Map<MemberId, Member> byId = new LinkedHashMap<>();
        for (String raw : entries == null ? List.<String>of() : entries) {
            String entry = raw == null ? "" : raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new RaftConfigurationException("raft.members", "raft.members entry '" + entry
                        + "' is malformed: expected id=url, for example n1=http://10.0.0.1:8080");
            }
            String id = entry.substring(0, eq).strip();
            String url = entry.substring(eq + 1).strip();
            MemberRules.idProblem(id).ifPresent(problem -> {
                throw new RaftConfigurationException("raft.members", "raft.members entry '"
                        + MemberRules.redact(entry) + "' has an invalid id: " + problem);
            });
            MemberId memberId = MemberId.of(id);
            Member member = Member.voter(memberId.value(), baseUrl(memberId, url));
            for (Member other : byId.values()) {
                if (other.address().equalsIgnoreCase(member.address()) && !other.id().equals(memberId)) {
                    throw new RaftConfigurationException("raft.members", "raft.members names '" + other.id()
                            + "' and '" + id + "' at one url (" + MemberRules.redact(member.address())
                            + "): each member has its own");
                }
            }
            if (byId.put(memberId, member) != null) {
                throw new RaftConfigurationException("raft.members", "raft.members names '" + id + "' twice");
            }
        }
        return new ArrayList<>(byId.values());
    }

    /** Parses a member's URL ({@link MemberRules#baseUrl}); returns it without a trailing slash. */
    static String baseUrl(MemberId id, String url) {
        try {
            return MemberRules.baseUrl(url);
        } catch (IllegalArgumentException e) {
            throw new RaftConfigurationException("raft.members", "raft.members: the url of '" + id + "' "
                    + e.getMessage());
        }
    }

    /** With an SSL bundle for peers, every member is reached over TLS: its url is https. */
    private static void checkTlsMembers(RaftProperties p, List<Member> members) {
        String bundle = p.getRpc().getSsl().getBundle();
        if (bundle == null || bundle.isBlank()) {
            return;
        }
        for (Member m : members) {
            if (!m.address().regionMatches(true, 0, "https:", 0, 6)) {
                throw new RaftConfigurationException("raft.members", "raft.rpc.ssl.bundle is set, but raft.members"
                        + " gives '" + m.id() + "' the url " + MemberRules.redact(m.address())
                        + ": with TLS between peers every member url is https");
            }
        }
    }

    /** Other members mean peer RPCs from the network: they must be authenticated unless explicitly allowed. */
    private static void checkPeerAuthentication(RaftProperties p, MemberId nodeId, List<Member> members) {
        String token = p.getSecurity().getClusterToken();
        boolean hasToken = token != null && !token.isEmpty();
        List<String> others = members.stream().map(m -> m.id().value()).filter(id -> !id.equals(nodeId.value()))
                .toList();
        if (!others.isEmpty() && !hasToken && !p.getSecurity().isAllowUnauthenticatedPeers()) {
            throw new RaftConfigurationException("raft.security.cluster-token", "raft.security.cluster-token is "
                    + "not set, but raft.members names other nodes " + others + ": anyone who can reach /raft/rpc "
                    + "could act as a peer. Set raft.security.cluster-token to the same secret on every node, or set "
                    + "raft.security.allow-unauthenticated-peers=true to run without one on a trusted network");
        }
    }

    /**
     * A token that is set must be a usable secret. Empty counts as not set (what {@code ${RAFT_CLUSTER_TOKEN:}} gives
     * when the variable is unset); an unresolved placeholder (Spring keeps {@code ${VAR}} as text when VAR is unset),
     * blank text, surrounding whitespace (never sent back by an HTTP client) or fewer than
     * {@link #MIN_TOKEN_LENGTH} characters are refused. The message never repeats the value, except a placeholder.
     */
    private static void checkToken(String property, String token) {
        if (token == null || token.isEmpty()) {
            return;
        }
        String problem;
        if (token.contains("${")) {
            problem = property + " is '" + token + "', an unresolved placeholder: the variable it names is not set. "
                    + "Set it, or write the placeholder with an empty default (${VAR:}) so that an unset variable "
                    + "means no token";
        } else if (token.isBlank()) {
            problem = property + " is blank: set a secret of at least " + MIN_TOKEN_LENGTH
                    + " characters, or leave the property empty for no token";
        } else if (!token.strip().equals(token)) {
            problem = property + " starts or ends with whitespace, which an HTTP header cannot carry: remove it";
        } else if (token.chars().anyMatch(Character::isISOControl)) {
            problem = property + " contains a control character, which an HTTP header cannot carry";
        } else if (token.length() < MIN_TOKEN_LENGTH) {
            problem = property + " is " + token.length() + " characters long; it must have at least "
                    + MIN_TOKEN_LENGTH + " (for example the output of: openssl rand -hex 24)";
        } else {
            return;
        }
        throw new RaftConfigurationException(property, problem);
    }

    private static void checkTiming(RaftProperties p) {
        Duration heartbeat = p.getHeartbeatInterval();
        Duration election = p.getElectionTimeout();
        if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero()) {
            throw new RaftConfigurationException("raft.heartbeat-interval", "raft.heartbeat-interval must be positive");
        }
        if (election == null || election.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new RaftConfigurationException("raft.election-timeout", "raft.election-timeout (" + election
                    + ") must be at least twice raft.heartbeat-interval (" + heartbeat + ")");
        }
        if (p.getCommandTimeout() == null || p.getCommandTimeout().isNegative() || p.getCommandTimeout().isZero()) {
            throw new RaftConfigurationException("raft.command-timeout", "raft.command-timeout must be positive");
        }
        Duration rpc = p.getRpc().getTimeout();
        if (rpc == null || rpc.isNegative() || rpc.isZero()) {
            throw new RaftConfigurationException("raft.rpc.timeout", "raft.rpc.timeout must be positive");
        }
        long maxBatch = p.getRpc().getMaxBatchBytes() == null ? 0 : p.getRpc().getMaxBatchBytes().toBytes();
        if (maxBatch < 512 || maxBatch > Integer.MAX_VALUE - 8) {
            throw new RaftConfigurationException("raft.rpc.max-batch-bytes",
                    "raft.rpc.max-batch-bytes must be between 512B and 2GB, was " + maxBatch + " bytes");
        }
        if (p.getStorage().getMaxBatchSize() < 1) {
            throw new RaftConfigurationException("raft.storage.max-batch-size",
                    "raft.storage.max-batch-size must be at least 1");
        }
        if (p.getSnapshot().getIntervalEntries() < 0) {
            throw new RaftConfigurationException("raft.snapshot.interval-entries",
                    "raft.snapshot.interval-entries must not be negative (0 turns automatic snapshots off)");
        }
        if (p.getSnapshot().getChunkSize() == null || p.getSnapshot().getChunkSize().toBytes() < 1) {
            throw new RaftConfigurationException("raft.snapshot.chunk-size", "raft.snapshot.chunk-size must be positive");
        }

    }

    private static Path dataDir(Path configured, MemberId nodeId) {
        Path dir = (configured != null ? configured : Path.of("data", nodeId.value())).toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
            // Files.isWritable says yes to root even on a read-only mount; writing a file is the real test
            Path probe = Files.createTempFile(dir, ".raft-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            throw new RaftConfigurationException("raft.data-dir", "raft.data-dir '" + dir + "' is not writable: "
                    + e, e);
        }
        return dir;
    }

    /** This node's id. */
    public MemberId nodeId() {
        return nodeId;
    }

    /** The configured members, or empty when the node runs alone. */
    public List<Member> configuredMembers() {
        return members;
    }

    /**
     * Whether raft.members names other nodes but not this one: a new node that takes no part in its groups (no
     * elections) until a leader adds it through a membership change ({@code POST /raft/admin/groups/{group}/members}),
     * and then catches up. Once added, the group's configuration (persisted with its log) is what counts, not
     * raft.members.
     */
    public boolean awaitsMembership() {
        return !members.isEmpty() && members.stream().noneMatch(m -> m.id().equals(nodeId));
    }

    /** Whether raft.members was empty, so the node forms a single-member cluster of itself. */
    public boolean singleNode() {
        return members.isEmpty();
    }

    /**
     * The initial configuration of every group: raft.members, which may leave this node out (see
     * {@link #awaitsMembership()}). With no configured members it is this node alone, reachable at
     * {@code http://localhost:<localPort>} ({@code https} with raft.rpc.ssl.bundle).
     */
    public ClusterConfig clusterConfig(int localPort) {
        if (!members.isEmpty()) {
            return ClusterConfig.ofVoters(members);
        }
        String scheme = sslBundle == null ? "http" : "https";
        return ClusterConfig.ofVoters(List.of(Member.voter(nodeId.value(), scheme + "://localhost:" + localPort)));
    }

    /** The absolute, writable data directory. */
    public Path dataDir() {
        return dataDir;
    }

    /** {@code raft.cluster-id}, stripped, if one is set. */
    public Optional<String> clusterId() {
        return Optional.ofNullable(clusterId);
    }

    /** {@code raft.heartbeat-interval}: also the node's timer tick. */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** {@code raft.election-timeout}: the base election timeout. */
    public Duration electionTimeout() {
        return electionTimeout;
    }

    /** Deadline of commands and queries. */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** Time limit of one peer call. */
    public Duration rpcTimeout() {
        return rpcTimeout;
    }

    /**
     * Most entry bytes (as the core counts them) in one AppendEntries: a quarter of the RPC limit, which leaves
     * room for base64 (4/3) and the JSON fields of every entry.
     */
    public long maxEntryBytesPerMessage() {
        long reserve = Math.min(4096, maxBatchBytes / 4);
        return Math.max(LogEntry.OVERHEAD_BYTES + 16, (maxBatchBytes - reserve) / 4);
    }

    /** Largest encoded command: one that fits alone in one AppendEntries. */
    public long maxCommandBytes() {
        return maxEntryBytesPerMessage() - LogEntry.OVERHEAD_BYTES;
    }

    /** The write-ahead log's options: {@code raft.storage.sync} and {@code raft.storage.max-batch-size}. */
    public StorageOptions storageOptions() {
        return storageOptions;
    }

    /** {@code raft.snapshot.interval-entries}. */
    public long snapshotInterval() {
        return snapshotInterval;
    }

    /**
     * {@code raft.snapshot.chunk-size} in bytes, made smaller if need be so that a chunk, base64-encoded in one JSON
     * message, fits {@code raft.rpc.max-batch-bytes}.
     */
    public int snapshotChunkBytes() {
        long fits = Math.max(256, (maxBatchBytes - 1024L) / 4 * 3);
        return (int) Math.min(fits, snapshotChunkSize);
    }

    /** Largest RPC body in bytes. */
    public int maxBatchBytes() {
        return maxBatchBytes;
    }

    /** Whether peers are sent messages over long-lived streams (raft.rpc.stream). */
    public boolean stream() {
        return stream;
    }

    /** The SSL bundle of outgoing peer connections ({@code raft.rpc.ssl.bundle}), if set. */
    public Optional<String> sslBundle() {
        return Optional.ofNullable(sslBundle);
    }

    /** Whether the peer paths require a trusted client certificate (raft.rpc.ssl.require-client-certificate). */
    public boolean requireClientCertificate() {
        return requireClientCertificate;
    }

    /** The cluster token, if one is configured. */
    public Optional<String> clusterToken() {
        return Optional.ofNullable(clusterToken);
    }

    /** Whether raft.security.allow-unauthenticated-peers lets other members run without a cluster token. */
    public boolean allowUnauthenticatedPeers() {
        return allowUnauthenticatedPeers;
    }

    /** {@code raft.security.admin-token}, if one is set. */
    public Optional<String> adminToken() {
        return Optional.ofNullable(adminToken);
    }

    /** Whether {@code raft.security.admin-reads-require-token} asks the admin API's reads for the token too. */
    public boolean adminReadsRequireToken() {
        return adminReadsRequireToken;
    }
}
