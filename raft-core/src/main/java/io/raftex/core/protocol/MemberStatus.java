package io.raftex.core.protocol;

import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.Role;

import java.util.List;
import java.util.Optional;

/**
 * A point-in-time view of one member's protocol state.
 *
 * @param group        group name
 * @param self         this member
 * @param role         its role
 * @param term         its current term
 * @param leader       the leader it knows of
 * @param commitIndex  highest index known committed
 * @param lastIndex    index of its last log entry
 * @param durableIndex highest index durable in its store
 * @param peers        on a leader, the replication state of every other member; otherwise their ids only
 * @param incarnation  the incarnation of this member's data directory (0: none)
 * @param incarnationBound whether the configuration in force binds that incarnation, so its votes and
 *                     acknowledgements count (false for a member that lost its disk until the leader binds it again)
 * @param removal      a peer's report that a committed configuration leaves this member out ({@link RaftMember#removal()})
 */
public record MemberStatus(String group, MemberId self, Role role, long term, Optional<MemberId> leader,
                           long commitIndex, long lastIndex, long durableIndex, List<PeerStatus> peers,
                           long incarnation, boolean incarnationBound, Optional<RaftMember.Removal> removal) {

    /** A status of a member no peer reports removed. */
    public MemberStatus(String group, MemberId self, Role role, long term, Optional<MemberId> leader,
                        long commitIndex, long lastIndex, long durableIndex, List<PeerStatus> peers,
                        long incarnation, boolean incarnationBound) {
        this(group, self, role, term, leader, commitIndex, lastIndex, durableIndex, peers, incarnation,
                incarnationBound, Optional.empty());
    }

    /** A status of a member without an incarnation. */
    public MemberStatus(String group, MemberId self, Role role, long term, Optional<MemberId> leader,
                        long commitIndex, long lastIndex, long durableIndex, List<PeerStatus> peers) {
        this(group, self, role, term, leader, commitIndex, lastIndex, durableIndex, peers, 0, true);
    }

    /**
     * Replication state of one peer as the leader sees it (zeros on other members).
     *
     * @param id         the peer
     * @param address    its address
     * @param membership whether it votes
     * @param matchIndex highest index known to match and be durable there
     * @param nextIndex  next index to send
     * @param incarnation the incarnation the configuration binds for the peer (0: none yet)
     */
    public record PeerStatus(MemberId id, String address, Membership membership, long matchIndex, long nextIndex,
                             long incarnation) {

        /** A peer without a bound incarnation. */
        public PeerStatus(MemberId id, String address, Membership membership, long matchIndex, long nextIndex) {
            this(id, address, membership, matchIndex, nextIndex, 0);
        }
    }
}
