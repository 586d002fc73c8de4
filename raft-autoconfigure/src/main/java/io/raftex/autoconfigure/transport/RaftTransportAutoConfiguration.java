package io.raftex.autoconfigure.transport;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedTimeLimiterMetrics;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftConfigurationException;
import io.raftex.autoconfigure.RaftSettings;
import io.raftex.core.transport.Transport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;

/**
 * The HTTP/JSON transport between nodes: the wire codec, a circuit breaker and a time limiter per peer (resilience4j
 * core modules, configured here in code, in registries private to RaftEx ({@link RaftPeerResilience}), with their
 * meters bound to Micrometer when it is present) and the
 * {@link HttpTransport} (streams per {@code raft.rpc.stream}, TLS material per {@code raft.rpc.ssl.bundle}). The receiving endpoints come from
 * {@link RaftRpcEndpointAutoConfiguration}.
 */
@AutoConfiguration(after = RaftAutoConfiguration.class)
@ConditionalOnClass({HttpTransport.class, CircuitBreakerRegistry.class, TimeLimiterRegistry.class})
@ConditionalOnBean(RaftSettings.class)
public final class RaftTransportAutoConfiguration {

    /** Name of the circuit breaker configuration used for every peer. */
    public static final String PEER_CONFIG = "raft-peer";

    @Bean
    @ConditionalOnMissingBean
    RaftMessageJson raftMessageJson() {
        return new RaftMessageJson();
    }

    /**
     * The peers' breakers and time limiters, in registries of RaftEx's own: an application's
     * {@code CircuitBreakerRegistry} or {@code TimeLimiterRegistry} beans are neither used nor replaced.
     */
    @Bean
    @ConditionalOnMissingBean
    RaftPeerResilience raftPeerResilience(RaftSettings settings) {
        return new RaftPeerResilience(peerCircuitBreakerConfig(settings), peerTimeLimiterConfig(settings));
    }

    /**
     * A peer's breaker opens when half of its last 20 calls (at least 10) failed or timed out; while open, that
     * peer's messages are dropped at once. After half an election timeout it lets 3 trial calls through, so a
     * restarted peer hears from its leader again before its own election timer runs out.
     */
    static CircuitBreakerConfig peerCircuitBreakerConfig(RaftSettings settings) {
        Duration wait = settings.electionTimeout().dividedBy(2);
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(wait)
                .permittedNumberOfCallsInHalfOpenState(3)
                .slowCallDurationThreshold(settings.rpcTimeout().multipliedBy(10))
                .build();
    }

    /** One call may take {@code raft.rpc.timeout}; then it is cancelled. */
    static TimeLimiterConfig peerTimeLimiterConfig(RaftSettings settings) {
        return TimeLimiterConfig.custom()
                .timeoutDuration(settings.rpcTimeout())
                .cancelRunningFuture(true)
                .build();
    }

    /**
     * The transport; with {@code raft.rpc.ssl.bundle}, its TLS material comes from that SSL bundle, and when the
     * bundle is updated (reload-on-update) the transport takes the new material ({@link HttpTransport#updateTls}).
     */
    @Bean
    @ConditionalOnMissingBean(Transport.class)
    HttpTransport raftTransport(RaftSettings settings, RaftMessageJson json, RaftPeerResilience resilience,
                                ObjectProvider<RpcObserver> observer, ObjectProvider<SslBundles> sslBundles) {
        HttpTransportSettings.Stream stream = HttpTransportSettings.Stream.enabled(
                settings.heartbeatInterval(), settings.electionTimeout(),
                settings.rpcTimeout()).withEnabled(settings.stream());
        HttpTransportSettings transportSettings = new HttpTransportSettings(settings.nodeId(),
                settings.rpcTimeout(), settings.maxBatchBytes(), settings.clusterToken(), 10_000, stream);
        String bundleName = settings.sslBundle().orElse(null);
        if (bundleName == null) {
            return new HttpTransport(transportSettings, json, resilience.circuitBreakers(),
                    resilience.breakerConfig(), resilience.timeLimiters(), resilience.limiterConfig(),
                    observer.getIfAvailable(() -> RpcObserver.NONE));
        }
        SslBundles bundles = sslBundles.getIfAvailable();
        if (bundles == null) {
            throw new RaftConfigurationException("raft.rpc.ssl.bundle", "raft.rpc.ssl.bundle names the SSL bundle '"
                    + bundleName + "', but the application has no SslBundles (spring.ssl.bundle.*)");
        }
        SslBundle bundle;
        try {
            bundle = bundles.getBundle(bundleName);
        } catch (NoSuchSslBundleException e) {
            throw new RaftConfigurationException("raft.rpc.ssl.bundle", "raft.rpc.ssl.bundle names the SSL bundle '"
                    + bundleName + "', which is not configured: define it under spring.ssl.bundle.pem." + bundleName
                    + " or spring.ssl.bundle.jks." + bundleName, e);
        }
        HttpTransport transport = new HttpTransport(transportSettings, json, resilience.circuitBreakers(),
                resilience.breakerConfig(), resilience.timeLimiters(), resilience.limiterConfig(),
                observer.getIfAvailable(() -> RpcObserver.NONE), PeerTls.of(bundle));
        bundles.addBundleUpdateHandler(bundleName, updated -> transport.updateTls(PeerTls.of(updated)));
        return transport;
    }

    /** Meters of the breakers and time limiters, and the {@code raft.rpc} timer, when Micrometer is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, TaggedCircuitBreakerMetrics.class})
    static final class RaftTransportMetricsConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "raftCircuitBreakerMetrics")
        MeterBinder raftCircuitBreakerMetrics(RaftPeerResilience resilience) {
            return TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(resilience.circuitBreakers());
        }

        @Bean
        @ConditionalOnMissingBean(name = "raftTimeLimiterMetrics")
        MeterBinder raftTimeLimiterMetrics(RaftPeerResilience resilience) {
            return TaggedTimeLimiterMetrics.ofTimeLimiterRegistry(resilience.timeLimiters());
        }

        @Bean
        @ConditionalOnMissingBean(RpcObserver.class)
        MicrometerRpcObserver raftRpcObserver() {
            return new MicrometerRpcObserver();
        }
    }
}
