package io.raftex.core.transport;

import io.raftex.core.Member;
import io.raftex.core.message.RaftMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One node's end of an {@link InMemoryNetwork}. Inbound messages are handed to the node's handler on a delivery
 * thread of its own, in the order they were sent to it.
 */
public final class InMemoryTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryTransport.class);

    private final InMemoryNetwork network;
    private final String nodeId;
    private final ExecutorService delivery;
    private volatile InboundHandler handler;
    private volatile boolean closed;

    InMemoryTransport(InMemoryNetwork network, String nodeId) {
        this.network = Objects.requireNonNull(network, "network");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.delivery = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raft-mem-transport-" + nodeId);
            t.setDaemon(true);
            return t;
        });
    }

    /** The node this transport belongs to. */
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void start(InboundHandler inbound) {
        if (closed) {
            throw new IllegalStateException("transport of " + nodeId + " is closed");
        }
        this.handler = Objects.requireNonNull(inbound, "inbound");
        network.register(this);
    }

    @Override
    public void send(Member to, RaftMessage message) {
        if (!closed) {
            network.send(nodeId, to, message);
        }
    }

    boolean deliver(RaftMessage message) {
        InboundHandler h = handler;
        if (closed || h == null) {
            return false;
        }
        try {
            delivery.execute(() -> {
                if (!closed) {
                    try {
                        h.onMessage(message);
                    } catch (RuntimeException e) {
                        LOG.warn("node {}: inbound handler failed on {}", nodeId, message.getClass().getSimpleName(), e);
                    }
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        network.unregister(this);
        delivery.shutdownNow();
        try {
            delivery.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
