package io.raftex.core.transport;

import io.raftex.core.Member;
import io.raftex.core.message.RaftMessage;

/**
 * Carries protocol messages between nodes, asynchronously and without guarantees: a message may be delayed,
 * duplicated, reordered or lost, and the protocol copes. {@link #send} never blocks the caller (a protocol thread).
 */
public interface Transport extends AutoCloseable {

    /** Starts delivering inbound messages to {@code inbound}. */
    void start(InboundHandler inbound);

    /** Queues {@code message} for the node hosting {@code to}; returns at once. */
    void send(Member to, RaftMessage message);

    /** Stops sending and receiving and releases resources. */
    @Override
    void close();

    /** Receives messages that arrived for this node. */
    @FunctionalInterface
    interface InboundHandler {

        /** Handles one inbound message; must not block for long. */
        void onMessage(RaftMessage message);
    }
}
