package io.raftex.autoconfigure.transport;

import io.raftex.core.MemberId;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the HTTP transport needs to know.
 *
 * @param localId            this node's id, sent with every batch
 * @param rpcTimeout         time limit of one call
 * @param maxBatchBytes      most bytes in one request body
 * @param clusterToken       the shared secret sent with every call, if any
 * @param maxQueuedMessages  most messages waiting for one peer; beyond it the oldest are dropped (the protocol
 *                           resends what it still needs)
 */
public record HttpTransportSettings(MemberId localId, Duration rpcTimeout, int maxBatchBytes,
                                    Optional<String> clusterToken, int maxQueuedMessages) {

    public HttpTransportSettings {
        Objects.requireNonNull(localId, "localId");
        Objects.requireNonNull(rpcTimeout, "rpcTimeout");
        Objects.requireNonNull(clusterToken, "clusterToken");
        if (maxBatchBytes < 512 || maxQueuedMessages < 1) {
            throw new IllegalArgumentException("maxBatchBytes >= 512 and maxQueuedMessages >= 1 required");
        }
    }
}
