package io.raftex.core.sim;

import io.raftex.core.runtime.GroupExecutor;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;

/**
 * The "thread" of one {@link io.raftex.core.runtime.GroupRuntime} incarnation in the simulator: tasks queue in FIFO
 * order and each one runs as an event of the shared {@link SimScheduler} at the virtual instant it was submitted; the
 * timer fires as scheduler events too. Everything runs on the one simulator thread, so {@link #awaitTermination}
 * cannot wait for anyone: it runs what is still queued, inline, and returns.
 *
 * <p>{@link #kill()} is a crash of the process: every queued task and the timer are dropped without running (so the
 * runtime's stop logic never runs and its client futures are never completed), and anything submitted later is
 * silently ignored, as a dead process neither runs nor answers anything.
 */
final class SimGroupExecutor implements GroupExecutor {

    private final SimScheduler scheduler;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean shutdown;
    private boolean killed;
    private boolean running;
    long tasksRun;

    SimGroupExecutor(SimScheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public void execute(Runnable task) {
        if (killed) {
            return;
        }
        if (shutdown) {
            throw new RejectedExecutionException("the group executor is shut down");
        }
        queue.add(task);
        // one event per task; each runs the oldest queued task, so the order is FIFO whatever else runs between
        scheduler.after(0, this::runNext);
    }

    private void runNext() {
        if (killed) {
            return;
        }
        Runnable task = queue.poll();
        if (task != null) {
            run(task);
        }
    }

    private void run(Runnable task) {
        boolean wasRunning = running;
        running = true;
        try {
            tasksRun++;
            task.run();
        } finally {
            running = wasRunning;
        }
    }

    @Override
    public Timer scheduleAtFixedRate(Runnable task, long periodMillis) {
        if (killed) {
            return () -> {
            };
        }
        if (shutdown) {
            throw new RejectedExecutionException("the group executor is shut down");
        }
        SimTimer timer = new SimTimer(task, periodMillis);
        // the first run after one period, plus a random phase so that the members' timers do not tick in lockstep
        scheduler.after(periodMillis + scheduler.between(0, (int) Math.max(0, periodMillis - 1)), timer::fire);
        return timer;
    }

    private final class SimTimer implements Timer {
        private final Runnable task;
        private final long period;
        private boolean cancelled;

        SimTimer(Runnable task, long period) {
            this.task = task;
            this.period = period;
        }

        void fire() {
            // like a ScheduledThreadPoolExecutor, periodic tasks stop at shutdown
            if (cancelled || killed || shutdown) {
                return;
            }
            run(task);
            if (!cancelled && !killed && !shutdown) {
                scheduler.after(period, this::fire);
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    @Override
    public boolean inExecutor() {
        return running;
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    /** Runs every task still queued, inline: nothing else could run them while the caller waits. */
    @Override
    public boolean awaitTermination(long millis) {
        Runnable task;
        while (!killed && (task = queue.poll()) != null) {
            run(task);
        }
        return true;
    }

    @Override
    public void shutdownNow() {
        shutdown = true;
        queue.clear();
    }

    /** The process died: queued tasks and timers are dropped unrun, and later submissions are ignored. */
    void kill() {
        killed = true;
        queue.clear();
    }

    boolean killed() {
        return killed;
    }

    int queued() {
        return queue.size();
    }
}
