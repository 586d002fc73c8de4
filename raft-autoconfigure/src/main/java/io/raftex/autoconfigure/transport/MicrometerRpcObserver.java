package io.raftex.autoconfigure.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Records every batch the transport sends as the timer {@code raft.rpc} with tags {@code type} ({@code batch}),
 * {@code peer} and {@code outcome} (success, rejected, error, timeout, skipped: skipped counts the batches dropped
 * because the peer's circuit breaker was open).
 */
public final class MicrometerRpcObserver implements RpcObserver, MeterBinder {

    private volatile MeterRegistry registry;

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onBatch(String peer, int messages, Outcome outcome, long nanos) {
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        Timer.builder("raft.rpc")
                .description("Batches of peer messages sent over HTTP")
                .tag("type", "batch")
                .tag("peer", peer)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(r)
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
