package io.raftex.core.runtime;

import org.slf4j.MDC;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** A {@link GroupExecutor} on one daemon thread, whose log lines carry the group and node in the MDC. */
final class ThreadGroupExecutor implements GroupExecutor {

    private final ScheduledThreadPoolExecutor executor;
    private volatile Thread thread;

    ThreadGroupExecutor(String nodeId, String group) {
        String threadName = "raft-" + nodeId + "-" + group;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(() -> {
                MDC.put("raft.group", group);
                MDC.put("raft.node", nodeId);
                r.run();
            }, threadName);
            t.setDaemon(true);
            thread = t;
            return t;
        });
        this.executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(task);
    }

    @Override
    public Timer scheduleAtFixedRate(Runnable task, long periodMillis) {
        ScheduledFuture<?> f = executor.scheduleAtFixedRate(task, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public boolean inExecutor() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void shutdown() {
        executor.shutdown();
    }

    @Override
    public boolean awaitTermination(long millis) throws InterruptedException {
        return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void shutdownNow() {
        executor.shutdownNow();
    }
}
