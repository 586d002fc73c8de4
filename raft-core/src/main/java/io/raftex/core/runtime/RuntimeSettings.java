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
 */
public record RuntimeSettings(String nodeId, ProtocolConfig protocol, Duration tickInterval, Duration commandTimeout,
                              Duration queryTimeout, int maxSessions, Executor callbackExecutor) {

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
