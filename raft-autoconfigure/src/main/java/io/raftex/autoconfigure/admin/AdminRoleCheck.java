package io.raftex.autoconfigure.admin;

/**
 * Whether the principal the application authenticated for the current request may use the admin API's protected
 * operations. {@link AdminAccess} asks it on the request's thread, next to the admin bearer token; with Spring
 * Security on the class path it is backed by the security context and a role
 * ({@code raft.security.spring-security.admin-role}).
 */
@FunctionalInterface
public interface AdminRoleCheck {

    /** What the application knows about the current request's principal. */
    enum Result {
        /** Authenticated, and holds the admin role. */
        GRANTED,
        /** Authenticated, without the admin role. */
        DENIED,
        /** No authenticated principal (none, or an anonymous one). */
        UNAUTHENTICATED
    }

    /** Checks the principal of the request being handled on this thread. */
    Result current();
}
