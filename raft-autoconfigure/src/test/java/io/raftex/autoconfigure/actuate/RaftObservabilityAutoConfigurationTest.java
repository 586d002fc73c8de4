package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftStateMachine;
import io.raftex.autoconfigure.admin.AdminAccess;
import io.raftex.autoconfigure.admin.RaftAdminAutoConfiguration;
import io.raftex.autoconfigure.admin.RaftAdminController;
import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import io.raftex.core.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The health, metrics, events, endpoint and admin beans: present, switched off, overridable; on one node. */
class RaftObservabilityAutoConfigurationTest {

    private static final AutoConfigurations RAFT = AutoConfigurations.of(RaftAutoConfiguration.class,
            RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class,
            RaftAdminAutoConfiguration.class, RaftEventsAutoConfiguration.class, RaftMetricsAutoConfiguration.class,
            RaftHealthContributorAutoConfiguration.class, RaftEndpointAutoConfiguration.class,
            RaftObservationAutoConfiguration.class,
            HealthContributorAutoConfiguration.class, MetricsAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class);

    @TempDir
    Path tmp;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withConfiguration(RAFT)
                .withUserConfiguration(CounterGroup.class)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.heartbeat-interval=20ms", "raft.election-timeout=200ms",
                        "management.endpoints.web.exposure.include=health,raft",
                        "raft.client.observation-enabled=true");
    }

    @Test
    void aSingleNodeIsHealthyMeteredAndTellsItsListeners() {
        runner().withUserConfiguration(Observations.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(RaftHealthContributor.class).hasSingleBean(RaftMetrics.class)
                    .hasSingleBean(StorageCommitMetrics.class).hasSingleBean(RaftEventPublisher.class)
                    .hasSingleBean(RaftEndpoint.class).hasBean("raftHealthContributor");
            // not a web application: no admin API
            assertThat(context).doesNotHaveBean(RaftAdminController.class);

            RaftHealthContributor health = context.getBean(RaftHealthContributor.class);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                HealthIndicator counter = (HealthIndicator) health.getContributor("counter");
                return counter != null && counter.health().getStatus().equals(Status.UP);
            });
            Health up = ((HealthIndicator) health.getContributor("counter")).health();
            assertThat(up.getDetails()).containsEntry("role", "leader").containsEntry("leader", "n1")
                    .containsEntry("catchingUp", false)
                    .containsKeys("term", "commitIndex", "lastApplied", "lag", "replicationLag");
            assertThat(health.stream().map(e -> e.name())).containsExactly("counter");

            RaftClient client = context.getBean(RaftClient.class);
            for (int i = 0; i < 5; i++) {
                client.command("counter", new CounterCommand("c", 1)).get(10, TimeUnit.SECONDS);
            }
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(registry.get("raft.commit.index").tag("group", "counter").gauge().value())
                        .isGreaterThanOrEqualTo(6);
                assertThat(registry.get("raft.applied.index").tag("group", "counter").gauge().value())
                        .isGreaterThanOrEqualTo(6);
            });
            assertThat(registry.get("raft.leader").tag("group", "counter").gauge().value()).isEqualTo(1);
            assertThat(registry.get("raft.role").tag("group", "counter").gauge().value()).isEqualTo(3);
            assertThat(registry.get("raft.term").tag("group", "counter").gauge().value()).isGreaterThanOrEqualTo(1);
            assertThat(registry.get("raft.log.last.index").tag("group", "counter").gauge().value())
                    .isGreaterThanOrEqualTo(6);
            assertThat(registry.get("raft.snapshot.index").tag("group", "counter").gauge().value()).isZero();
            assertThat(registry.get("raft.elections").tag("group", "counter").functionCounter().count())
                    .isGreaterThanOrEqualTo(1);
            assertThat(registry.get("raft.leader.changes").tag("group", "counter").functionCounter().count())
                    .isGreaterThanOrEqualTo(1);
            // counted when the group answers, before the caller's future completes
            assertThat(registry.get("raft.commands").tag("group", "counter").tag("outcome", "success")
                    .functionCounter().count()).isEqualTo(5);
            for (String outcome : List.of("failed", "timeout", "no-leader", "rejected")) {
                assertThat(registry.get("raft.commands").tag("group", "counter").tag("outcome", outcome)
                        .functionCounter().count()).as(outcome).isZero();
            }
            assertThat(client.query("counter", CounterStateMachine.class, sm -> sm.get("c"),
                    io.raftex.core.ReadConsistency.LOCAL).get(10, TimeUnit.SECONDS)).isEqualTo(5L);
            assertThat(client.query("counter", sm -> {
                throw new IllegalStateException("broken query");
            }, io.raftex.core.ReadConsistency.LINEARIZABLE)).failsWithin(Duration.ofSeconds(10));
            assertThat(registry.get("raft.queries").tag("group", "counter").tag("outcome", "success")
                    .tag("consistency", "local").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("raft.queries").tag("group", "counter").tag("outcome", "failed")
                    .tag("consistency", "linearizable").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("raft.queries").tag("group", "counter").tag("outcome", "success")
                    .tag("consistency", "linearizable").functionCounter().count()).isZero();
            assertThat(registry.get("raft.member.role").tag("group", "counter").tag("role", "leader").gauge().value())
                    .isEqualTo(1);
            for (String role : List.of("follower", "candidate", "pre_candidate")) {
                assertThat(registry.get("raft.member.role").tag("group", "counter").tag("role", role).gauge()
                        .value()).as(role).isZero();
            }
            // a single member leads nobody: no follower lag rows
            assertThat(registry.find("raft.follower.lag").gauges()).isEmpty();
            assertThat(registry.get("raft.snapshots.taken").tag("group", "counter").functionCounter().count())
                    .isZero();
            client.group("counter").snapshot().get(10, TimeUnit.SECONDS);
            assertThat(registry.get("raft.snapshots.taken").tag("group", "counter").functionCounter().count())
                    .isEqualTo(1);
            assertThat(registry.get("raft.snapshot.duration").tag("group", "counter").tag("kind", "taken").timer()
                    .count()).isEqualTo(1);
            assertThat(registry.get("raft.snapshot.duration").tag("group", "counter").tag("kind", "installed")
                    .timer().count()).isZero();
            for (String counter : List.of("raft.snapshots.installed", "raft.snapshot.install.failures",
                    "raft.snapshot.sent", "raft.snapshot.received")) {
                assertThat(registry.get(counter).tag("group", "counter").functionCounter().count()).as(counter)
                        .isZero();
            }
            assertThat(registry.get("raft.snapshot.install.received").tag("group", "counter").gauge().value())
                    .isZero();
            assertThat(registry.get("raft.snapshot.install.size").tag("group", "counter").gauge().value()).isZero();
            // each command through the client is a raft.command observation
            Observations observations = context.getBean(Observations.class);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(observations.stopped).hasSize(5));
            assertThat(observations.stopped).allSatisfy(o -> {
                assertThat(o.getName()).isEqualTo("raft.command");
                assertThat(o.getLowCardinalityKeyValue("group").getValue()).isEqualTo("counter");
                assertThat(o.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("success");
                assertThat(o.getError()).isNull();
            });
            assertThat(registry.get("raft.snapshot.failures").tag("group", "counter").functionCounter().count())
                    .isZero();
            io.micrometer.core.instrument.Timer latency = registry.get("raft.command.latency").tag("group", "counter")
                    .timer();
            assertThat(latency.count()).isEqualTo(5); // each command recorded on its own: max and percentiles work
            assertThat(latency.max(TimeUnit.NANOSECONDS)).isPositive();
            assertThat(latency.totalTime(TimeUnit.NANOSECONDS)).isGreaterThanOrEqualTo(latency.max(TimeUnit.NANOSECONDS));
            assertThat(registry.get("raft.storage.commit").timer().count()).isPositive();

            Events events = context.getBean(Events.class);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(events.roles).anyMatch(e -> e.getGroup().equals("counter") && e.becameLeader()
                        && e.getNodeId().equals("n1") && e.getTerm() >= 1);
                assertThat(events.leaders).anyMatch(e -> e.getNewLeaderId().equals(java.util.Optional.of("n1"))
                        && e.isLocalLeader() && e.getRole() == Role.LEADER);
                assertThat(events.threads).containsOnly("raft-events");
            });

            RaftEndpoint endpoint = context.getBean(RaftEndpoint.class);
            List<Map<String, Object>> all = endpoint.groups();
            assertThat(all).hasSize(1);
            assertThat(all.get(0)).containsOnlyKeys("group", "nodeId", "role", "term", "leaderId", "commitIndex",
                    "lastApplied", "lastLogIndex", "snapshotIndex", "members", "incarnation", "incarnationBound",
                    "catchingUp", "snapshotInstall", "removal");
            assertThat(all.get(0)).containsEntry("incarnationBound", true).containsEntry("catchingUp", false)
                    .containsEntry("snapshotInstall", null);
            assertThat(endpoint.group("counter")).containsEntry("role", "leader").containsEntry("leaderId", "n1");
            assertThat(endpoint.group("nope")).isNull();
        });
    }

    @Test
    void aCaughtUpMemberIsHealthyWhenHealthRequiresIt() {
        runner().withPropertyValues("raft.health.require-caught-up=true").run(context -> {
            assertThat(context).hasNotFailed();
            RaftHealthContributor health = context.getBean(RaftHealthContributor.class);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                HealthIndicator counter = (HealthIndicator) health.getContributor("counter");
                return counter != null && counter.health().getStatus().equals(Status.UP);
            });
            assertThat(((HealthIndicator) health.getContributor("counter")).health().getDetails())
                    .containsEntry("catchingUp", false).doesNotContainKey("snapshotInstall");
        });
    }

    @Test
    void raftRequestsAreKeptOutOfHttpServerObservations() {
        new WebApplicationContextRunner().withConfiguration(RAFT).withUserConfiguration(CounterGroup.class)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("observed"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    io.micrometer.observation.ObservationPredicate predicate = context.getBean(
                            "raftHttpObservationPredicate", io.micrometer.observation.ObservationPredicate.class);
                    assertThat(predicate.test("http.server.requests", serverRequest("", "/raft/rpc"))).isFalse();
                    assertThat(predicate.test("http.server.requests", serverRequest("", "/raft/stream"))).isFalse();
                    assertThat(predicate.test("http.server.requests",
                            serverRequest("/app", "/app/raft/admin/groups"))).isFalse();
                    assertThat(predicate.test("http.server.requests", serverRequest("", "/kv/a"))).isTrue();
                    assertThat(predicate.test("http.server.requests", serverRequest("", "/raftish"))).isTrue();
                    assertThat(predicate.test("http.server.requests", serverRequest("/raft", "/raft/kv"))).isTrue();
                    assertThat(predicate.test("raft.command", new io.micrometer.observation.Observation.Context()))
                            .isTrue();
                });
        // by default, commands are not observed (raft.command.latency and raft.commands count them)
        new ApplicationContextRunner().withConfiguration(RAFT).withUserConfiguration(CounterGroup.class)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("unobserved"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RaftCommandObservation.class));
        // without the Observation API on the class path: neither the predicate nor the command observation
        runner().withClassLoader(new org.springframework.boot.test.context.FilteredClassLoader(
                "io.micrometer.observation")).run(context -> assertThat(context).hasNotFailed()
                .doesNotHaveBean("raftHttpObservationPredicate").doesNotHaveBean(RaftCommandObservation.class));
    }

    private static org.springframework.http.server.observation.ServerRequestObservationContext serverRequest(
            String contextPath, String uri) {
        org.springframework.mock.web.MockHttpServletRequest request =
                new org.springframework.mock.web.MockHttpServletRequest("POST", uri);
        request.setContextPath(contextPath);
        return new org.springframework.http.server.observation.ServerRequestObservationContext(request,
                new org.springframework.mock.web.MockHttpServletResponse());
    }

    @Test
    void healthIndicatorSwitchedOff() {
        runner().withPropertyValues("management.health.raft.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(RaftHealthContributor.class).hasSingleBean(RaftMetrics.class);
        });
    }

    @Test
    void endpointOnlyWhenExposed() {
        runner().withPropertyValues("management.endpoints.web.exposure.include=health")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RaftEndpoint.class));
    }

    @Test
    void userBeansWin() {
        runner().withUserConfiguration(UserBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("raftHealthContributor")).isSameAs(UserBeans.HEALTH);
            assertThat(context).doesNotHaveBean(RaftHealthContributor.class);
            assertThat(context.getBean(RaftMetrics.class)).isSameAs(context.getBean("userMetrics"));
            assertThat(context.getBean(RaftEventPublisher.class)).isSameAs(context.getBean("userEvents"));
        });
    }

    @Test
    void adminApiInAServletWebApplication() {
        new WebApplicationContextRunner().withConfiguration(RAFT).withUserConfiguration(CounterGroup.class)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("web"),
                        "raft.security.admin-token=secret-admin-token", "raft.security.admin-reads-require-token=true")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(RaftAdminController.class);
                    AdminAccess access = context.getBean(AdminAccess.class);
                    assertThat(access.read(null)).isEqualTo(AdminAccess.Verdict.MISSING);
                    assertThat(access.read("Bearer secret-admin-token")).isEqualTo(AdminAccess.Verdict.ALLOWED);
                    assertThat(access.write("Bearer other")).isEqualTo(AdminAccess.Verdict.WRONG);
                });
    }

    @Test
    void adminAccessRules() {
        AdminAccess open = new AdminAccess(java.util.Optional.empty(), false);
        assertThat(open.read(null)).isEqualTo(AdminAccess.Verdict.ALLOWED);
        assertThat(open.write("Bearer x")).isEqualTo(AdminAccess.Verdict.DISABLED);
        AdminAccess guarded = new AdminAccess(java.util.Optional.of("t0k"), false);
        assertThat(guarded.read(null)).isEqualTo(AdminAccess.Verdict.ALLOWED);
        assertThat(guarded.write(null)).isEqualTo(AdminAccess.Verdict.MISSING);
        assertThat(guarded.write("Basic dDBr")).isEqualTo(AdminAccess.Verdict.MISSING);
        assertThat(guarded.write("Bearer nope")).isEqualTo(AdminAccess.Verdict.WRONG);
        assertThat(guarded.write("bearer t0k")).isEqualTo(AdminAccess.Verdict.ALLOWED);
    }

    @Configuration(proxyBeanMethods = false)
    static class CounterGroup {
        @Bean
        @RaftStateMachine("counter")
        CounterStateMachine counterStateMachine() {
            return new CounterStateMachine();
        }

        @Bean
        Events events() {
            return new Events();
        }
    }

    /** A plain observation registry that keeps what it saw stop. */
    @Configuration(proxyBeanMethods = false)
    static class Observations {
        final List<io.micrometer.observation.Observation.Context> stopped = new CopyOnWriteArrayList<>();

        @Bean
        io.micrometer.observation.ObservationRegistry observationRegistry() {
            io.micrometer.observation.ObservationRegistry registry = io.micrometer.observation.ObservationRegistry
                    .create();
            registry.observationConfig().observationHandler(
                    new io.micrometer.observation.ObservationHandler<io.micrometer.observation.Observation.Context>() {
                        @Override
                        public void onStop(io.micrometer.observation.Observation.Context context) {
                            stopped.add(context);
                        }

                        @Override
                        public boolean supportsContext(io.micrometer.observation.Observation.Context context) {
                            return true;
                        }
                    });
            return registry;
        }
    }

    static class Events {
        final List<RaftRoleChangedEvent> roles = new CopyOnWriteArrayList<>();
        final List<RaftLeaderChangedEvent> leaders = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @EventListener
        void on(RaftRoleChangedEvent e) {
            roles.add(e);
            threads.add(Thread.currentThread().getName());
        }

        @EventListener
        void on(RaftLeaderChangedEvent e) {
            leaders.add(e);
            threads.add(Thread.currentThread().getName());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserBeans {
        static final CompositeHealthContributor HEALTH = CompositeHealthContributor.fromMap(
                Map.of("x", (HealthIndicator) () -> Health.up().build()));

        @Bean
        CompositeHealthContributor raftHealthContributor() {
            return HEALTH;
        }

        @Bean
        RaftMetrics userMetrics(io.raftex.autoconfigure.RaftNodeLifecycle lifecycle) {
            return new RaftMetrics(lifecycle);
        }

        @Bean
        RaftEventPublisher userEvents(io.raftex.autoconfigure.RaftNodeLifecycle lifecycle,
                                      org.springframework.context.ApplicationEventPublisher publisher) {
            return new RaftEventPublisher(lifecycle, publisher, "user");
        }
    }
}
