package io.raftex.autoconfigure.security;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admin operations in an application with its own Spring Security: an HTTP API chain (HTTP Basic, stateless) and
 * two users. A user with the admin role may write and read, one without it is refused by RaftEx (403), and the admin
 * bearer token works alongside.
 */
class RaftAdminRolesTest {

    private static final String ADMIN_TOKEN = "admin-secret-token";
    private static final String OPERATOR = SecurityHttp.basic("operator", "op-password");
    private static final String VIEWER = SecurityHttp.basic("viewer", "view-password");
    private static TestNode node;

    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void start() throws Exception {
        node = new TestNode("n1", TestNode.freePort(), dataRoot.resolve("n1")).withSources(ApiSecurity.class)
                .with("spring.profiles.active", "spring-security")
                .with("raft.security.admin-token", ADMIN_TOKEN)
                .with("raft.security.admin-reads-require-token", "true")
                .start();
        TestNode.awaitLeader(java.util.List.of(node), Duration.ofSeconds(30));
        node.client().<CounterCommand, Long>command("counter", new CounterCommand("c", 1)).get(20, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        node.stop();
    }

    private static SecurityHttp.Answer snapshot(String authorization) {
        return SecurityHttp.post(node.url() + "/raft/admin/groups/counter/snapshot", "application/json", "",
                authorization);
    }

    private static SecurityHttp.Answer status(String authorization) {
        return SecurityHttp.get(node.url() + "/raft/admin/groups/counter", authorization);
    }

    @Test
    void aUserWithTheAdminRoleMayWriteAndRead() {
        SecurityHttp.Answer written = snapshot(OPERATOR);
        assertThat(written.status()).as(written.toString()).isEqualTo(200);
        assertThat(written.body()).contains("\"snapshotIndex\"");
        assertThat(status(OPERATOR).status()).isEqualTo(200);
    }

    @Test
    void aUserWithoutTheAdminRoleIsRefusedByRaftEx() {
        for (SecurityHttp.Answer refused : new SecurityHttp.Answer[] {snapshot(VIEWER), status(VIEWER)}) {
            assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
            assertThat(refused.problemType()).isEqualTo("urn:raftex:problem:forbidden");
            assertThat(refused.body()).contains("Missing admin role");
        }
    }

    @Test
    void theAdminTokenWorksAlongside() {
        SecurityHttp.Answer written = snapshot(SecurityHttp.bearer(ADMIN_TOKEN));
        assertThat(written.status()).as(written.toString()).isEqualTo(200);
        assertThat(status(SecurityHttp.bearer(ADMIN_TOKEN)).status()).isEqualTo(200);
    }

    @Test
    void withNeitherTheApplicationsOwnSecurityAnswers() {
        for (String authorization : new String[] {null, SecurityHttp.bearer("wrong"),
                SecurityHttp.basic("operator", "wrong")}) {
            SecurityHttp.Answer refused = snapshot(authorization);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
            assertThat(refused.problemType()).isNull();
        }
    }

    /** The application's security: every path needs an HTTP Basic login; no sessions, so no CSRF either. */
    @Configuration(proxyBeanMethods = false)
    static class ApiSecurity {

        @Bean
        SecurityFilterChain api(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
                    .httpBasic(Customizer.withDefaults())
                    .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                    .csrf(csrf -> csrf.disable())
                    .build();
        }

        @Bean
        UserDetailsService users() {
            return new InMemoryUserDetailsManager(
                    User.withUsername("operator").password("{noop}op-password").roles("RAFT_ADMIN").build(),
                    User.withUsername("viewer").password("{noop}view-password").roles("USER").build());
        }
    }
}
