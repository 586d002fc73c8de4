package io.raftex.autoconfigure.security;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** How RaftEx lives with the application's Spring Security ({@code raft.security.spring-security.*}). */
@ConfigurationProperties("raft.security.spring-security")
public class RaftSpringSecurityProperties {

    /**
     * Whether RaftEx configures Spring Security for its own paths when the application uses it: a filter chain that
     * lets the peers' {@code /raft/rpc} and {@code /raft/stream} through (RaftEx checks the cluster token), one that
     * lets admin API requests carrying the admin token through (RaftEx checks it), and admin operations authorized
     * by the admin role. {@code false}: the application's security applies to those paths as to any other, and it
     * must let the peer paths through itself.
     */
    private boolean enabled = true;

    /**
     * The role (without the {@code ROLE_} prefix) of an authenticated principal that may use the admin API's write
     * operations (and reads, when {@code raft.security.admin-reads-require-token} is set) without the admin token.
     * Blank: no role does.
     */
    private String adminRole = "RAFT_ADMIN";

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getAdminRole() {
        return adminRole;
    }

    public void setAdminRole(String adminRole) {
        this.adminRole = adminRole;
    }
}
