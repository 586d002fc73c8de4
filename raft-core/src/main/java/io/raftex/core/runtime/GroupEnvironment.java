package io.raftex.core.runtime;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * What a group's shell takes from the world around it: the thread its tasks run on, the time, random seeds, and
 * where snapshots are written out. {@link #system()} is the real one; a simulator passes a virtual thread and clock,
 * seeded randomness and a scheduled "background", so that a whole {@link GroupRuntime} runs deterministically.
 *
 * @param executors  makes the executor of a group from (node id, group name)
 * @param nanoTime   a monotonic clock in nanoseconds, for deadlines and latencies
 * @param wallMillis wall-clock milliseconds, stamped on entries a leader appends
 * @param seeds      random numbers for client ids, request-id bases and election timeouts
 * @param background runs the writing of snapshots, off the group thread
 */
public record GroupEnvironment(BiFunction<String, String, GroupExecutor> executors, LongSupplier nanoTime,
                               LongSupplier wallMillis, LongSupplier seeds, Executor background) {

    /** Daemon threads, created as needed and ended when idle, shared by every group of the JVM. */
    private static final Executor SNAPSHOT_WRITERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "raft-snapshot-writer");
        t.setDaemon(true);
        return t;
    });

    public GroupEnvironment {
        Objects.requireNonNull(executors, "executors");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(wallMillis, "wallMillis");
        Objects.requireNonNull(seeds, "seeds");
        Objects.requireNonNull(background, "background");
    }

    /** As the canonical constructor, writing snapshots on shared daemon threads. */
    public GroupEnvironment(BiFunction<String, String, GroupExecutor> executors, LongSupplier nanoTime,
                            LongSupplier wallMillis, LongSupplier seeds) {
        this(executors, nanoTime, wallMillis, seeds, SNAPSHOT_WRITERS);
    }

    /** A thread per group, the system clocks and {@link SecureRandom}. */
    public static GroupEnvironment system() {
        SecureRandom random = new SecureRandom();
        return new GroupEnvironment(ThreadGroupExecutor::new, System::nanoTime, System::currentTimeMillis,
                random::nextLong);
    }
}
