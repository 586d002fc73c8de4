package io.raftex.core.runtime;

import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.RoleChangeEvent;
import io.raftex.core.protocol.Effect;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RoleChanges}: what changed since the last report is counted and told, a member that stops leading stops its
 * snapshot transfers first, and a leader found sweeps the waiting requests after the listeners heard of it.
 */
class RoleChangesTest {

    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");

    private final List<String> happened = new ArrayList<>();
    private final RuntimeCounters counters = new RuntimeCounters();
    private final List<GroupListener> listeners = new CopyOnWriteArrayList<>();
    private final RoleChanges roles = new RoleChanges("g", N1, counters, new GroupEvents("g", N1, listeners, counters),
            new RoleChanges.Host() {
                @Override
                public void notLeader() {
                    happened.add("not leader");
                }

                @Override
                public void leaderFound() {
                    happened.add("leader found");
                }
            });

    {
        listeners.add(new GroupListener() {
            @Override
            public void onRoleChange(RoleChangeEvent event) {
                happened.add("role " + event.oldRole() + "->" + event.newRole() + " t" + event.term());
            }

            @Override
            public void onLeaderChange(RoleChangeEvent event) {
                happened.add("leader " + event.oldLeader().map(MemberId::value).orElse("-") + "->"
                        + event.newLeader().map(MemberId::value).orElse("-"));
            }
        });
    }

    private GroupMetrics metrics() {
        return counters.metrics("g", "n1", true, null);
    }

    @Test
    void anElectionWonIsCountedAndToldRoleByRole() {
        roles.changed(new Effect.RoleChanged(Role.PRE_CANDIDATE, 1, Optional.empty()));
        roles.changed(new Effect.RoleChanged(Role.CANDIDATE, 2, Optional.empty()));
        roles.changed(new Effect.RoleChanged(Role.LEADER, 2, Optional.of(N1)));

        assertThat(happened).containsExactly(
                "not leader", "role FOLLOWER->PRE_CANDIDATE t1",
                "not leader", "role PRE_CANDIDATE->CANDIDATE t2",
                "role CANDIDATE->LEADER t2", "leader -->n1", "leader found");
        GroupMetrics m = metrics();
        assertThat(m.electionsStarted()).as("a candidacy, not a pre-vote").isEqualTo(1);
        assertThat(m.leaderChanges()).isEqualTo(1);
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(m.term()).isEqualTo(2);
        assertThat(m.leaderId()).contains("n1");
    }

    @Test
    void aFollowerThatLosesItsLeaderIsToldSoButNothingIsCountedOrSwept() {
        roles.startAs(Role.FOLLOWER, Optional.of(N2));
        roles.changed(new Effect.RoleChanged(Role.FOLLOWER, 4, Optional.empty()));

        assertThat(happened).containsExactly("not leader", "leader n2->-");
        assertThat(metrics().leaderChanges()).isZero();
    }

    @Test
    void aReportThatChangesNeitherRoleNorLeaderTellsNobody() {
        roles.startAs(Role.FOLLOWER, Optional.of(N2));
        roles.changed(new Effect.RoleChanged(Role.FOLLOWER, 5, Optional.of(N2)));

        assertThat(happened).containsExactly("not leader");
        assertThat(metrics().term()).as("the term is still recorded").isEqualTo(5);
        assertThat(metrics().leaderChanges()).isZero();
    }

    @Test
    void aLeaderThatStepsDownStopsSendingBeforeTheListenersHearAndANewLeaderIsSweptFor() {
        roles.startAs(Role.LEADER, Optional.of(N1));
        roles.changed(new Effect.RoleChanged(Role.FOLLOWER, 3, Optional.of(N2)));

        assertThat(happened).containsExactly("not leader", "role LEADER->FOLLOWER t3", "leader n1->n2",
                "leader found");
        assertThat(metrics().leaderChanges()).isEqualTo(1);
    }
}
