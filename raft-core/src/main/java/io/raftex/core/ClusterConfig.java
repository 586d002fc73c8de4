package io.raftex.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The membership of one group: who replicates and who votes.
 *
 * @param members the members, in a stable order, ids unique
 */
public record ClusterConfig(List<Member> members) {

    public ClusterConfig {
        Objects.requireNonNull(members, "members");
        Map<MemberId, Member> byId = new LinkedHashMap<>();
        for (Member m : members) {
            if (byId.put(m.id(), m) != null) {
                throw new IllegalArgumentException("duplicate member id " + m.id());
            }
        }
        if (byId.values().stream().noneMatch(m -> m.membership().isVoter())) {
            throw new IllegalArgumentException("a group needs at least one voter");
        }
        members = List.copyOf(members);
    }

    /** A configuration of voters only. */
    public static ClusterConfig ofVoters(List<Member> voters) {
        return new ClusterConfig(voters);
    }

    /** The ids of the voting members. */
    public Set<MemberId> voters() {
        Set<MemberId> ids = new TreeSet<>();
        for (Member m : members) {
            if (m.membership().isVoter()) {
                ids.add(m.id());
            }
        }
        return Collections.unmodifiableSet(ids);
    }

    /** The ids of every member, voters or not. */
    public List<MemberId> ids() {
        List<MemberId> ids = new ArrayList<>(members.size());
        for (Member m : members) {
            ids.add(m.id());
        }
        return ids;
    }

    /** The member with this id, if it belongs to the group. */
    public Optional<Member> member(MemberId id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** Whether the member votes. */
    public boolean isVoter(MemberId id) {
        return member(id).map(m -> m.membership().isVoter()).orElse(false);
    }

    /** The number of votes that forms a majority of the voters. */
    public int quorum() {
        return voters().size() / 2 + 1;
    }
}
