package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The incarnation rules of one member (see {@code docs/membership.md}, "Incarnations"): whose votes and
 * acknowledgements count, and which bindings a leader still has to append.
 *
 * <p>Every data directory has a random incarnation, made when the directory is created. A configuration binds each
 * member to one incarnation once the leader has learned it. A vote or an acknowledgement counts only if it comes
 * from the bound incarnation: a member that lost its disk answers with a new incarnation and is worth nothing to any
 * quorum until the leader commits a configuration that binds the new one (as promotable: it holds nothing yet).
 *
 * <p>The one exception is the forming of a brand-new group: while a candidate's log is empty and its configuration
 * (the bootstrap one) binds nobody, the votes of unbound voters count, but only if every voter grants. A unanimous
 * grant from empty members proves that nobody holds anything; a majority would not, since the member that
 * is missing may hold what an emptied member had acknowledged.
 *
 * <p>Incarnation 0 ({@link Member#UNBOUND}) is a member without an identity: it matches an unbound configuration
 * entry as before incarnations existed (in-memory tests of the protocol).
 */
final class Incarnations {

    private long self = Member.UNBOUND;
    /** Candidate: the incarnations of the voters that granted, whatever their binding (for the bootstrap rule). */
    private final Map<MemberId, Long> grantedAnyBinding = new HashMap<>();
    /** Leader: incarnations learned from members whose binding differs, to bind (one configuration entry each). */
    private final Map<MemberId, Long> toBind = new LinkedHashMap<>();
    /** Leader: incarnations this leader unbound in its term; a late answer of one never binds it again. */
    private final Map<MemberId, Set<Long>> retired = new HashMap<>();

    long self() {
        return self;
    }

    void setSelf(long incarnation) {
        this.self = incarnation;
    }

    /** Whether an answer of {@code incarnation} from {@code id} counts in {@code config}. */
    static boolean counts(ClusterConfig config, MemberId id, long incarnation) {
        return config.member(id).map(m -> m.incarnation() == incarnation).orElse(false);
    }

    /** Whether this member's own votes and acknowledgements count in {@code config}. */
    boolean selfCounts(ClusterConfig config, MemberId selfId) {
        return counts(config, selfId, self);
    }

    /**
     * Whether a group is being formed: the configuration in force is the bootstrap one (index 0), binds nobody, and
     * the log is empty.
     */
    static boolean forming(ClusterConfig config, long configIndex, long lastIndex, long snapshotIndex) {
        return configIndex == 0 && lastIndex == 0 && snapshotIndex == 0
                && config.members().stream().noneMatch(Member::bound);
    }

    // ------------------------------------------------------------------ candidate

    void startElection() {
        grantedAnyBinding.clear();
    }

    /** Notes a grant whatever the binding; the bootstrap rule needs every voter's. */
    void grantedByAny(MemberId voter, long incarnation) {
        grantedAnyBinding.put(voter, incarnation);
    }

    /** Whether every voter of {@code config} granted (the bootstrap rule). */
    boolean unanimous(ClusterConfig config) {
        return grantedAnyBinding.keySet().containsAll(config.voters());
    }

    /**
     * The configuration binding every member whose grant is known to the incarnation it granted with, or empty if
     * that binds nothing new (every incarnation is 0, as in tests of the protocol alone).
     */
    Optional<ClusterConfig> bootstrapBinding(ClusterConfig config) {
        boolean changed = false;
        List<Member> members = new ArrayList<>(config.members().size());
        for (Member m : config.members()) {
            Long inc = grantedAnyBinding.get(m.id());
            if (inc != null && inc != m.incarnation()) {
                members.add(m.withIncarnation(inc));
                changed = true;
            } else {
                members.add(m);
            }
        }
        return changed ? Optional.of(new ClusterConfig(members)) : Optional.empty();
    }

    // ------------------------------------------------------------------ leader

    /** A new term of leadership: nothing learned or retired carries over. */
    void becomeLeader() {
        toBind.clear();
        retired.clear();
    }

    /**
     * A leader heard {@code incarnation} from {@code id}, which the configuration in force does not bind: remembers
     * it for binding unless it is 0 (no identity) or one this leader unbound itself (a late answer of the old one).
     */
    void heardUnbound(MemberId id, long incarnation) {
        if (incarnation != Member.UNBOUND && !retired.getOrDefault(id, Set.of()).contains(incarnation)) {
            toBind.put(id, incarnation);
        }
    }

    /**
     * The next configuration that binds a member the leader has heard from, or empty if none is waiting. A voter
     * becomes {@link Membership#PROMOTABLE}, since what it held may have counted and is gone (another incarnation
     * was bound, or none was known), so it is caught up and promoted like a new member; a member
     * {@link Member#ADDED} by a change never counted and keeps its membership. With {@code onlyAdded}, only such
     * a member is bound: binding it changes no voter and only lets a member count that counted for nothing, so every
     * quorum of the new configuration meets every quorum of the one before, and it may follow an uncommitted change
     * (the one that added it) at once.
     */
    Optional<ClusterConfig> nextBinding(ClusterConfig config, boolean onlyAdded) {
        var it = toBind.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            Optional<Member> current = config.member(e.getKey());
            if (current.isEmpty() || current.get().incarnation() == e.getValue()) {
                it.remove();
                continue; // removed meanwhile, or bound already
            }
            Member old = current.get();
            if (onlyAdded && old.incarnation() != Member.ADDED) {
                continue; // a rebinding is a change of its own: it waits for the pending one to commit
            }
            it.remove();
            Member rebound = old.withIncarnation(e.getValue());
            if (old.bound()) {
                retired.computeIfAbsent(old.id(), k -> new HashSet<>()).add(old.incarnation());
            }
            if (old.membership() == Membership.VOTER && old.incarnation() != Member.ADDED) {
                // what it holds was never counted (unbound) or is gone (another incarnation): caught up and promoted
                // like a new member, so that it never counts before it holds the log
                rebound = rebound.withMembership(Membership.PROMOTABLE);
            }
            List<Member> members = new ArrayList<>(config.members());
            final Member r = rebound;
            members.replaceAll(m -> m.id().equals(r.id()) ? r : m);
            if (members.stream().noneMatch(m -> m.membership().isVoter())) {
                continue; // the last voter lost its disk: nothing to count on; an operator must step in
            }
            return Optional.of(new ClusterConfig(members));
        }
        return Optional.empty();
    }

    /**
     * Whether {@code after} only binds incarnations in {@code before}: the same members at the same addresses, some
     * bound to another incarnation (and a voter among those made promotable).
     */
    static boolean bindingOnly(ClusterConfig before, ClusterConfig after) {
        if (before.members().size() != after.members().size() || before.equals(after)) {
            return false;
        }
        for (Member a : after.members()) {
            Optional<Member> b = before.member(a.id());
            if (b.isEmpty() || !b.get().address().equals(a.address())) {
                return false;
            }
            boolean rebound = b.get().incarnation() != a.incarnation();
            boolean sameMembership = b.get().membership() == a.membership()
                    || (rebound && b.get().membership() == Membership.VOTER && a.membership() == Membership.PROMOTABLE);
            if (!sameMembership) {
                return false;
            }
        }
        return true;
    }

    /** Whether a binding is waiting to be appended. */
    boolean bindingPending() {
        return !toBind.isEmpty();
    }
}
