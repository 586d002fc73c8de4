package io.raftex.core.transport;

import io.raftex.core.Member;
import io.raftex.core.message.RaftMessage;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A network of nodes in one JVM, for tests and examples: each node gets an {@link InMemoryTransport} by id, and
 * messages between them are delivered asynchronously, in order per receiver. Links can be cut one way
 * ({@link #block}), a node cut off from all others ({@link #isolate}) and everything restored ({@link #heal});
 * a filter can drop chosen messages. Blocked and dropped messages are lost, as on a real network.
 *
 * <p>A message is addressed to the node registered under the target member's address (an optional
 * {@code mem://} prefix is ignored) or, failing that, under the member's id.
 */
public final class InMemoryNetwork {

    private record Link(String from, String to) {
    }

    private final Map<String, InMemoryTransport> nodes = new ConcurrentHashMap<>();
    private final Set<Link> blocked = ConcurrentHashMap.newKeySet();
    private final Set<String> isolated = ConcurrentHashMap.newKeySet();
    private volatile Predicate<RaftMessage> dropFilter = m -> false;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** A transport for node {@code nodeId}; it joins the network when started and leaves when closed. */
    public InMemoryTransport transport(String nodeId) {
        return new InMemoryTransport(this, nodeId);
    }

    /** Cuts the link from {@code fromNode} to {@code toNode} (one way). */
    public void block(String fromNode, String toNode) {
        blocked.add(new Link(fromNode, toNode));
    }

    /** Restores the link from {@code fromNode} to {@code toNode}. */
    public void unblock(String fromNode, String toNode) {
        blocked.remove(new Link(fromNode, toNode));
    }

    /** Cuts every link to and from {@code nodeId}. */
    public void isolate(String nodeId) {
        isolated.add(nodeId);
    }

    /** Restores every link and removes the drop filter. */
    public void heal() {
        blocked.clear();
        isolated.clear();
        dropFilter = m -> false;
    }

    /** Drops every message for which {@code filter} is true (replacing any earlier filter); runs on senders' threads. */
    public void dropIf(Predicate<RaftMessage> filter) {
        this.dropFilter = Objects.requireNonNull(filter, "filter");
    }

    /** Messages handed to a receiver so far. */
    public long deliveredCount() {
        return delivered.get();
    }

    /** Messages lost to blocked links, filters or absent receivers so far. */
    public long droppedCount() {
        return dropped.get();
    }

    void register(InMemoryTransport transport) {
        InMemoryTransport old = nodes.putIfAbsent(transport.nodeId(), transport);
        if (old != null && old != transport) {
            throw new IllegalStateException("node " + transport.nodeId() + " is already on the network");
        }
    }

    void unregister(InMemoryTransport transport) {
        nodes.remove(transport.nodeId(), transport);
    }

    void send(String fromNode, Member to, RaftMessage message) {
        InMemoryTransport target = resolve(to);
        if (target == null || isolated.contains(fromNode) || isolated.contains(target.nodeId())
                || blocked.contains(new Link(fromNode, target.nodeId())) || dropFilter.test(message)) {
            dropped.incrementAndGet();
            return;
        }
        if (target.deliver(message)) {
            delivered.incrementAndGet();
        } else {
            dropped.incrementAndGet();
        }
    }

    private InMemoryTransport resolve(Member to) {
        String address = to.address().startsWith("mem://") ? to.address().substring("mem://".length())
                : to.address();
        InMemoryTransport t = nodes.get(address);
        return t != null ? t : nodes.get(to.id().value());
    }
}
