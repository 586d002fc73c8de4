package io.raftex.autoconfigure.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Records what the transport sends as the timer {@code raft.rpc} with tags {@code type}, {@code peer} and
 * {@code outcome}:
 * <ul>
 *   <li>{@code type=batch}: one {@code POST /raft/rpc} (success, rejected, error, timeout, skipped: skipped counts
 *       the batches dropped because the peer's circuit breaker was open);</li>
 *   <li>{@code type=stream}: one batch written to a peer's stream (success: written and flushed, the time is the
 *       write's; error: the stream broke while writing it; skipped: dropped because no stream was open);</li>
 *   <li>{@code type=stream-open}: one attempt to open a stream (success, rejected, error, timeout, skipped).</li>
 * </ul>
 */
public final class MicrometerRpcObserver implements RpcObserver, MeterBinder {

    private volatile MeterRegistry registry;

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onBatch(String peer, int messages, Outcome outcome, long nanos) {
        record("batch", peer, outcome, nanos);
    }

    @Override
    public void onStreamBatch(String peer, int messages, Outcome outcome, long nanos) {
        record("stream", peer, outcome, nanos);
    }

    @Override
    public void onStreamOpen(String peer, Outcome outcome, long nanos) {
        record("stream-open", peer, outcome, nanos);
    }

    private void record(String type, String peer, Outcome outcome, long nanos) {
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        Timer.builder("raft.rpc")
                .description("Batches of peer messages sent over HTTP, and stream opens")
                .tag("type", type)
                .tag("peer", peer)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(r)
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
