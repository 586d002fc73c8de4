package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.RaftGroup;
import io.raftex.core.RoleChangeEvent;
import io.raftex.core.UnknownGroupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Turns the core's role and leader changes into Spring events ({@link RaftRoleChangedEvent},
 * {@link RaftLeaderChangedEvent}). The core calls its listeners on the group's thread, which must never block, so
 * events are handed to one {@code raft-events} thread that publishes them in order (with the MDC keys
 * {@code raft.group} and {@code raft.node} set); a slow {@code @EventListener} delays later events only.
 *
 * <p>It attaches to each group right after {@link RaftNodeLifecycle} has started it (the next lifecycle phase);
 * changes before that moment (a group elects itself within an election timeout, so normally none) are not seen.
 */
public final class RaftEventPublisher implements SmartLifecycle, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(RaftEventPublisher.class);

    private final RaftNodeLifecycle lifecycle;
    private final ApplicationEventPublisher publisher;
    private final Object source;
    private final ExecutorService executor;
    private final Map<RaftGroup<?, ?>, GroupListener> attached = new ConcurrentHashMap<>();
    private volatile boolean running;

    /**
     * @param source the events' source (the {@link io.raftex.core.RaftNode})
     */
    public RaftEventPublisher(RaftNodeLifecycle lifecycle, ApplicationEventPublisher publisher, Object source) {
        this.lifecycle = lifecycle;
        this.publisher = publisher;
        this.source = source;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "raft-events");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void start() {
        attached.forEach(RaftGroup::removeListener); // handles of an earlier run
        attached.clear();
        for (String name : lifecycle.groupNames()) {
            try {
                attach(lifecycle.group(name));
            } catch (UnknownGroupException | GroupStoppedException e) {
                // stopped meanwhile
            }
        }
        running = true;
    }

    private void attach(RaftGroup<?, ?> group) {
        if (attached.containsKey(group)) {
            return;
        }
        GroupListener listener = new GroupListener() {
            @Override
            public void onRoleChange(RoleChangeEvent e) {
                submit(e, new RaftRoleChangedEvent(source, e.group(), e.nodeId(), e.oldRole(), e.newRole(), e.term(),
                        e.newLeader().map(MemberId::value)));
            }

            @Override
            public void onLeaderChange(RoleChangeEvent e) {
                submit(e, new RaftLeaderChangedEvent(source, e.group(), e.nodeId(),
                        e.oldLeader().map(MemberId::value), e.newLeader().map(MemberId::value), e.term(),
                        e.newRole()));
            }
        };
        group.addListener(listener);
        attached.put(group, listener);
    }

    private void submit(RoleChangeEvent change, Object event) {
        try {
            executor.execute(() -> publish(change, event));
        } catch (RejectedExecutionException e) {
            // the application is shutting down
        }
    }

    private void publish(RoleChangeEvent change, Object event) {
        MDC.put("raft.group", change.group());
        MDC.put("raft.node", change.nodeId());
        try {
            publisher.publishEvent(event);
        } catch (RuntimeException e) {
            log.warn("a listener of {} failed", event, e);
        } finally {
            MDC.remove("raft.group");
            MDC.remove("raft.node");
        }
    }

    /**
     * Stays attached: this runs before {@link RaftNodeLifecycle} stops the groups, and the leadership hand-off it
     * does then is still published.
     */
    @Override
    public synchronized void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Right after {@link RaftNodeLifecycle} starts its groups; stops before it stops them. */
    @Override
    public int getPhase() {
        return RaftNodeLifecycle.PHASE + 1;
    }

    @Override
    public void destroy() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(2, TimeUnit.SECONDS);
    }
}
