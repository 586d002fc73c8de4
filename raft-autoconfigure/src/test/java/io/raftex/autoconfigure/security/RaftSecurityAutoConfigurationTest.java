package io.raftex.autoconfigure.security;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.admin.AdminAccess;
import io.raftex.autoconfigure.admin.AdminRoleCheck;
import io.raftex.autoconfigure.admin.RaftAdminAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** When {@link RaftSecurityAutoConfiguration} applies, what it adds, and how it is switched off or replaced. */
class RaftSecurityAutoConfigurationTest {

    private static final AutoConfigurations RAFT = AutoConfigurations.of(RaftAutoConfiguration.class,
            RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class,
            RaftAdminAutoConfiguration.class, RaftSecurityAutoConfiguration.class);
    private static final AutoConfigurations BOOT_SECURITY = AutoConfigurations.of(SecurityAutoConfiguration.class,
            UserDetailsServiceAutoConfiguration.class, ServletWebSecurityAutoConfiguration.class);

    @TempDir
    Path tmp;

    private WebApplicationContextRunner runner() {
        return new WebApplicationContextRunner().withConfiguration(RAFT).withConfiguration(BOOT_SECURITY)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.security.admin-token=adm1n-admin-token");
    }

    @Test
    void addsItsChainsAndRoleCheckNextToTheApplicationsDefaultChain() {
        runner().run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeansOfType(SecurityFilterChain.class)).containsOnlyKeys(
                    "defaultSecurityFilterChain", "raftPeerSecurityFilterChain", "raftAdminTokenSecurityFilterChain");
            assertThat(context).hasSingleBean(AdminRoleCheck.class).hasSingleBean(RaftSpringSecurityProperties.class);
            assertThat(context.getBean(AdminAccess.class).writesEnabled()).isTrue();
        });
    }

    @Test
    void withoutAnAdminTokenThereIsNoAdminTokenChain() {
        runner().withPropertyValues("raft.security.admin-token=").run(context -> {
            assertThat(context).hasNotFailed().hasBean("raftPeerSecurityFilterChain")
                    .doesNotHaveBean("raftAdminTokenSecurityFilterChain").hasSingleBean(AdminRoleCheck.class);
            // the role alone enables admin writes
            assertThat(context.getBean(AdminAccess.class).writesEnabled()).isTrue();
        });
    }

    @Test
    void switchedOffByProperty() {
        runner().withPropertyValues("raft.security.spring-security.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeansOfType(SecurityFilterChain.class)).containsOnlyKeys(
                    "defaultSecurityFilterChain");
            assertThat(context).doesNotHaveBean(AdminRoleCheck.class);
        });
    }

    @Test
    void aBeanOfTheSameNameReplacesAChain() {
        runner().withUserConfiguration(OwnPeerChain.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("raftPeerSecurityFilterChain"))
                    .isSameAs(context.getBean(OwnPeerChain.class).chain);
            assertThat(context).hasBean("raftAdminTokenSecurityFilterChain");
        });
    }

    @Test
    void nothingWithoutSpringSecurityOrWithoutWebSecurity() {
        // Spring Security not on the class path
        runner().withClassLoader(new FilteredClassLoader("org.springframework.security")).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(SecurityFilterChain.class)
                    .doesNotHaveBean(AdminRoleCheck.class).doesNotHaveBean(RaftSpringSecurityProperties.class);
            assertThat(context.getBean(AdminAccess.class).writesEnabled()).isTrue(); // the admin token
        });
        // on the class path, but the application has no web security
        new WebApplicationContextRunner().withConfiguration(RAFT)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n2"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SecurityFilterChain.class)
                        .doesNotHaveBean(AdminRoleCheck.class));
        // not a web application
        new ApplicationContextRunner().withConfiguration(RAFT).withConfiguration(BOOT_SECURITY)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n3"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SecurityFilterChain.class)
                        .doesNotHaveBean(AdminRoleCheck.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPeerChain {
        private SecurityFilterChain chain;

        @Bean
        SecurityFilterChain raftPeerSecurityFilterChain(HttpSecurity http) throws Exception {
            chain = http.securityMatcher("/raft/rpc", "/raft/stream")
                    .authorizeHttpRequests(requests -> requests.anyRequest().permitAll()).build();
            return chain;
        }
    }
}
