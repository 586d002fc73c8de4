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
    private long lastConfigIndex = -1;
    private final Map<MemberId, Long> bindings = new HashMap<>();

    IncarnationWatch(String group, MemberId self) {
        this.group = group;
        this.self = self;
    }

    void check(RaftMember member) {
        boolean bound = member.incarnationBound();
        ClusterConfig config = member.config();
        if (lastBound == null || bound != lastBound) {
            long selfBinding = config.member(self).map(Member::incarnation).orElse(Member.UNBOUND);
            if (!bound && config.member(self).isPresent()) {
                LOG.warn("[{}@{}] this member's incarnation {} is not the one the configuration binds ({}): {}; it"
                                + " does not vote, campaign or count toward any quorum until the leader binds it",
                        group, self, Long.toHexString(member.incarnation()), Long.toHexString(selfBinding),
                        selfBinding == Member.UNBOUND
                                ? "a new group forms once every member named in the configuration answers, a group"
                                + " that exists already binds it when its leader hears from it"
                                : "its data directory was lost or replaced since; it rejoins as a promotable member,"
                                + " is caught up and promoted");
            } else if (bound && lastBound != null) {
                LOG.info("[{}@{}] the configuration binds this member's incarnation {}: its votes and"
                        + " acknowledgements count", group, self, Long.toHexString(member.incarnation()));
            }
            lastBound = bound;
        }
        if (member.configIndex() != lastConfigIndex) {
            lastConfigIndex = member.configIndex();
            for (Member m : config.members()) {
                Long before = bindings.put(m.id(), m.incarnation());
                if (before != null && before != Member.UNBOUND && before != m.incarnation() && m.bound()) {
                    LOG.warn("[{}@{}] member {} came back with a new incarnation {} (was {}): it lost its data"
                                    + " directory; the configuration at index {} binds it as {}", group, self, m.id(),
                            Long.toHexString(m.incarnation()), Long.toHexString(before), lastConfigIndex,
                            m.membership().name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
    }
}
