package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;

import java.util.Objects;

/** One membership change: a single member added, changed or removed (Raft thesis §4.1). */
public sealed interface ConfigChange {

    /** The member the change is about. */
    MemberId id();

    /**
     * Whether {@code config} already holds this change: the member is there as asked (a promotable one that is a
     * voter already counts), or, for a removal, absent.
     */
    default boolean heldBy(ClusterConfig config) {
        if (this instanceof Add add) {
            return config.member(id()).map(m -> m.equals(add.member()) || (add.member().membership()
                    == Membership.PROMOTABLE && m.address().equals(add.member().address())
                    && m.membership() == Membership.VOTER)).orElse(false);
        }
        return config.member(id()).isEmpty();
    }

    /**
     * Adds {@code member}, or changes the membership of a member with its id and address. A
     * {@link io.raftex.core.Membership#PROMOTABLE} member is made a voter by the leader once it has caught up.
     */
    record Add(Member member) implements ConfigChange {
        public Add {
            Objects.requireNonNull(member, "member");
        }

        @Override
        public MemberId id() {
            return member.id();
        }
    }

    /** Removes the member with this id. */
    record Remove(MemberId id) implements ConfigChange {
        public Remove {
            Objects.requireNonNull(id, "id");
        }
    }
}
