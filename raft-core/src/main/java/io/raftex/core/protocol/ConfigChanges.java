package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.Membership;
import io.raftex.core.message.ChangeRejection;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The leader's rules for a membership change (Raft thesis §4.1, one member at a time; etcd-raft's {@code confchange}
 * does the same job): whether a change may be made now, and the configuration it makes. Pure: it reads the
 * configurations the log holds and the leader's state, and changes nothing; the leader appends what it decides.
 *
 * <p>In order: a change that conflicts with the configuration (another address for a member's id, an unknown member
 * to remove) is refused; one the configuration in force already holds is done where it is; one that leaves no voter
 * is refused; and only then does the moment count: not while leadership is being handed over, not before the leader
 * has committed an entry of its term, and not while another configuration entry is uncommitted.
 */
final class ConfigChanges {

    /** What a change comes to. */
    sealed interface Decision {
    }

    /** The change cannot be made (now): the leader answers with {@code reason}. */
    record Rejected(ChangeRejection reason) implements Decision {
    }

    /** The configuration in force holds the change already: it is done once the entry that carries it commits. */
    record Held() implements Decision {
    }

    /** The change makes the configuration {@code next}, which the leader appends as a configuration entry. */
    record Append(ClusterConfig next) implements Decision {
    }

    private ConfigChanges() {
    }

    /**
     * Decides {@code change} on a leader.
     *
     * @param configs          the configurations the leader's log holds (the newest is in force)
     * @param commitIndex      the leader's commit index
     * @param committedOwnTerm whether the leader has committed an entry of its term
     * @param transferring     whether a leadership transfer runs
     * @param selfIncarnation  the leader's own incarnation ({@link Member#UNBOUND}: members carry none)
     */
    static Decision decide(ConfigChange change, ConfigHistory configs, long commitIndex, boolean committedOwnTerm,
                           boolean transferring, long selfIncarnation) {
        ClusterConfig config = configs.latest();
        Optional<Member> existing = config.member(change.id());
        List<Member> members = new ArrayList<>(config.members());
        if (change instanceof ConfigChange.Add add) {
            Member wanted = add.member();
            if (!wanted.bound() && existing.isPresent()) {
                wanted = wanted.withIncarnation(existing.get().incarnation()); // a change of membership keeps it
            } else if (!wanted.bound() && selfIncarnation != Member.UNBOUND) {
                wanted = wanted.withIncarnation(Member.ADDED); // bound, keeping its membership, once it answers
            }
            if (existing.isPresent() && !existing.get().address().equals(wanted.address())) {
                return new Rejected(ChangeRejection.CONFLICT);
            }
            if (existing.isPresent() && (existing.get().equals(wanted) || (wanted.membership() == Membership.PROMOTABLE
                    && existing.get().membership() == Membership.VOTER))) {
                return new Held(); // asked again, or promoted already
            }
            if (existing.isPresent()) {
                Member replacement = wanted;
                members.replaceAll(m -> m.id().equals(replacement.id()) ? replacement : m);
            } else {
                members.add(wanted);
            }
        } else {
            if (existing.isEmpty() && configs.latestIndex() > commitIndex
                    && configs.at(configs.latestIndex() - 1).member(change.id()).isPresent()) {
                return new Held(); // the uncommitted entry in the log removes it: asked again
            }
            if (existing.isEmpty()) {
                return new Rejected(ChangeRejection.UNKNOWN_MEMBER);
            }
            members.remove(existing.get());
        }
        if (members.stream().noneMatch(m -> m.membership().isVoter())) {
            return new Rejected(ChangeRejection.CONFLICT); // removing or demoting the last voter
        }
        if (transferring) {
            return new Rejected(ChangeRejection.LEADERSHIP_TRANSFER);
        }
        if (!committedOwnTerm) {
            // the configuration entries this leader holds may not all be committed: no change until one of its term is
            return new Rejected(ChangeRejection.NOT_READY);
        }
        if (configs.latestIndex() > commitIndex) {
            // one change at a time; but a binding of an incarnation is the leader's own doing and commits within a
            // round trip: retry shortly
            return new Rejected(pendingIsBinding(configs) ? ChangeRejection.NOT_READY : ChangeRejection.IN_PROGRESS);
        }
        return new Append(new ClusterConfig(members));
    }

    /** Whether the newest configuration only binds incarnations in the one before it ({@link Incarnations}). */
    private static boolean pendingIsBinding(ConfigHistory configs) {
        return Incarnations.bindingOnly(configs.at(configs.latestIndex() - 1), configs.latest());
    }
}
