package io.raftex.core;

import java.util.Objects;

/**
 * One member of a group's configuration.
 *
 * @param id         the member's id
 * @param address    where its node can be reached by the transport (for HTTP, a base URL); opaque to the core
 * @param membership whether it votes
 */
public record Member(MemberId id, String address, Membership membership) {

    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(membership, "membership");
    }

    /** A voting member. */
    public static Member voter(String id, String address) {
        return new Member(MemberId.of(id), address, Membership.VOTER);
    }
}
