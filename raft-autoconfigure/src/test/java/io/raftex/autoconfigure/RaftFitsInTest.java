package io.raftex.autoconfigure;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.transport.HttpTransport;
import io.raftex.autoconfigure.transport.RaftPeerResilience;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** RaftEx inside someone else's application: it leaves the application's own beans of shared types alone. */
class RaftFitsInTest {

    private static final AutoConfigurations RAFT_WITH_METRICS = AutoConfigurations.of(RaftAutoConfiguration.class,
            RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class,
            MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
            SimpleMetricsExportAutoConfiguration.class);

    @TempDir
    Path tmp;

    @Test
    void anApplicationsResilience4jRegistriesAreKeptAndRaftExKeepsItsOwnBreakers() {
        // n2 does not exist: the node's pre-votes to it go through the n2 breaker
        new ApplicationContextRunner().withConfiguration(RAFT_WITH_METRICS)
                .withUserConfiguration(ApplicationRegistries.class, CounterGroup.class)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.members=n1=http://127.0.0.1:1,n2=http://127.0.0.1:2",
                        "raft.security.cluster-token=test-cluster-token", "raft.heartbeat-interval=20ms",
                        "raft.election-timeout=200ms", "raft.rpc.stream=false")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(HttpTransport.class);
                    CircuitBreakerRegistry applicationBreakers = context.getBean(CircuitBreakerRegistry.class);
                    assertThat(applicationBreakers).isSameAs(context.getBean("applicationBreakers"));
                    assertThat(context.getBean(TimeLimiterRegistry.class))
                            .isSameAs(context.getBean("applicationLimiters"));
                    MeterRegistry meters = context.getBean(MeterRegistry.class);
                    // the peer's breaker exists, with its meters, and not in the application's registry
                    await().atMost(Duration.ofSeconds(20)).until(() -> meters.find("resilience4j.circuitbreaker.state")
                            .tag("name", HttpTransport.RESILIENCE_PREFIX + "n2").gauge() != null);
                    assertThat(applicationBreakers.getAllCircuitBreakers()).isEmpty();
                    assertThat(context.getBean(TimeLimiterRegistry.class).getAllTimeLimiters()).isEmpty();
                    // RaftEx's breaker has RaftEx's configuration, not the application's defaults
                    assertThat(context.getBean(RaftPeerResilience.class)
                            .circuitBreakers().circuitBreaker(HttpTransport.RESILIENCE_PREFIX + "n2")
                            .getCircuitBreakerConfig().getSlidingWindowSize()).isEqualTo(20);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class ApplicationRegistries {
        @Bean
        CircuitBreakerRegistry applicationBreakers() {
            return CircuitBreakerRegistry.ofDefaults();
        }

        @Bean
        TimeLimiterRegistry applicationLimiters() {
            return TimeLimiterRegistry.ofDefaults();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CounterGroup {
        @Bean
        @RaftStateMachine("counter")
        CounterStateMachine counterStateMachine() {
            return new CounterStateMachine();
        }
    }
}
