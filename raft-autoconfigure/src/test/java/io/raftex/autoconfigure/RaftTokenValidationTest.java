package io.raftex.autoconfigure;

import io.raftex.autoconfigure.admin.AdminAccess;
import io.raftex.autoconfigure.admin.RaftAdminAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster or admin token that is an unresolved placeholder, blank, padded with spaces or shorter than
 * {@link RaftSettings#MIN_TOKEN_LENGTH} stops startup naming the property; an empty or absent one keeps meaning
 * "not set".
 */
class RaftTokenValidationTest {

    private static final String THREE_MEMBERS =
            "raft.members=n1=http://10.0.0.1:8080,n2=http://10.0.0.2:8080,n3=http://10.0.0.3:8080";
    private static final String GOOD = "a-good-token-of-24-chars";
    private static final String CLUSTER = "raft.security.cluster-token";
    private static final String ADMIN = "raft.security.admin-token";

    @TempDir
    Path tmp;

    private WebApplicationContextRunner runner() {
        return new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RaftAutoConfiguration.class,
                        RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class,
                        RaftAdminAutoConfiguration.class))
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.heartbeat-interval=20ms", "raft.election-timeout=200ms");
    }

    /** Sets {@code property} to {@code value} exactly as given (no trimming), as a property source would. */
    private WebApplicationContextRunner with(WebApplicationContextRunner runner, String property, String value) {
        return runner.withInitializer(context -> context.getEnvironment().getPropertySources()
                .addFirst(new MapPropertySource("token-under-test", Map.of(property, value))));
    }

    @Test
    void anUnresolvedPlaceholderIsNeverATokenAndStartupNamesTheProperty() {
        // As written in a properties file with the variable unset, Spring leaves the text as it is.
        for (String property : List.of(CLUSTER, ADMIN)) {
            String value = "${RAFT_TOKEN_THAT_IS_NOT_SET_" + property.length() + "}";
            with(runner().withPropertyValues(THREE_MEMBERS, CLUSTER + "=" + GOOD), property, value).run(context -> {
                assertThat(context).hasFailed();
                RaftConfigurationException e = failure(context.getStartupFailure());
                assertThat(e.property()).isEqualTo(property);
                assertThat(e).hasMessageContaining(property).hasMessageContaining("unresolved placeholder")
                        .hasMessageContaining(value);
                FailureAnalysis analysis = new RaftConfigurationFailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis.getDescription()).contains(property).contains("unresolved placeholder");
                assertThat(analysis.getAction()).contains("Fix " + property);
            });
        }
    }

    @Test
    void anUnresolvedPlaceholderIsRefusedEvenOnASingleNode() {
        with(runner(), CLUSTER, "${RAFT_CLUSTER_TOKEN}").run(context ->
                assertThat(failure(context.getStartupFailure()).property()).isEqualTo(CLUSTER));
    }

    @Test
    void blankPaddedOrShortTokensAreRefusedWithoutEchoingThem() {
        for (String property : List.of(CLUSTER, ADMIN)) {
            for (String bad : List.of("   ", "\t", " " + GOOD, GOOD + "\n", "fifteen-chars!!", "s3cret")) {
                with(runner().withPropertyValues(THREE_MEMBERS, CLUSTER + "=" + GOOD), property, bad).run(context -> {
                    assertThat(context).as("%s='%s'", property, bad).hasFailed();
                    RaftConfigurationException e = failure(context.getStartupFailure());
                    assertThat(e.property()).isEqualTo(property);
                    assertThat(e).hasMessageContaining(property);
                    if (!bad.isBlank()) {
                        assertThat(e.getMessage()).doesNotContain(bad.strip());
                    }
                    if (bad.strip().equals(bad)) {
                        assertThat(e).hasMessageContaining("at least " + RaftSettings.MIN_TOKEN_LENGTH);
                    }
                });
            }
        }
    }

    @Test
    void anEmptyClusterTokenIsUnsetSoOtherMembersStillStopStartup() {
        // ${RAFT_CLUSTER_TOKEN:} with the variable unset is the empty string
        runner().withPropertyValues(THREE_MEMBERS, CLUSTER + "=${RAFT_TOKEN_THAT_IS_NOT_SET:}").run(context -> {
            RaftConfigurationException e = failure(context.getStartupFailure());
            assertThat(e.property()).isEqualTo(CLUSTER);
            assertThat(e).hasMessageContaining("raft.security.cluster-token is not set, but raft.members names");
        });
        runner().withPropertyValues(CLUSTER + "=${RAFT_TOKEN_THAT_IS_NOT_SET:}").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(RaftSettings.class).clusterToken()).isEmpty();
        });
    }

    @Test
    void anAbsentOrEmptyAdminTokenStartsWithAdminWritesRefused() {
        for (String admin : List.of("raft.enabled=true", ADMIN + "=", ADMIN + "=${RAFT_TOKEN_THAT_IS_NOT_SET:}")) {
            runner().withPropertyValues(THREE_MEMBERS, CLUSTER + "=" + GOOD, admin).run(context -> {
                assertThat(context).as(admin).hasNotFailed();
                assertThat(context.getBean(AdminAccess.class).writesEnabled()).isFalse();
            });
        }
    }

    @Test
    void tokensOfTheMinimumLengthStart() {
        String sixteen = "0123456789abcdef";
        assertThat(sixteen).hasSize(RaftSettings.MIN_TOKEN_LENGTH);
        runner().withPropertyValues(THREE_MEMBERS, CLUSTER + "=" + sixteen, ADMIN + "=" + GOOD).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(RaftSettings.class).clusterToken()).contains(sixteen);
            assertThat(context.getBean(AdminAccess.class).writesEnabled()).isTrue();
        });
    }

    private static RaftConfigurationException failure(Throwable startupFailure) {
        Throwable t = startupFailure;
        while (t != null && !(t instanceof RaftConfigurationException)) {
            t = t.getCause();
        }
        assertThat(t).as("a RaftConfigurationException in " + startupFailure).isNotNull();
        return (RaftConfigurationException) t;
    }
}
