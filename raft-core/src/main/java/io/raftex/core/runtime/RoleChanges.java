package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.RoleChangeEvent;
import io.raftex.core.protocol.Effect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Optional;

/**
 * Receives the core's {@link Effect.RoleChanged}: remembers the role and leader last reported, counts elections and
 * leader changes, logs a change of role or leader once, tells the listeners through {@link GroupEvents}, and tells
 * its host when this member stops leading and when a leader is found. Used on the group's loop only.
 */
final class RoleChanges {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    /** What a role change sets off in the rest of the group. */
    interface Host {
        /** This member is not the leader (any more): only a leader sends snapshots. */
        void notLeader();

        /** A leader became known: requests turned down for want of one go now. */
        void leaderFound();
    }

    private final String group;
    private final MemberId self;
    private final RuntimeCounters counters;
    private final GroupEvents events;
    private final Host host;
    private Role lastRole = Role.FOLLOWER;
    private Optional<MemberId> lastLeader = Optional.empty();

    RoleChanges(String group, MemberId self, RuntimeCounters counters, GroupEvents events, Host host) {
        this.group = group;
        this.self = self;
        this.counters = counters;
        this.events = events;
        this.host = host;
    }

    /** The role and leader the member starts with; a change is reported against them. */
    void startAs(Role role, Optional<MemberId> leader) {
        lastRole = role;
        lastLeader = leader;
    }

    /** The core reports a role, term and leader; what changed since the last report is announced. */
    void changed(Effect.RoleChanged rc) {
        Role oldRole = lastRole;
        Optional<MemberId> oldLeader = lastLeader;
        lastRole = rc.role();
        lastLeader = rc.leader();
        counters.roleChanged(rc.role(), rc.term(), rc.leader());
        if (rc.role() != Role.LEADER) {
            host.notLeader(); // a new leadership starts its own transfers
        }
        RoleChangeEvent event = new RoleChangeEvent(group, self.value(), oldRole, rc.role(), rc.term(), oldLeader,
                rc.leader());
        if (event.roleChanged()) {
            switch (rc.role()) {
                case PRE_CANDIDATE -> LOG.info("[{}@{}] election timeout in term {}: pre-vote for term {}", group,
                        self, rc.term(), rc.term() + 1);
                case CANDIDATE -> {
                    counters.electionStarted();
                    LOG.info("[{}@{}] standing for election in term {}", group, self, rc.term());
                }
                case LEADER -> LOG.info("[{}@{}] elected leader in term {}", group, self, rc.term());
                case FOLLOWER -> LOG.info("[{}@{}] follower in term {}, leader {}", group, self, rc.term(),
                        rc.leader().map(MemberId::value).orElse("unknown"));
            }
        } else if (event.leaderChanged()) {
            LOG.info("[{}@{}] {} in term {}, leader {}", group, self, rc.role().name().toLowerCase(Locale.ROOT),
                    rc.term(), rc.leader().map(MemberId::value).orElse("unknown"));
        }
        if (event.leaderChanged() && rc.leader().isPresent()) {
            counters.leaderChanged();
        }
        events.roleChanged(event);
        if (event.leaderChanged() && rc.leader().isPresent()) {
            host.leaderFound();
        }
    }
}
