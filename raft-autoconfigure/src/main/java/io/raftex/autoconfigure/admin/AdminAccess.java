package io.raftex.autoconfigure.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The admin API's security rule: write operations need {@code Authorization: Bearer <raft.security.admin-token>};
 * reads are open unless {@code raft.security.admin-reads-require-token} is set. With no admin token configured,
 * writes are refused (and so are reads that require the token).
 */
public final class AdminAccess {

    /** The outcome of a check. */
    public enum Verdict {
        /** Let it through. */
        ALLOWED,
        /** No bearer token was presented: 401. */
        MISSING,
        /** A token was presented and it is wrong: 403. */
        WRONG,
        /** No admin token is configured, so the operation is disabled: 403. */
        DISABLED
    }

    private final byte[] token;
    private final boolean readsRequireToken;

    public AdminAccess(Optional<String> adminToken, boolean readsRequireToken) {
        this.token = adminToken.filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.readsRequireToken = readsRequireToken;
    }

    /** Whether an admin token is configured. */
    public boolean writesEnabled() {
        return token != null;
    }

    /** Checks a read, given the request's {@code Authorization} header (or null). */
    public Verdict read(String authorization) {
        return readsRequireToken ? write(authorization) : Verdict.ALLOWED;
    }

    /** Checks a write, given the request's {@code Authorization} header (or null). */
    public Verdict write(String authorization) {
        if (token == null) {
            return Verdict.DISABLED;
        }
        if (authorization == null || authorization.isBlank()) {
            return Verdict.MISSING;
        }
        String value = authorization.strip();
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Verdict.MISSING;
        }
        byte[] presented = value.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(token, presented) ? Verdict.ALLOWED : Verdict.WRONG;
    }
}
