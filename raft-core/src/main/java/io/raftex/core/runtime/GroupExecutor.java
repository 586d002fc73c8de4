package io.raftex.core.runtime;

import java.util.concurrent.RejectedExecutionException;

/**
 * The single thread of one group: runs its tasks one at a time, in the order they were submitted, and its timer.
 * The group's {@link GroupLoop} needs nothing else from a thread, which lets the simulator run a real runtime in
 * virtual time.
 */
public interface GroupExecutor {

    /** A periodic task that can be stopped. */
    interface Timer {
        /** Stops the timer; a run already under way finishes. */
        void cancel();
    }

    /**
     * Queues {@code task} behind everything submitted before it.
     *
     * @throws RejectedExecutionException once {@link #shutdown()} was called
     */
    void execute(Runnable task);

    /** Runs {@code task} every {@code periodMillis}, first after one period, until cancelled or shut down. */
    Timer scheduleAtFixedRate(Runnable task, long periodMillis);

    /** True if the caller is running one of this executor's tasks. */
    boolean inExecutor();

    /** Takes no new tasks; those already queued still run. */
    void shutdown();

    /** Waits up to {@code millis} for the queued tasks to finish after {@link #shutdown()}; true if they did. */
    boolean awaitTermination(long millis) throws InterruptedException;

    /** Drops the queued tasks and interrupts the one running. */
    void shutdownNow();
}
