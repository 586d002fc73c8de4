package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftex.core.runtime.DurableStorageProvider;
import io.raftex.core.runtime.StorageProvider;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The timer {@code raft.storage.commit}: one record per group commit of the node's write-ahead log (one write and
 * one sync for a batch that may hold entries of every group), so it carries no {@code group} tag. Its count is the
 * number of syncs; its time, how long each write and sync took. Only the core's {@link DurableStorageProvider}
 * reports group commits; with any other storage the timer is not registered.
 */
public final class StorageCommitMetrics implements MeterBinder {

    private final StorageProvider storage;

    public StorageCommitMetrics(StorageProvider storage) {
        this.storage = storage;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (!(storage instanceof DurableStorageProvider)) {
            return;
        }
        DurableStorageProvider durable = (DurableStorageProvider) storage;
        Timer timer = Timer.builder("raft.storage.commit")
                .description("Group commits of the write-ahead log: one write and sync of a batch of every group's "
                        + "entries")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(20_000))
                .maximumExpectedValue(Duration.ofSeconds(2))
                .register(registry);
        durable.storage().setCommitListener((records, bytes, nanos) -> timer.record(nanos, TimeUnit.NANOSECONDS));
    }
}
