package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.protocol.RaftMember;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Says in the log what happens to incarnations (see {@code docs/membership.md}, "Incarnations"): when this member's
 * votes and acknowledgements stop or start counting, and when a configuration binds a member to a new incarnation
 * (it lost its data directory and rejoins as promotable); and when a peer reports that a committed configuration
 * leaves this member out ({@link RaftMember#removal()}). Runs on the group's thread after each step.
 */
final class IncarnationWatch {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    private final String group;
    private final MemberId self;
    private Boolean lastBound;
    private long lastSelfBinding;
    private long lastConfigIndex = -1;
    private final Map<MemberId, Long> bindings = new HashMap<>();
    private long lastRemovalLogged;

    IncarnationWatch(String group, MemberId self) {
        this.group = group;
        this.self = self;
    }

    void check(RaftMember member) {
        boolean bound = member.incarnationBound();
        ClusterConfig config = member.config();
        long selfBinding = config.member(self).map(Member::incarnation).orElse(Member.UNBOUND);
        if (lastBound == null || bound != lastBound || (!bound && selfBinding != lastSelfBinding)) {
            String own = Long.toHexString(member.incarnation());
            if (bound) {
                if (lastBound != null) {
                    LOG.info("[{}@{}] the configuration binds this member's incarnation {}: its votes and"
                            + " acknowledgements count", group, self, own);
                }
            } else if (config.member(self).isEmpty()) {
                // not a member yet: the start-up line says so
            } else if (selfBinding == Member.UNBOUND) {
                LOG.info("[{}@{}] incarnation {} is not bound yet: if the group is new it forms once every member"
                        + " named in its configuration has answered (an empty member cannot tell a new group from"
                        + " one whose data it lost, so it never counts on a guess); a group that exists binds it"
                        + " when its leader hears from it", group, self, own);
            } else {
                LOG.warn("[{}@{}] the configuration binds incarnation {} for this member, not its own {}: its data"
                        + " directory was lost or replaced; it does not vote, campaign or count toward any quorum"
                        + " until the leader binds the new incarnation (as promotable), catches it up and promotes"
                        + " it", group, self, Long.toHexString(selfBinding), own);
            }
            lastBound = bound;
            lastSelfBinding = selfBinding;
        }
        Optional<RaftMember.Removal> removal = member.removal();
        long removedAt = removal.isPresent() ? removal.get().configIndex() : 0;
        if (removedAt != lastRemovalLogged) {
            if (removedAt > 0) {
                LOG.warn("[{}@{}] member {} reports that the group's committed configuration at index {} leaves this"
                        + " node out: it was removed while cut off from the leader; it serves nothing of this group"
                        + " and its health is DOWN; stop it, or add it again", group, self,
                        removal.get().reportedBy(), removedAt);
            } else {
                LOG.info("[{}@{}] the report of this node's removal no longer holds: a leader replicates to it, or its"
                        + " own log holds that configuration now", group, self);
            }
            lastRemovalLogged = removedAt;
        }
        if (member.configIndex() != lastConfigIndex) {
            lastConfigIndex = member.configIndex();
            for (Member m : config.members()) {
                Long before = bindings.put(m.id(), m.incarnation());
                if (before != null && before != Member.UNBOUND && before != Member.ADDED && before != m.incarnation()
                        && m.bound()) {
                    LOG.warn("[{}@{}] member {} came back with a new incarnation {} (was {}): it lost its data"
                                    + " directory; the configuration at index {} binds it as {}", group, self, m.id(),
                            Long.toHexString(m.incarnation()), Long.toHexString(before), lastConfigIndex,
                            m.membership().name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
    }
}
