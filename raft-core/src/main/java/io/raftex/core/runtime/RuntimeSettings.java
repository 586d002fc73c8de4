package io.raftex.core.runtime;

import io.raftex.core.protocol.ProtocolConfig;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What every group of a node shares: its identity, protocol tuning, timer and client timeouts. Built by
 * {@link io.raftex.core.RaftNode.Builder}, which takes durations and converts them to ticks once, with
 * {@link #protocolTiming}.
 *
 * <p>The {@code DEFAULT_*} constants are RaftEx's defaults, the only place they are written down: a plain
 * {@code RaftNode} and the Spring starter's {@code raft.*} properties both start from them.
 *
 * @param nodeId           the node's id, which is also its member id in every group it hosts
 * @param protocol         protocol tuning, in ticks
 * @param tickInterval     the period of each group's timer; one protocol tick
 * @param commandTimeout   how long a command is retried before it fails
 * @param queryTimeout     how long a query waits for its consistency before it fails
 * @param maxSessions      most client sessions a group's session table keeps
 * @param callbackExecutor where client futures are completed, so that their callbacks never run on a group thread
 * @param snapshotInterval a group takes a snapshot every this many applied entries; 0 for none but on request
 * @param snapshotChunkBytes size of the chunks a snapshot is sent to another member in
 */
public record RuntimeSettings(String nodeId, ProtocolConfig protocol, Duration tickInterval, Duration commandTimeout,
                              Duration queryTimeout, int maxSessions, Executor callbackExecutor,
                              long snapshotInterval, int snapshotChunkBytes) {

    /** Default period of each group's timer, which is also the interval between leader heartbeats: 100 ms. */
    public static final Duration DEFAULT_TICK_INTERVAL = Duration.ofMillis(100);
    /** Default base election timeout: 1 s, ten ticks of {@link #DEFAULT_TICK_INTERVAL}. */
    public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofSeconds(1);
    /** Default time a command is retried before it fails: 10 s. Also the default query timeout. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);
    /** Default number of client sessions a group remembers for de-duplication. */
    public static final int DEFAULT_MAX_SESSIONS = 10_000;
    /** Default snapshot interval, in applied entries. */
    public static final long DEFAULT_SNAPSHOT_INTERVAL = 10_000;
    /** Default snapshot chunk size, in bytes. */
    public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 512 * 1024;

    /** Settings with the default snapshot interval and chunk size. */
    public RuntimeSettings(String nodeId, ProtocolConfig protocol, Duration tickInterval, Duration commandTimeout,
                           Duration queryTimeout, int maxSessions, Executor callbackExecutor) {
        this(nodeId, protocol, tickInterval, commandTimeout, queryTimeout, maxSessions, callbackExecutor,
                DEFAULT_SNAPSHOT_INTERVAL, DEFAULT_SNAPSHOT_CHUNK_BYTES);
    }

    public RuntimeSettings {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        requirePositive(tickInterval, "tickInterval");
        requirePositive(commandTimeout, "commandTimeout");
        requirePositive(queryTimeout, "queryTimeout");
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be >= 1");
        }
        if (snapshotInterval < 0) {
            throw new IllegalArgumentException("snapshotInterval must not be negative (0: on request only)");
        }
        if (snapshotChunkBytes < 1) {
            throw new IllegalArgumentException("snapshotChunkBytes must be positive");
        }
    }

    /**
     * {@code base} with the timing given as durations, counted in ticks of {@code tickInterval} (each rounded down
     * to whole ticks): the one place where durations become protocol ticks.
     *
     * @param base              protocol tuning whose limits and switches are kept
     * @param tickInterval      the period of each group's timer (at least 1 ms)
     * @param electionTimeout   base election timeout; at least twice the heartbeat interval
     * @param heartbeatInterval interval between leader heartbeats; at least one tick
     * @throws IllegalArgumentException if a duration is out of range
     */
    public static ProtocolConfig protocolTiming(ProtocolConfig base, Duration tickInterval, Duration electionTimeout,
                                                Duration heartbeatInterval) {
        Objects.requireNonNull(base, "base");
        requirePositive(tickInterval, "tickInterval");
        requirePositive(electionTimeout, "electionTimeout");
        requirePositive(heartbeatInterval, "heartbeatInterval");
        if (heartbeatInterval.compareTo(tickInterval) < 0) {
            throw new IllegalArgumentException("heartbeatInterval (" + heartbeatInterval
                    + ") must be at least one tickInterval (" + tickInterval + ")");
        }
        if (electionTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("electionTimeout (" + electionTimeout
                    + ") must be at least twice heartbeatInterval (" + heartbeatInterval + ")");
        }
        int heartbeatTicks = ticks(heartbeatInterval, tickInterval);
        int electionTicks = ticks(electionTimeout, tickInterval);
        if (electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("electionTimeout (" + electionTimeout + ") is " + electionTicks
                    + " ticks of " + tickInterval + ", not more than heartbeatInterval's " + heartbeatTicks);
        }
        return base.withTiming(electionTicks, heartbeatTicks);
    }

    private static int ticks(Duration d, Duration tickInterval) {
        return (int) Math.min(Integer.MAX_VALUE, d.toNanos() / tickInterval.toNanos());
    }

    /** The base election timeout: the protocol's election ticks times the tick interval. */
    public Duration electionTimeout() {
        return tickInterval.multipliedBy(protocol.electionTimeoutTicks());
    }

    /** The interval between leader heartbeats: the protocol's heartbeat ticks times the tick interval. */
    public Duration heartbeatInterval() {
        return tickInterval.multipliedBy(protocol.heartbeatTicks());
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero() || d.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 ms: " + d);
        }
    }

    /** One election timeout (the base, before randomization) in milliseconds. */
    long electionTimeoutMillis() {
        return tickInterval.toMillis() * protocol.electionTimeoutTicks();
    }

    /**
     * How long a request that got no answer at all (its message, or the answer, was lost) waits before it is sent
     * again: two election timeouts, time for a lost leader to be replaced.
     */
    long resendAfterMillis() {
        return 2 * electionTimeoutMillis();
    }

    /** How long a command accepted at some index waits to be applied before it is proposed again, just in case. */
    long acceptedWaitMillis() {
        return 4 * electionTimeoutMillis();
    }

    /** Pause after a rejection (no leader known, overloaded) before trying again. */
    long backoffMillis() {
        return Math.max(2 * tickInterval.toMillis(), 10);
    }
}
