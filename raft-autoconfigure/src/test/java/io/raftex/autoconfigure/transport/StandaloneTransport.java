package io.raftex.autoconfigure.transport;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.raftex.core.MemberId;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;

/** A peer transport outside any application, with streams on and short timeouts, for tests that pose as a peer. */
public final class StandaloneTransport {

    private StandaloneTransport() {
    }

    /**
     * A transport of node {@code id} carrying {@code token}, with {@code tls} for https peers (null: the JVM's
     * defaults), telling {@code streamOpens} the peer and outcome of every stream open. Not started.
     */
    public static HttpTransport create(String id, String token, PeerTls tls,
                                       BiConsumer<String, RpcObserver.Outcome> streamOpens) {
        Duration timeout = Duration.ofMillis(400);
        HttpTransportSettings settings = new HttpTransportSettings(MemberId.of(id), timeout, 64 * 1024,
                Optional.of(token), 10_000, HttpTransportSettings.Stream.enabled(Duration.ofMillis(50),
                Duration.ofMillis(500), timeout));
        return new HttpTransport(settings, new RaftMessageJson(), CircuitBreakerRegistry.ofDefaults(),
                CircuitBreakerConfig.ofDefaults(), TimeLimiterRegistry.ofDefaults(), TimeLimiterConfig.ofDefaults(),
                new RpcObserver() {
                    @Override
                    public void onBatch(String peer, int messages, Outcome outcome, long nanos) {
                    }

                    @Override
                    public void onStreamOpen(String peer, Outcome outcome, long nanos) {
                        streamOpens.accept(peer, outcome);
                    }
                }, tls);
    }
}
