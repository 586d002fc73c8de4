package io.raftex.autoconfigure.transport;

import io.raftex.core.MemberId;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the HTTP transport needs to know.
 *
 * @param localId            this node's id, sent with every batch
 * @param rpcTimeout         time limit of one call (of one {@code POST /raft/rpc}, or of opening a stream)
 * @param maxBatchBytes      most bytes in one request body, or in one line of a stream
 * @param clusterToken       the shared secret sent with every call, if any
 * @param maxQueuedMessages  most messages waiting for one peer; beyond it the oldest are dropped (the protocol
 *                           resends what it still needs)
 * @param stream             whether and how peers are reached over long-lived streams ({@code /raft/stream})
 */
public record HttpTransportSettings(MemberId localId, Duration rpcTimeout, int maxBatchBytes,
                                    Optional<String> clusterToken, int maxQueuedMessages, Stream stream) {

    public HttpTransportSettings {
        Objects.requireNonNull(localId, "localId");
        Objects.requireNonNull(rpcTimeout, "rpcTimeout");
        Objects.requireNonNull(clusterToken, "clusterToken");
        Objects.requireNonNull(stream, "stream");
        if (maxBatchBytes < 512 || maxQueuedMessages < 1) {
            throw new IllegalArgumentException("maxBatchBytes >= 512 and maxQueuedMessages >= 1 required");
        }
    }

    /** Settings of a transport that posts every batch to {@code /raft/rpc} (no streams). */
    public HttpTransportSettings(MemberId localId, Duration rpcTimeout, int maxBatchBytes,
                                 Optional<String> clusterToken, int maxQueuedMessages) {
        this(localId, rpcTimeout, maxBatchBytes, clusterToken, maxQueuedMessages, Stream.DISABLED);
    }

    /**
     * The long-lived peer streams.
     *
     * @param enabled                 send over {@code POST /raft/stream} (one stream per peer); false: one
     *                                {@code POST /raft/rpc} per batch
     * @param minBackoff              first delay before reopening a stream that failed
     * @param maxBackoff              longest delay between attempts (the delay doubles up to it, with jitter)
     * @param pingInterval            a stream carries an empty line (a ping) this often, which the peer answers, so
     *                                neither end's read timeout ends an idle stream and a dead link is noticed
     * @param writeTimeout            a write blocked this long (the peer stopped reading), or a peer silent this
     *                                long (no answer to pings), ends the stream; more than {@code pingInterval}
     */
    public record Stream(boolean enabled, Duration minBackoff, Duration maxBackoff, Duration pingInterval,
                         Duration writeTimeout) {

        /** No streams: every batch is a {@code POST /raft/rpc}. */
        public static final Stream DISABLED = new Stream(false, Duration.ofMillis(50), Duration.ofMillis(500),
                Duration.ofSeconds(1), Duration.ofSeconds(5));

        public Stream {
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            Objects.requireNonNull(pingInterval, "pingInterval");
            Objects.requireNonNull(writeTimeout, "writeTimeout");
            if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0
                    || pingInterval.isNegative() || pingInterval.isZero() || writeTimeout.isNegative()
                    || writeTimeout.compareTo(pingInterval) <= 0) {
                throw new IllegalArgumentException("stream durations must be positive, maxBackoff >= minBackoff,"
                        + " writeTimeout > pingInterval");
            }
        }

        /**
         * Streams on, with delays derived from the protocol's timing: reopen after 50 ms (at most a heartbeat),
         * doubling up to half an election timeout (so a restarted peer hears from its leader before its own
         * election timer runs out); a ping every second; a write blocked, or a peer silent, for ten RPC timeouts (at
         * least 2 s) ends the stream.
         */
        public static Stream enabled(Duration heartbeatInterval, Duration electionTimeout, Duration rpcTimeout) {
            Duration min = heartbeatInterval.compareTo(Duration.ofMillis(50)) < 0 ? heartbeatInterval
                    : Duration.ofMillis(50);
            Duration max = electionTimeout.dividedBy(2);
            if (max.compareTo(min) < 0) {
                max = min;
            }
            Duration write = rpcTimeout.multipliedBy(10);
            if (write.compareTo(Duration.ofSeconds(2)) < 0) {
                write = Duration.ofSeconds(2);
            }
            return new Stream(true, min, max, Duration.ofSeconds(1), write);
        }

        /** A copy that is on or off. */
        public Stream withEnabled(boolean on) {
            return new Stream(on, minBackoff, maxBackoff, pingInterval, writeTimeout);
        }
    }
}
