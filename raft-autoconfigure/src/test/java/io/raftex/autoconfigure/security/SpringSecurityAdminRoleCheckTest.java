package io.raftex.autoconfigure.security;

import io.raftex.autoconfigure.admin.AdminAccess;
import io.raftex.autoconfigure.admin.AdminRoleCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.access.hierarchicalroles.NullRoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin role check against a security context, and how {@link AdminAccess} combines it with the token. */
class SpringSecurityAdminRoleCheckTest {

    private final SpringSecurityAdminRoleCheck check =
            new SpringSecurityAdminRoleCheck("RAFT_ADMIN", "ROLE_", new NullRoleHierarchy());

    @AfterEach
    void clear() {
        SecurityContextHolder.clearContext();
    }

    private static void authenticate(String... authorities) {
        SecurityContextHolder.getContext().setAuthentication(UsernamePasswordAuthenticationToken.authenticated(
                "someone", "n/a", AuthorityUtils.createAuthorityList(authorities)));
    }

    @Test
    void grantsThePrincipalWithTheRoleOnly() {
        assertThat(check.current()).isEqualTo(AdminRoleCheck.Result.UNAUTHENTICATED);
        SecurityContextHolder.getContext().setAuthentication(new AnonymousAuthenticationToken("key", "anonymous",
                AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS")));
        assertThat(check.current()).isEqualTo(AdminRoleCheck.Result.UNAUTHENTICATED);
        // not authenticated (credentials not checked yet), even with the authority
        TestingAuthenticationToken unchecked = new TestingAuthenticationToken("someone", "pw", "ROLE_RAFT_ADMIN");
        unchecked.setAuthenticated(false);
        SecurityContextHolder.getContext().setAuthentication(unchecked);
        assertThat(check.current()).isEqualTo(AdminRoleCheck.Result.UNAUTHENTICATED);
        authenticate("ROLE_USER");
        assertThat(check.current()).isEqualTo(AdminRoleCheck.Result.DENIED);
        authenticate("RAFT_ADMIN"); // an authority, not the role
        assertThat(check.current()).isEqualTo(AdminRoleCheck.Result.DENIED);
        authenticate("ROLE_USER", "ROLE_RAFT_ADMIN");
        assertThat(check.current()).isEqualTo(AdminRoleCheck.Result.GRANTED);
    }

    @Test
    void followsTheApplicationsPrefixAndRoleHierarchy() {
        authenticate("ROLE_OPS");
        assertThat(new SpringSecurityAdminRoleCheck("RAFT_ADMIN", "ROLE_",
                RoleHierarchyImpl.fromHierarchy("ROLE_OPS > ROLE_RAFT_ADMIN")).current())
                .isEqualTo(AdminRoleCheck.Result.GRANTED);
        assertThat(new SpringSecurityAdminRoleCheck("ROLE_OPS", "ROLE_", new NullRoleHierarchy()).current())
                .isEqualTo(AdminRoleCheck.Result.GRANTED);
        authenticate("GROUP_RAFT_ADMIN");
        assertThat(new SpringSecurityAdminRoleCheck("RAFT_ADMIN", "GROUP_", new NullRoleHierarchy()).current())
                .isEqualTo(AdminRoleCheck.Result.GRANTED);
        // a blank role grants nobody
        assertThat(new SpringSecurityAdminRoleCheck(" ", "ROLE_", new NullRoleHierarchy()).current())
                .isEqualTo(AdminRoleCheck.Result.DENIED);
    }

    @Test
    void adminAccessTakesTheTokenOrTheRole() {
        AdminAccess access = new AdminAccess(Optional.of("tok"), false, Optional.of(check));
        assertThat(access.write(null)).isEqualTo(AdminAccess.Verdict.MISSING);
        assertThat(access.write("Bearer nope")).isEqualTo(AdminAccess.Verdict.WRONG);
        assertThat(access.write("Bearer tok")).isEqualTo(AdminAccess.Verdict.ALLOWED);
        authenticate("ROLE_USER");
        assertThat(access.write("Basic dXNlcjpwdw==")).isEqualTo(AdminAccess.Verdict.LACKS_ROLE);
        // the principal's own bearer token (a JWT, say) is not a wrong admin token
        assertThat(access.write("Bearer eyJhbGciOi")).isEqualTo(AdminAccess.Verdict.LACKS_ROLE);
        assertThat(access.write("Bearer tok")).isEqualTo(AdminAccess.Verdict.ALLOWED);
        authenticate("ROLE_RAFT_ADMIN");
        assertThat(access.write("Bearer eyJhbGciOi")).isEqualTo(AdminAccess.Verdict.ALLOWED);
        assertThat(access.read(null)).isEqualTo(AdminAccess.Verdict.ALLOWED);

        // no admin token: the role alone; an unauthenticated request is asked to authenticate, not told it is off
        AdminAccess roleOnly = new AdminAccess(Optional.empty(), true, Optional.of(check));
        assertThat(roleOnly.writesEnabled()).isTrue();
        assertThat(roleOnly.read(null)).isEqualTo(AdminAccess.Verdict.ALLOWED);
        SecurityContextHolder.clearContext();
        assertThat(roleOnly.write(null)).isEqualTo(AdminAccess.Verdict.MISSING);
        assertThat(roleOnly.read("Bearer x")).isEqualTo(AdminAccess.Verdict.MISSING);
        // neither: disabled, as without Spring Security
        AdminAccess neither = new AdminAccess(Optional.empty(), false);
        assertThat(neither.writesEnabled()).isFalse();
        assertThat(neither.write("Bearer x")).isEqualTo(AdminAccess.Verdict.DISABLED);
    }
}
