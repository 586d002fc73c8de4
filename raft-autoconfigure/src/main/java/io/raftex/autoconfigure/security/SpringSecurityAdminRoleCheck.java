package io.raftex.autoconfigure.security;

import io.raftex.autoconfigure.admin.AdminRoleCheck;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.authentication.AuthenticationTrustResolver;
import org.springframework.security.authentication.AuthenticationTrustResolverImpl;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The admin role check against Spring Security's context of the current request: an authenticated (not anonymous)
 * principal is granted when one of its authorities, expanded by the application's {@link RoleHierarchy}, is the
 * role with the application's role prefix ({@code ROLE_} unless it defines {@code GrantedAuthorityDefaults}).
 */
public final class SpringSecurityAdminRoleCheck implements AdminRoleCheck {

    private final String authority;
    private final RoleHierarchy roles;
    private final AuthenticationTrustResolver trust = new AuthenticationTrustResolverImpl();

    /**
     * @param role       the role, with or without {@code rolePrefix}; blank: no principal is granted
     * @param rolePrefix the application's role prefix
     * @param roles      the application's role hierarchy
     */
    public SpringSecurityAdminRoleCheck(String role, String rolePrefix, RoleHierarchy roles) {
        String r = role == null ? "" : role.strip();
        this.authority = r.isEmpty() ? null : r.startsWith(rolePrefix) ? r : rolePrefix + r;
        this.roles = roles;
    }

    @Override
    public Result current() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || !trust.isAuthenticated(auth)) {
            return Result.UNAUTHENTICATED;
        }
        if (authority != null) {
            for (GrantedAuthority granted : roles.getReachableGrantedAuthorities(auth.getAuthorities())) {
                if (authority.equals(granted.getAuthority())) {
                    return Result.GRANTED;
                }
            }
        }
        return Result.DENIED;
    }
}
