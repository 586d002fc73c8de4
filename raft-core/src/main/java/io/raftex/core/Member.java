package io.raftex.core;

import java.util.Objects;

/**
 * One member of a group's configuration.
 *
 * @param id          the member's id
 * @param address     where its node can be reached by the transport (for HTTP, a base URL); opaque to the core
 * @param membership  whether it votes
 * @param incarnation the incarnation of the member's data directory this configuration binds (see
 *                    {@code docs/membership.md}, "Incarnations"), or {@link #UNBOUND} while none is known. Only the
 *                    votes and acknowledgements of the bound incarnation count toward a quorum.
 */
public record Member(MemberId id, String address, Membership membership, long incarnation) {

    /** The incarnation of a member whose data directory is not known yet (also: a node without an identity). */
    public static final long UNBOUND = 0;
    /**
     * The incarnation of a member added by a membership change and not heard from since: like {@link #UNBOUND} it
     * counts for nothing, and since it never counted, the leader binds it keeping its membership (see
     * {@code docs/membership.md}, "Incarnations"). No data directory has it.
     */
    public static final long ADDED = -1;

    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(membership, "membership");
    }

    /** A member whose incarnation is not known yet. */
    public Member(MemberId id, String address, Membership membership) {
        this(id, address, membership, UNBOUND);
    }

    /** A voting member. */
    public static Member voter(String id, String address) {
        return new Member(MemberId.of(id), address, Membership.VOTER);
    }

    /** This member with another membership, the same incarnation. */
    public Member withMembership(Membership newMembership) {
        return new Member(id, address, newMembership, incarnation);
    }

    /** This member bound to {@code newIncarnation}. */
    public Member withIncarnation(long newIncarnation) {
        return new Member(id, address, membership, newIncarnation);
    }

    /** Whether an incarnation is bound (neither {@link #UNBOUND} nor {@link #ADDED}). */
    public boolean bound() {
        return incarnation != UNBOUND && incarnation != ADDED;
    }
}
