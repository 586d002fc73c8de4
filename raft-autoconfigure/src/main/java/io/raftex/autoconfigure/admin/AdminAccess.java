package io.raftex.autoconfigure.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The admin API's security rule: write operations need {@code Authorization: Bearer <raft.security.admin-token>}
 * or, when the application authenticates its users (an {@link AdminRoleCheck}, such as Spring Security's), a
 * principal with the admin role; reads are open unless {@code raft.security.admin-reads-require-token} is set, and
 * then need the same. With neither an admin token nor a role check, writes are refused (and so are reads that
 * require the token).
 */
public final class AdminAccess {

    /** The outcome of a check. */
    public enum Verdict {
        /** Let it through. */
        ALLOWED,
        /** No bearer token was presented (and no authenticated principal): 401. */
        MISSING,
        /** A token was presented and it is wrong: 403. */
        WRONG,
        /** An authenticated principal without the admin role, and no valid admin token: 403. */
        LACKS_ROLE,
        /** No admin token is configured and no role check applies, so the operation is disabled: 403. */
        DISABLED
    }

    private final byte[] token;
    private final boolean readsRequireToken;
    private final AdminRoleCheck roleCheck;

    /** Token-only access: the rule of an application without its own authentication. */
    public AdminAccess(Optional<String> adminToken, boolean readsRequireToken) {
        this(adminToken, readsRequireToken, Optional.empty());
    }

    /**
     * @param roleCheck the application's authorization of its own principals, if it has one; a principal it grants
     *                  is let through without the admin token
     */
    public AdminAccess(Optional<String> adminToken, boolean readsRequireToken, Optional<AdminRoleCheck> roleCheck) {
        this.token = adminToken.filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.readsRequireToken = readsRequireToken;
        this.roleCheck = roleCheck.orElse(null);
    }

    /** Whether write operations can be authorized at all: an admin token is configured, or a role check applies. */
    public boolean writesEnabled() {
        return token != null || roleCheck != null;
    }

    /** Checks a read, given the request's {@code Authorization} header (or null). */
    public Verdict read(String authorization) {
        return readsRequireToken ? write(authorization) : Verdict.ALLOWED;
    }

    /**
     * Checks a write, given the request's {@code Authorization} header (or null). The admin token lets it through;
     * otherwise the role check decides for an authenticated principal (whose own credentials may be a bearer token
     * too, such as a JWT).
     */
    public Verdict write(String authorization) {
        byte[] presented = bearer(authorization);
        if (token != null && presented != null && MessageDigest.isEqual(token, presented)) {
            return Verdict.ALLOWED;
        }
        AdminRoleCheck.Result principal = roleCheck == null ? AdminRoleCheck.Result.UNAUTHENTICATED
                : roleCheck.current();
        if (principal == AdminRoleCheck.Result.GRANTED) {
            return Verdict.ALLOWED;
        }
        if (principal == AdminRoleCheck.Result.DENIED) {
            return Verdict.LACKS_ROLE;
        }
        if (token == null) {
            return roleCheck == null ? Verdict.DISABLED : Verdict.MISSING;
        }
        return presented == null ? Verdict.MISSING : Verdict.WRONG;
    }

    /** The token of an {@code Authorization: Bearer} header, or null. */
    private static byte[] bearer(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return null;
        }
        String value = authorization.strip();
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return value.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    }
}
