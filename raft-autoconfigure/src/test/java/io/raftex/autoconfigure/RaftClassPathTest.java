package io.raftex.autoconfigure;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftex.autoconfigure.actuate.RaftEndpoint;
import io.raftex.autoconfigure.actuate.RaftEndpointAutoConfiguration;
import io.raftex.autoconfigure.actuate.RaftEventPublisher;
import io.raftex.autoconfigure.actuate.RaftEventsAutoConfiguration;
import io.raftex.autoconfigure.actuate.RaftHealthContributor;
import io.raftex.autoconfigure.actuate.RaftHealthContributorAutoConfiguration;
import io.raftex.autoconfigure.actuate.RaftMetrics;
import io.raftex.autoconfigure.actuate.RaftMetricsAutoConfiguration;
import io.raftex.autoconfigure.actuate.StorageCommitMetrics;
import io.raftex.autoconfigure.admin.RaftAdminAutoConfiguration;
import io.raftex.autoconfigure.admin.RaftAdminController;
import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.security.RaftSecurityAutoConfiguration;
import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.transport.HttpTransport;
import io.raftex.autoconfigure.transport.RaftNoPeerEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftPeerResilience;
import io.raftex.autoconfigure.transport.RaftRpcController;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftStreamEndpoint;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import io.raftex.autoconfigure.transport.RpcObserver;
import io.raftex.core.RaftNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.AbstractApplicationContextRunner;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What RaftEx leaves running when an optional part of the Spring stack is not on the class path: Actuator,
 * Micrometer, the servlet web stack. Each case is one node with one group ("counter") and every RaftEx
 * auto-configuration, next to Boot's health and metrics auto-configurations.
 */
class RaftClassPathTest {

    private static final AutoConfigurations RAFT = AutoConfigurations.of(RaftAutoConfiguration.class,
            RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class,
            RaftNoPeerEndpointAutoConfiguration.class, RaftAdminAutoConfiguration.class,
            RaftEventsAutoConfiguration.class, RaftMetricsAutoConfiguration.class,
            RaftHealthContributorAutoConfiguration.class, RaftEndpointAutoConfiguration.class,
            RaftSecurityAutoConfiguration.class);
    /** Boot's, for the parts that are on the class path. */
    private static final AutoConfigurations METRICS = AutoConfigurations.of(MetricsAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class);
    private static final AutoConfigurations HEALTH = AutoConfigurations.of(HealthContributorAutoConfiguration.class);

    @TempDir
    Path tmp;

    private <R extends AbstractApplicationContextRunner<R, ?, ?>> R configure(R runner, String node) {
        return runner.withConfiguration(RAFT).withUserConfiguration(CounterGroup.class)
                .withPropertyValues("raft.node-id=" + node, "raft.data-dir=" + tmp.resolve(node),
                        "raft.heartbeat-interval=20ms", "raft.election-timeout=200ms",
                        "management.endpoints.web.exposure.include=health,raft");
    }

    /** The node runs its group: a command commits. */
    private static void nodeRuns(ApplicationContext context) throws Exception {
        assertThat(context.getBean(RaftNodeLifecycle.class).isRunning()).isTrue();
        Long value = context.getBean(RaftClient.class).<CounterCommand, Long>command("counter",
                new CounterCommand("c", 5)).get(20, TimeUnit.SECONDS);
        assertThat(value).isEqualTo(5);
    }

    @Test
    void withEverythingEveryPartRuns() {
        configure(new WebApplicationContextRunner(), "all").withConfiguration(METRICS).withConfiguration(HEALTH)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    nodeRuns(context);
                    assertThat(context).hasSingleBean(HttpTransport.class).hasSingleBean(RaftRpcController.class)
                            .hasSingleBean(RaftStreamEndpoint.class).hasSingleBean(RaftAdminController.class)
                            .hasSingleBean(RaftHealthContributor.class).hasSingleBean(RaftEndpoint.class)
                            .hasSingleBean(RaftMetrics.class).hasSingleBean(StorageCommitMetrics.class)
                            .hasSingleBean(RaftEventPublisher.class).hasSingleBean(RpcObserver.class)
                            .hasBean("raftCircuitBreakerMetrics").hasBean("raftTimeLimiterMetrics");
                });
    }

    @Test
    void withoutActuatorTheNodeTransportAdminApiAndMetricsRunButNoHealthOrEndpoint() {
        configure(new WebApplicationContextRunner(), "no-actuator").withConfiguration(METRICS)
                .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate",
                        "org.springframework.boot.health"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    nodeRuns(context);
                    assertThat(context).hasSingleBean(HttpTransport.class).hasSingleBean(RaftRpcController.class)
                            .hasSingleBean(RaftStreamEndpoint.class).hasSingleBean(RaftAdminController.class)
                            .hasSingleBean(RaftMetrics.class).hasSingleBean(RaftEventPublisher.class);
                    assertThat(context).doesNotHaveBean(RaftHealthContributor.class)
                            .doesNotHaveBean(RaftEndpoint.class);
                });
    }

    @Test
    void withoutMicrometerEverythingButTheMetersRuns() {
        configure(new WebApplicationContextRunner(), "no-micrometer").withConfiguration(HEALTH)
                .withClassLoader(new FilteredClassLoader("io.micrometer"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    nodeRuns(context);
                    assertThat(context).hasSingleBean(HttpTransport.class).hasSingleBean(RaftPeerResilience.class)
                            .hasSingleBean(RaftRpcController.class).hasSingleBean(RaftAdminController.class)
                            .hasSingleBean(RaftHealthContributor.class).hasSingleBean(RaftEndpoint.class)
                            .hasSingleBean(RaftEventPublisher.class);
                    assertThat(context).doesNotHaveBean(MeterRegistry.class).doesNotHaveBean(RaftMetrics.class)
                            .doesNotHaveBean(StorageCommitMetrics.class).doesNotHaveBean(RpcObserver.class)
                            .doesNotHaveBean("raftCircuitBreakerMetrics").doesNotHaveBean("raftTimeLimiterMetrics");
                });
    }

    @Test
    void withoutTheWebStackTheNodeRunsWithoutEndpointsAndSaysSoWhenItHasPeers() {
        FilteredClassLoader noWeb = new FilteredClassLoader("org.springframework.web", "jakarta.servlet",
                "org.apache.catalina", "org.apache.tomcat");
        // alone: fully useful, through RaftClient
        List<String> alone = logOf(() -> configure(new ApplicationContextRunner(), "no-web").withClassLoader(noWeb)
                .withConfiguration(METRICS).withConfiguration(HEALTH)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    nodeRuns(context);
                    assertThat(context).hasSingleBean(RaftNode.class).hasSingleBean(HttpTransport.class)
                            .hasSingleBean(RaftHealthContributor.class).hasSingleBean(RaftMetrics.class);
                    assertThat(context).doesNotHaveBean(RaftRpcController.class)
                            .doesNotHaveBean(RaftStreamEndpoint.class).doesNotHaveBean(RaftAdminController.class);
                }));
        assertThat(alone).isEmpty();
        // with other members: it starts, and warns that they cannot reach it
        List<String> withPeers = logOf(() -> configure(new ApplicationContextRunner(), "no-web-peers")
                .withClassLoader(noWeb)
                .withPropertyValues("raft.node-id=n1", "raft.security.cluster-token=test-cluster-token",
                        "raft.members=n1=http://127.0.0.1:1,n2=http://127.0.0.1:2")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(RaftNodeLifecycle.class).isRunning()).isTrue();
                }));
        assertThat(withPeers).singleElement().satisfies(line -> assertThat(line)
                .startsWith("WARN raft.members names other nodes, but this application does not serve /raft/rpc "
                        + "and /raft/stream").contains("node n1 cannot receive their messages"));
    }

    private static List<String> logOf(Runnable body) {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger)
                LoggerFactory.getLogger(RaftNoPeerEndpointAutoConfiguration.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            body.run();
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
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
