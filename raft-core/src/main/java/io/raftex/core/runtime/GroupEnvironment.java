package io.raftex.core.runtime;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * What a group's shell takes from the world around it: the thread its tasks run on, the time, and random seeds.
 * {@link #system()} is the real one; a simulator passes a virtual thread and clock and seeded randomness, so that a
 * whole {@link GroupRuntime} runs deterministically.
 *
 * @param executors  makes the executor of a group from (node id, group name)
 * @param nanoTime   a monotonic clock in nanoseconds, for deadlines and latencies
 * @param wallMillis wall-clock milliseconds, stamped on entries a leader appends
 * @param seeds      random numbers for client ids, request-id bases and election timeouts
 */
public record GroupEnvironment(BiFunction<String, String, GroupExecutor> executors, LongSupplier nanoTime,
                               LongSupplier wallMillis, LongSupplier seeds) {

    public GroupEnvironment {
        Objects.requireNonNull(executors, "executors");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(wallMillis, "wallMillis");
        Objects.requireNonNull(seeds, "seeds");
    }

    /** A thread per group, the system clocks and {@link SecureRandom}. */
    public static GroupEnvironment system() {
        SecureRandom random = new SecureRandom();
        return new GroupEnvironment(ThreadGroupExecutor::new, System::nanoTime, System::currentTimeMillis,
                random::nextLong);
    }
}
