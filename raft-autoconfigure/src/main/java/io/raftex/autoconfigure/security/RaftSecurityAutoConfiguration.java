package io.raftex.autoconfigure.security;

import io.raftex.autoconfigure.RaftSettings;
import io.raftex.autoconfigure.admin.AdminRoleCheck;
import io.raftex.autoconfigure.admin.RaftAdminAutoConfiguration;
import io.raftex.autoconfigure.admin.RaftAdminController;
import io.raftex.autoconfigure.transport.HttpTransport;
import io.raftex.autoconfigure.transport.RaftRpcController;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.util.StringUtils;
import org.springframework.security.access.hierarchicalroles.NullRoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.core.GrantedAuthorityDefaults;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.AndRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * RaftEx in an application that uses Spring Security (servlet web security, from Boot's auto-configuration or
 * {@code @EnableWebSecurity}). Without it, the application's rules would meet the peers first: Boot's default chain
 * answers their streams with a login redirect or a 401, and no leader is ever elected. So:
 * <ul>
 *   <li>{@code raftPeerSecurityFilterChain} (order {@link #PEER_FILTER_CHAIN_ORDER}) matches {@code /raft/rpc} and
 *       {@code /raft/stream} only and permits them, stateless and without CSRF: peers are authenticated by RaftEx
 *       with the cluster token ({@code raft.security.cluster-token}), as without Spring Security.</li>
 *   <li>{@code raftAdminTokenSecurityFilterChain} (order {@link #ADMIN_TOKEN_FILTER_CHAIN_ORDER}, only with
 *       {@code raft.security.admin-token}) matches admin API requests that carry exactly that bearer token, and
 *       permits them, stateless and without CSRF (a browser never adds such a header by itself); RaftEx checks the
 *       token again. Every other admin request goes through the application's own chains, like any of its paths.
 *       </li>
 *   <li>{@code raftAdminRoleCheck}: an admin request whose principal the application authenticated is allowed
 *       when the principal has {@code raft.security.spring-security.admin-role}.</li>
 * </ul>
 * Each backs off for a bean of the same name ({@link AdminRoleCheck}: of the same type), and all of it for
 * {@code raft.security.spring-security.enabled=false}. RaftEx's chains are ordered after Boot's own security
 * auto-configuration, so the application's default chain is still created: RaftEx's chains only add rules for
 * RaftEx's paths.
 */
@AutoConfiguration(after = {RaftRpcEndpointAutoConfiguration.class, RaftAdminAutoConfiguration.class}, afterName = {
        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({SecurityFilterChain.class, HttpSecurity.class})
@ConditionalOnBooleanProperty(name = "raft.security.spring-security.enabled", matchIfMissing = true)
@ConditionalOnBean({RaftSettings.class, HttpSecurity.class})
@EnableConfigurationProperties(RaftSpringSecurityProperties.class)
public final class RaftSecurityAutoConfiguration {

    /** Order of {@code raftPeerSecurityFilterChain}: before the application's chains. */
    public static final int PEER_FILTER_CHAIN_ORDER = Ordered.HIGHEST_PRECEDENCE + 100;
    /** Order of {@code raftAdminTokenSecurityFilterChain}: before the application's chains. */
    public static final int ADMIN_TOKEN_FILTER_CHAIN_ORDER = PEER_FILTER_CHAIN_ORDER + 1;

    /** The peer paths, let through to RaftEx's own cluster token check. */
    @Bean
    @Order(PEER_FILTER_CHAIN_ORDER)
    @ConditionalOnMissingBean(name = "raftPeerSecurityFilterChain")
    @ConditionalOnBean(RaftRpcController.class)
    SecurityFilterChain raftPeerSecurityFilterChain(HttpSecurity http,
                                                    ObjectProvider<PathPatternRequestMatcher.Builder> mvcPaths)
            throws Exception {
        // /raft/rpc is a Spring MVC mapping (under the DispatcherServlet's path), /raft/stream a servlet of its own
        RequestMatcher peers = new OrRequestMatcher(
                mvcPaths.getIfAvailable(PathPatternRequestMatcher::withDefaults).matcher(HttpTransport.RPC_PATH),
                PathPatternRequestMatcher.withDefaults().matcher(HttpTransport.STREAM_PATH));
        return permitStateless(http.securityMatcher(peers));
    }

    /** Admin API requests carrying the admin token, let through to RaftEx's own check of it. */
    @Bean
    @Order(ADMIN_TOKEN_FILTER_CHAIN_ORDER)
    @ConditionalOnMissingBean(name = "raftAdminTokenSecurityFilterChain")
    @ConditionalOnBean(RaftAdminController.class)
    @Conditional(AdminTokenSet.class)
    SecurityFilterChain raftAdminTokenSecurityFilterChain(HttpSecurity http, RaftSettings settings,
                                                          ObjectProvider<PathPatternRequestMatcher.Builder> mvcPaths)
            throws Exception {
        String token = settings.adminToken().orElseThrow(); // AdminTokenSet: it has text
        RequestMatcher admin = new AndRequestMatcher(
                mvcPaths.getIfAvailable(PathPatternRequestMatcher::withDefaults)
                        .matcher(RaftAdminController.BASE + "/**"),
                new BearerTokenMatcher(token));
        return permitStateless(http.securityMatcher(admin));
    }

    /** Admin operations for principals with the admin role. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(RaftAdminController.class)
    AdminRoleCheck raftAdminRoleCheck(RaftSpringSecurityProperties properties, ObjectProvider<RoleHierarchy> roles,
                                      ObjectProvider<GrantedAuthorityDefaults> authorityDefaults) {
        String prefix = authorityDefaults.getIfUnique(() -> new GrantedAuthorityDefaults("ROLE_")).getRolePrefix();
        return new SpringSecurityAdminRoleCheck(properties.getAdminRole(), prefix,
                roles.getIfUnique(NullRoleHierarchy::new));
    }

    /** Permits every request of the chain: no session, no CSRF token, no saved request, no login page. */
    private static SecurityFilterChain permitStateless(HttpSecurity http) throws Exception {
        return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                .csrf(AbstractHttpConfigurer::disable)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                // machine-to-machine: no browser headers, and the streams' responses stay unwrapped
                .headers(AbstractHttpConfigurer::disable)
                .build();
    }

    /** Matches a request whose {@code Authorization: Bearer} token is {@code token} (compared in constant time). */
    private record BearerTokenMatcher(byte[] token) implements RequestMatcher {

        BearerTokenMatcher(String token) {
            this(token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public boolean matches(HttpServletRequest request) {
            String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
            if (token == null || authorization == null) {
                return false;
            }
            String value = authorization.strip();
            return value.regionMatches(true, 0, "Bearer ", 0, 7)
                    && MessageDigest.isEqual(token, value.substring(7).strip().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@code raft.security.admin-token} is set and not blank. */
    static final class AdminTokenSet extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return StringUtils.hasText(context.getEnvironment().getProperty("raft.security.admin-token"))
                    ? ConditionOutcome.match("raft.security.admin-token is set")
                    : ConditionOutcome.noMatch("raft.security.admin-token is not set");
        }
    }
}
