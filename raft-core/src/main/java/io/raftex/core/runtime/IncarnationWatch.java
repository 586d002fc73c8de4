package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.protocol.RaftMember;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Says in the log what happens to incarnations (see {@code docs/membership.md}, "Incarnations"): when this member's
 * votes and acknowledgements stop or start counting, and when a configuration binds a member to a new incarnation
 * (it lost its data directory and rejoins as promotable). Runs on the group's thread after each step.
 */
final class IncarnationWatch {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    private final String group;
    private final MemberId self;
    private Boolean lastBound;
    private long lastSelfBinding;
    private long lastConfigIndex = -1;
    private final Map<MemberId, Long> bindings = new HashMap<>();

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
