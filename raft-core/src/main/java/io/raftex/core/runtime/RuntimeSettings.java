package io.raftex.core.runtime;

import io.raftex.core.protocol.ProtocolConfig;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What every group of a node shares: its identity, protocol tuning, timer and client timeouts. Built by
 * {@link io.raftex.core.RaftNode.Builder}.
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
