package io.raftex.autoconfigure;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.transport.HttpTransport;
import io.raftex.autoconfigure.transport.RaftMessageJson;
import io.raftex.autoconfigure.transport.RaftPeerResilience;
import io.raftex.autoconfigure.transport.RaftRpcController;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftStreamEndpoint;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import io.raftex.core.ApplyContext;
import io.raftex.core.Codec;
import io.raftex.core.MemberId;
import io.raftex.core.RaftNode;
import io.raftex.core.ReadConsistency;
import io.raftex.core.StateMachine;
import io.raftex.core.UnknownGroupException;
import io.raftex.core.log.SyncMode;
import io.raftex.core.runtime.InMemoryStorageProvider;
import io.raftex.core.runtime.RuntimeSettings;
import io.raftex.core.runtime.StorageProvider;
import io.raftex.core.transport.InMemoryNetwork;
import io.raftex.core.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RaftAutoConfigurationTest {

    private static final AutoConfigurations RAFT = AutoConfigurations.of(RaftAutoConfiguration.class,
            RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class);

    @TempDir
    Path tmp;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withConfiguration(RAFT)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.heartbeat-interval=20ms", "raft.election-timeout=200ms");
    }

    @Test
    void infrastructureBeansAppear() {
        runner().run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(RaftProperties.class).hasSingleBean(RaftSettings.class)
                    .hasSingleBean(RaftNode.class).hasSingleBean(RaftNodeLifecycle.class)
                    .hasSingleBean(RaftClient.class).hasSingleBean(RaftCodecFactory.class)
                    .hasSingleBean(StorageProvider.class).hasSingleBean(HttpTransport.class)
                    .hasSingleBean(RaftMessageJson.class).hasSingleBean(RaftPeerResilience.class)
                    // the peers' registries are RaftEx's own, not beans of resilience4j's shared types
                    .doesNotHaveBean(CircuitBreakerRegistry.class).doesNotHaveBean(TimeLimiterRegistry.class);
            // not a web application: no endpoint
            assertThat(context).doesNotHaveBean(RaftRpcController.class);
            assertThat(context.getBean(RaftNodeLifecycle.class).isRunning()).isTrue();
            assertThat(context.getBean(RaftClient.class).groups()).isEmpty();
        });
    }

    @Test
    void rpcEndpointInAServletWebApplication() {
        new WebApplicationContextRunner().withConfiguration(RAFT)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("web"))
                .run(context -> {
                    assertThat(context).hasSingleBean(RaftRpcController.class)
                            .hasSingleBean(RaftStreamEndpoint.class).hasBean("raftStreamServletRegistration");
                    // streams by default
                    assertThat(context.getBean(RaftSettings.class).stream()).isTrue();
                    assertThat(context.getBean(HttpTransport.class).streaming(MemberId.of("n2"))).isTrue();
                });
    }

    @Test
    void streamsCanBeSwitchedOff() {
        new WebApplicationContextRunner().withConfiguration(RAFT)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("web-no-stream"),
                        "raft.rpc.stream=false")
                .run(context -> {
                    assertThat(context.getBean(RaftSettings.class).stream()).isFalse();
                    assertThat(context.getBean(HttpTransport.class).streaming(MemberId.of("n2"))).isFalse();
                    // the endpoint still takes streams from peers
                    assertThat(context).hasSingleBean(RaftStreamEndpoint.class);
                });
    }

    @Test
    void switchedOffWithRaftEnabledFalse() {
        new ApplicationContextRunner().withConfiguration(RAFT).withPropertyValues("raft.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(RaftNode.class).doesNotHaveBean(RaftSettings.class)
                            .doesNotHaveBean(HttpTransport.class).doesNotHaveBean(RaftClient.class);
                });
    }

    @Test
    void userBeansWin() {
        runner().withUserConfiguration(UserBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(HttpTransport.class);
            assertThat(context.getBean(Transport.class)).isSameAs(context.getBean("userTransport"));
            assertThat(context.getBean(StorageProvider.class)).isInstanceOf(InMemoryStorageProvider.class);
            assertThat(context.getBean(RaftCodecFactory.class)).isSameAs(context.getBean("userCodecs"));
            assertThat(context.getBean(RaftPeerResilience.class)).isSameAs(context.getBean("userResilience"));
            assertThat(context.getBean(RaftMessageJson.class)).isSameAs(context.getBean("userJson"));
        });
    }

    @Test
    void propertiesBind() {
        runner().withPropertyValues(
                "raft.node-id=n2",
                "raft.members=n1=http://127.0.0.1:18081, n2=http://127.0.0.2:18082/,n3=https://localhost:18443",
                "raft.election-timeout=3s", "raft.heartbeat-interval=150ms", "raft.command-timeout=7s",
                "raft.storage.sync=none", "raft.storage.max-batch-size=77",
                "raft.snapshot.interval-entries=500", "raft.snapshot.chunk-size=64KB",
                "raft.rpc.timeout=250ms", "raft.rpc.max-batch-bytes=1MB",
                "raft.security.cluster-token=s3cret-cluster-token", "raft.security.admin-token=adm1n-admin-token")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RaftProperties p = context.getBean(RaftProperties.class);
                    assertThat(p.getStorage().getSync()).isEqualTo(RaftProperties.SyncMode.NONE);
                    assertThat(p.getStorage().getMaxBatchSize()).isEqualTo(77);
                    assertThat(p.getSnapshot().getIntervalEntries()).isEqualTo(500);
                    assertThat(p.getSnapshot().getChunkSize().toKilobytes()).isEqualTo(64);
                    assertThat(p.getSecurity().getAdminToken()).isEqualTo("adm1n-admin-token");
                    RaftSettings s = context.getBean(RaftSettings.class);
                    assertThat(s.nodeId().value()).isEqualTo("n2");
                    assertThat(s.configuredMembers()).extracting(m -> m.id().value() + "=" + m.address())
                            .containsExactly("n1=http://127.0.0.1:18081", "n2=http://127.0.0.2:18082",
                                    "n3=https://localhost:18443");
                    assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofMillis(150));
                    assertThat(s.electionTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(s.commandTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(s.rpcTimeout()).isEqualTo(Duration.ofMillis(250));
                    assertThat(s.maxBatchBytes()).isEqualTo(1 << 20);
                    assertThat(s.storageOptions().syncMode()).isEqualTo(SyncMode.NONE);
                    assertThat(s.storageOptions().maxBatchRecords()).isEqualTo(77);
                    assertThat(s.adminToken()).contains("adm1n-admin-token");
                    // what the node runs with: the heartbeat is its tick, the election timeout 20 of them
                    RuntimeSettings node = context.getBean(RaftNode.class).settings();
                    assertThat(node.tickInterval()).isEqualTo(Duration.ofMillis(150));
                    assertThat(node.protocol().heartbeatTicks()).isEqualTo(1);
                    assertThat(node.protocol().electionTimeoutTicks()).isEqualTo(20);
                    assertThat(node.commandTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(node.protocol().maxBytesPerMessage()).isEqualTo(((1 << 20) - 4096) / 4);
                    assertThat(node.snapshotInterval()).isEqualTo(500);
                    assertThat(node.snapshotChunkBytes()).isEqualTo(64 * 1024);
                    assertThat(s.clusterToken()).contains("s3cret-cluster-token");
                    assertThat(s.dataDir()).isEqualTo(tmp.resolve("n1").toAbsolutePath());
                });
    }

    @Test
    void dataDirDefaultsToDataSlashNodeId() {
        RaftProperties p = new RaftProperties();
        p.setNodeId("default-dir-test");
        Path expected = Path.of("data", "default-dir-test").toAbsolutePath();
        try {
            assertThat(RaftSettings.from(p).dataDir()).isEqualTo(expected);
        } finally {
            expected.toFile().delete();
        }
    }

    @Test
    void missingNodeIdFails() {
        new ApplicationContextRunner().withConfiguration(RAFT).run(context ->
                assertThat(context).getFailure().rootCause()
                        .isInstanceOf(RaftConfigurationException.class)
                        .hasMessageContaining("raft.node-id is required"));
    }

    @Test
    void aNodeAbsentFromMembersStartsAndWaitsToBeAdded() {
        List<String> log = logOf(RaftNodeLifecycle.class, () -> runner().withUserConfiguration(StateMachines.class)
                .withPropertyValues("raft.node-id=n4", THREE_MEMBERS, "raft.security.cluster-token=s3cret-cluster-token")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(RaftSettings.class).awaitsMembership()).isTrue();
                    assertThat(context.getBean(RaftNodeLifecycle.class).isRunning()).isTrue();
                    RaftClient client = context.getBean(RaftClient.class);
                    // it takes no part: no election however long it hears from no leader
                    org.awaitility.Awaitility.await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5))
                            .until(() -> {
                                io.raftex.core.GroupStatus s = client.status("counter");
                                return s.running() && s.term() == 0 && s.leaderId().isEmpty()
                                        && s.role() == io.raftex.core.Role.FOLLOWER;
                            });
                    assertThat(client.status("counter").members()).extracting(m -> m.id())
                            .containsExactly("n1", "n2", "n3");
                }));
        assertThat(log).anySatisfy(line -> assertThat(line).startsWith("INFO")
                .contains("Raft node n4 is not in raft.members").contains("until a leader adds it")
                .contains(" with {\"id\":\"n4\",\"url\":\"<this node's url>\"} on any member"));
        assertThat(RaftSettings.from(props("n1", THREE_MEMBERS)).awaitsMembership()).isFalse();
        assertThat(RaftSettings.from(props("n1", "raft.members=")).awaitsMembership()).isFalse();
    }

    private RaftProperties props(String nodeId, String members) {
        RaftProperties p = new RaftProperties();
        p.setNodeId(nodeId);
        p.setDataDir(tmp.resolve("props-" + nodeId));
        String list = members.substring("raft.members=".length());
        p.setMembers(list.isEmpty() ? List.of() : List.of(list.split(",")));
        p.getSecurity().setClusterToken("s3cret-cluster-token");
        return p;
    }

    @Test
    void malformedMembersFail() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("n1=http://a:1,n2", "raft.members entry 'n2' is malformed: expected id=url"),
                Map.entry("n1=http://a:1,n2=ftp://b:2", "the url of 'n2' 'ftp://b:2' is not a valid member url"),
                Map.entry("n1=http://a:1,n2=http//b:2", "the url of 'n2' 'http//b:2' is not a valid member url"),
                Map.entry("n1=http://a b:1", "the url of 'n1' 'http://a b:1' is not a valid member url"),
                Map.entry("n1=http://a:1,n1=http://b:2", "raft.members names 'n1' twice"),
                Map.entry("n1=http://a:99999", "port 99999 is not from 1 to 65535"),
                Map.entry("n1=http://a:0", "port 0 is not from 1 to 65535"),
                Map.entry("n1=http://user:secret@a:1", "'http://***@a:1' is not a valid member url"),
                Map.entry("n1=http://a:1,a/b=http://b:1", "has an invalid id: 'a/b' is invalid"),
                Map.entry("n1=http://a:1,..=http://b:1", "has an invalid id: '..' is invalid"),
                Map.entry("n1=http://a:1,n2=http://a:1/", "raft.members names 'n1' and 'n2' at one url"));
        cases.forEach((members, message) -> runner().withPropertyValues("raft.members=" + members)
                .run(context -> assertThat(context).getFailure().rootCause()
                        .isInstanceOf(RaftConfigurationException.class).hasMessageContaining(message)
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"))));
        runner().withPropertyValues("raft.node-id=../n1").run(context -> assertThat(context).getFailure()
                .rootCause().hasMessageContaining("raft.node-id '../n1' is invalid"));
    }

    @Test
    void unwritableDataDirFails() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        runner().withPropertyValues("raft.data-dir=" + file.resolve("sub"))
                .run(context -> assertThat(configFailure(context))
                        .hasMessageContaining("raft.data-dir '" + file.resolve("sub") + "' is not writable"));
    }

    @Test
    void badTimingFails() {
        runner().withPropertyValues("raft.heartbeat-interval=500ms", "raft.election-timeout=600ms")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("raft.election-timeout (PT0.6S) must be at least twice"));
    }

    private static final String THREE_MEMBERS =
            "raft.members=n1=http://127.0.0.1:1,n2=http://127.0.0.1:2,n3=http://127.0.0.1:3";

    /** Collects what {@link RaftAutoConfiguration} logs while {@code body} runs. */
    private static List<String> logOf(Runnable body) {
        return logOf(RaftAutoConfiguration.class, body);
    }

    /** Collects what the logger of {@code source} logs while {@code body} runs. */
    private static List<String> logOf(Class<?> source, Runnable body) {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(source);
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

    @Test
    void otherMembersWithoutAClusterTokenFailNamingTheProperty() {
        for (String noToken : List.of("raft.security.allow-unauthenticated-peers=false",
                "raft.security.cluster-token=")) {
            runner().withPropertyValues(THREE_MEMBERS, noToken).run(context -> {
                assertThat(context).hasFailed();
                RaftConfigurationException e = configFailure(context);
                assertThat(e.property()).isEqualTo("raft.security.cluster-token");
                assertThat(e).hasMessageContaining("raft.security.cluster-token is not set, but raft.members names "
                        + "other nodes [n2, n3]").hasMessageContaining("raft.security.allow-unauthenticated-peers=true");
            });
        }
    }

    @Test
    void allowUnauthenticatedPeersStartsOtherMembersWithoutATokenAndWarns() {
        List<String> log = logOf(() -> runner()
                .withPropertyValues(THREE_MEMBERS, "raft.security.allow-unauthenticated-peers=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RaftSettings settings = context.getBean(RaftSettings.class);
                    assertThat(settings.allowUnauthenticatedPeers()).isTrue();
                    assertThat(settings.clusterToken()).isEmpty();
                    assertThat(settings.configuredMembers()).hasSize(3);
                }));
        assertThat(log).anySatisfy(line -> assertThat(line).startsWith("WARN")
                .contains("raft.security.cluster-token is not set")
                .contains("raft.security.allow-unauthenticated-peers=true"));
    }

    @Test
    void aSingleMemberStartsWithoutAToken() {
        for (String members : List.of("raft.members=", "raft.members=n1=http://127.0.0.1:1")) {
            List<String> log = logOf(() -> runner().withPropertyValues(members).run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(RaftSettings.class).clusterToken()).isEmpty();
                assertThat(context.getBean(RaftNodeLifecycle.class).isRunning()).isTrue();
            }));
            // still unauthenticated, so still said
            assertThat(log).as(members).anySatisfy(line -> assertThat(line).startsWith("WARN")
                    .contains("raft.security.cluster-token is not set"));
        }
    }

    @Test
    void otherMembersWithAClusterTokenStartWithoutAWarning() {
        List<String> log = logOf(() -> runner().withPropertyValues(THREE_MEMBERS, "raft.security.cluster-token=s3cret-cluster-token")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(RaftSettings.class).clusterToken()).contains("s3cret-cluster-token");
                    assertThat(context.getBean(RaftSettings.class).allowUnauthenticatedPeers()).isFalse();
                }));
        assertThat(log).noneSatisfy(line -> assertThat(line).contains("cluster-token is not set"));
    }

    @Test
    void failureAnalyzerNamesTheProperty() {
        FailureAnalysis analysis = new RaftConfigurationFailureAnalyzer().analyze(
                new IllegalStateException(new RaftConfigurationException("raft.node-id", "raft.node-id is required")));
        assertThat(analysis.getDescription()).contains("raft.node-id is required");
        assertThat(analysis.getAction()).contains("Fix raft.node-id");
    }

    @Test
    void stateMachineBeansBecomeGroupsWithJsonCommands() {
        runner().withUserConfiguration(StateMachines.class).run(context -> {
            assertThat(context).hasNotFailed();
            RaftClient client = context.getBean(RaftClient.class);
            assertThat(client.groups()).containsExactlyInAnyOrder("counter", "log");
            assertThat(client.<CounterCommand, Long>command("counter", new CounterCommand("a", 5))
                    .get(10, TimeUnit.SECONDS)).isEqualTo(5L);
            assertThat(client.<CounterCommand, Long>command("counter", new CounterCommand("a", 2))
                    .get(10, TimeUnit.SECONDS)).isEqualTo(7L);
            for (ReadConsistency c : ReadConsistency.values()) {
                assertThat(client.query("counter", CounterStateMachine.class, sm -> sm.get("a"), c)
                        .get(10, TimeUnit.SECONDS)).as(c.name()).isEqualTo(7L);
            }
            // generic command type List<String> resolved from the signature
            assertThat(client.<List<String>, Integer>command("log", List.of("x", "y"))
                    .get(10, TimeUnit.SECONDS)).isEqualTo(2);
            RaftNodeLifecycle lifecycle = context.getBean(RaftNodeLifecycle.class);
            assertThat(lifecycle.definition("log").orElseThrow().commandType().getTypeName())
                    .isEqualTo("java.util.List<java.lang.String>");
            assertThatThrownBy(() -> client.command("nope", "x")).isInstanceOf(UnknownGroupException.class);
            assertThatThrownBy(() -> client.command("counter", "not a command"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(client.status("counter").isLeader()).isTrue();
        });
    }

    @Test
    void commandsFailWithTypedExceptionsWithoutQuorum() {
        InMemoryNetwork network = new InMemoryNetwork();
        String members = "n1=http://127.0.0.1:1,n2=http://127.0.0.1:2,n3=http://127.0.0.1:3";
        java.util.function.Function<String, ApplicationContextRunner> member = id -> new ApplicationContextRunner()
                .withConfiguration(RAFT).withUserConfiguration(StateMachines.class)
                .withBean(Transport.class, () -> network.transport(id))
                .withPropertyValues("raft.node-id=" + id, "raft.members=" + members,
                        "raft.data-dir=" + tmp.resolve(id), "raft.heartbeat-interval=20ms",
                        "raft.election-timeout=200ms", "raft.command-timeout=1s",
                        "raft.security.cluster-token=test-cluster-token");
        member.apply("n1").run(c1 -> member.apply("n2").run(c2 -> member.apply("n3").run(c3 -> {
            List<RaftClient> clients = List.of(c1.getBean(RaftClient.class), c2.getBean(RaftClient.class),
                    c3.getBean(RaftClient.class));
            // take the leader seen by the wait itself: leadership may move between two looks on a loaded machine
            RaftClient leader = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> clients.stream().filter(c -> c.status("counter").isLeader()).findFirst(),
                            java.util.Optional::isPresent).orElseThrow();
            assertThat(leader.<CounterCommand, Long>command("counter", new CounterCommand("a", 1))
                    .get(10, TimeUnit.SECONDS)).isEqualTo(1L);
            // cut off, the leader appends the command but cannot commit it: it may still apply later
            network.isolate(leader.status("counter").nodeId());
            assertThatThrownBy(() -> leader.command("counter", new CounterCommand("a", 1)).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(io.raftex.core.CommandTimeoutException.class)
                    .hasMessageContaining("it may still be applied");
            // once it knows it leads no more, nothing is handed to a leader: the command was not applied
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> !leader.status("counter").isLeader());
            assertThatThrownBy(() -> leader.command("counter", new CounterCommand("a", 1)).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(io.raftex.core.NoLeaderException.class);
            network.heal();
        })));
    }

    @Test
    void nonStateMachineBeanFails() {
        runner().withUserConfiguration(NotAStateMachine.class).run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("is not a io.raftex.core.StateMachine"));
    }

    @Test
    void unresolvableTypesFail() {
        runner().withUserConfiguration(RawStateMachine.class).run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cannot tell the command and result types"));
    }

    @Test
    void duplicateGroupNamesFail() {
        runner().withUserConfiguration(StateMachines.class, DuplicateGroup.class).run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("both declare the Raft group 'counter'"));
    }

    /** The configuration error that stopped the context. */
    static RaftConfigurationException configFailure(
            org.springframework.boot.test.context.assertj.AssertableApplicationContext context) {
        Throwable t = context.getStartupFailure();
        while (t != null && !(t instanceof RaftConfigurationException)) {
            t = t.getCause();
        }
        assertThat(t).as("a RaftConfigurationException in " + context.getStartupFailure()).isNotNull();
        return (RaftConfigurationException) t;
    }

    @Configuration(proxyBeanMethods = false)
    static class UserBeans {
        @Bean
        Transport userTransport() {
            return new InMemoryNetwork().transport("n1");
        }

        @Bean
        StorageProvider userStorage() {
            return new InMemoryStorageProvider();
        }

        @Bean
        RaftCodecFactory userCodecs() {
            return new JacksonRaftCodecFactory(tools.jackson.databind.json.JsonMapper.builder().build());
        }

        @Bean
        RaftPeerResilience userResilience() {
            return new RaftPeerResilience(CircuitBreakerConfig.ofDefaults(), TimeLimiterConfig.ofDefaults());
        }

        @Bean
        RaftMessageJson userJson() {
            return new RaftMessageJson();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class StateMachines {
        @Bean
        @RaftStateMachine("counter")
        CounterStateMachine counter() {
            return new CounterStateMachine();
        }

        @Bean
        LogStateMachine logStateMachine() {
            return new LogStateMachine();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class DuplicateGroup {
        @Bean
        @RaftStateMachine("counter")
        CounterStateMachine counter2() {
            return new CounterStateMachine();
        }
    }

    /** Annotated on the class; a generic command type. */
    @RaftStateMachine("log")
    static class LogStateMachine implements StateMachine<List<String>, Integer> {
        private final List<String> lines = new ArrayList<>();

        @Override
        public Integer apply(List<String> command, ApplyContext context) {
            lines.addAll(command);
            return lines.size();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class NotAStateMachine {
        @Bean
        @RaftStateMachine("x")
        String notAStateMachine() {
            return "x";
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class RawStateMachine {
        @Bean
        @RaftStateMachine("raw")
        @SuppressWarnings("rawtypes")
        StateMachine raw() {
            return new Generic<>();
        }
    }

    static class Generic<C> implements StateMachine<C, C> {
        @Override
        public C apply(C command, ApplyContext context) {
            return command;
        }
    }

}
