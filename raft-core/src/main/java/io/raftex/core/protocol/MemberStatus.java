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
 */
public record MemberStatus(String group, MemberId self, Role role, long term, Optional<MemberId> leader,
                           long commitIndex, long lastIndex, long durableIndex, List<PeerStatus> peers) {

    /**
     * Replication state of one peer as the leader sees it (zeros on other members).
     *
     * @param id         the peer
     * @param address    its address
     * @param membership whether it votes
     * @param matchIndex highest index known to match and be durable there
     * @param nextIndex  next index to send
     */
    public record PeerStatus(MemberId id, String address, Membership membership, long matchIndex, long nextIndex) {
    }
}
