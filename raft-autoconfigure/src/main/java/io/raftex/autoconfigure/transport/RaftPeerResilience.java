package io.raftex.autoconfigure.transport;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;

/**
 * RaftEx's own resilience4j registries: one circuit breaker and one time limiter per peer
 * ({@code raft-peer-<id>}). They are held here rather than exposed as {@link CircuitBreakerRegistry} and
 * {@link TimeLimiterRegistry} beans, so an application with registries of its own (resilience4j's Spring
 * integration, or its own beans) keeps them, and the peer breakers keep their configuration.
 */
public final class RaftPeerResilience {

    private final CircuitBreakerConfig breakerConfig;
    private final TimeLimiterConfig limiterConfig;
    private final CircuitBreakerRegistry breakers;
    private final TimeLimiterRegistry limiters;

    public RaftPeerResilience(CircuitBreakerConfig breakerConfig, TimeLimiterConfig limiterConfig) {
        this.breakerConfig = breakerConfig;
        this.limiterConfig = limiterConfig;
        this.breakers = CircuitBreakerRegistry.of(breakerConfig);
        this.limiters = TimeLimiterRegistry.of(limiterConfig);
    }

    /** The configuration of every peer's breaker. */
    public CircuitBreakerConfig breakerConfig() {
        return breakerConfig;
    }

    /** The configuration of every peer's time limiter. */
    public TimeLimiterConfig limiterConfig() {
        return limiterConfig;
    }

    /** The registry of the peers' circuit breakers. */
    public CircuitBreakerRegistry circuitBreakers() {
        return breakers;
    }

    /** The registry of the peers' time limiters. */
    public TimeLimiterRegistry timeLimiters() {
        return limiters;
    }
}
