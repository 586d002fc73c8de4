package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.admin.RaftStatusJson;
import io.raftex.core.GroupMetrics;
import io.raftex.core.GroupStatus;
import io.raftex.core.Membership;
import io.raftex.core.RaftGroup;
import io.raftex.core.Role;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** A follower that catches up: shown in the health details and the status JSON; DOWN only when health requires it. */
class RaftGroupHealthIndicatorTest {

    private static final List<GroupStatus.MemberInfo> MEMBERS = List.of(
            new GroupStatus.MemberInfo("n1", "http://n1", Membership.VOTER, 0, 0),
            new GroupStatus.MemberInfo("n2", "http://n2", Membership.VOTER, 0, 0));

    private final RaftNodeLifecycle lifecycle = mock(RaftNodeLifecycle.class);
    @SuppressWarnings("unchecked")
    private final RaftGroup<Object, Object> group = mock(RaftGroup.class);

    private static GroupStatus follower(long commitIndex, long lastApplied,
                                        Optional<GroupStatus.SnapshotInstall> install) {
        return new GroupStatus("kv", "n2", Role.FOLLOWER, 3, Optional.of("n1"), commitIndex, lastApplied, commitIndex,
                0, true, MEMBERS, 0, true, install);
    }

    private Health health(GroupStatus status, boolean requireCaughtUp) {
        doReturn(group).when(lifecycle).group("kv");
        when(group.status()).thenReturn(status);
        when(group.metrics()).thenReturn(new GroupMetrics("kv", "n2", true, Role.FOLLOWER, 3, Optional.of("n1"), 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        return new RaftGroupHealthIndicator("kv", lifecycle, requireCaughtUp).health();
    }

    @Test
    void aMemberReceivingASnapshotIsCatchingUp() {
        GroupStatus receiving = follower(10, 0, Optional.of(new GroupStatus.SnapshotInstall(5000, 1024, 4096)));
        assertThat(RaftStatusJson.of(receiving)).containsEntry("catchingUp", true)
                .containsEntry("snapshotInstall", Map.of("index", 5000L, "bytesReceived", 1024L, "totalBytes", 4096L));

        Health lenient = health(receiving, false);
        assertThat(lenient.getStatus()).isEqualTo(Status.UP);
        assertThat(lenient.getDetails()).containsEntry("catchingUp", true)
                .containsEntry("snapshotInstall", Map.of("index", 5000L, "bytesReceived", 1024L, "totalBytes", 4096L));

        Health strict = health(receiving, true);
        assertThat(strict.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) strict.getDetails().get("reason")).contains("catching up");
    }

    @Test
    void aLongBacklogIsCatchingUpAShortOneIsNot() {
        GroupStatus backlog = follower(1_000, 1_000 - RaftStatusJson.CAUGHT_UP_LAG - 1, Optional.empty());
        assertThat(health(backlog, true).getStatus()).isEqualTo(Status.DOWN);
        assertThat(RaftStatusJson.of(backlog)).containsEntry("catchingUp", true).containsEntry("snapshotInstall", null);

        GroupStatus current = follower(1_000, 1_000 - RaftStatusJson.CAUGHT_UP_LAG, Optional.empty());
        Health up = health(current, true);
        assertThat(up.getStatus()).isEqualTo(Status.UP);
        assertThat(up.getDetails()).containsEntry("catchingUp", false).doesNotContainKey("snapshotInstall");
    }

    @Test
    void aMemberAPeerReportsRemovedIsDownAndSaysItIsNotAMember() {
        GroupStatus removed = new GroupStatus("kv", "n2", Role.PRE_CANDIDATE, 3, Optional.empty(), 10, 10, 10, 0,
                true, MEMBERS, 0, true, Optional.empty(), Optional.of(new GroupStatus.Removal(12, "n1")));
        assertThat(removed.isMember()).isFalse();
        assertThat(RaftStatusJson.of(removed)).containsEntry("removal", Map.of("configIndex", 12L, "reportedBy", "n1"));
        Health h = health(removed, false);
        assertThat(h.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) h.getDetails().get("reason")).contains("not a member").contains("n1").contains("12");

        GroupStatus unheard = new GroupStatus("kv", "n2", Role.PRE_CANDIDATE, 3, Optional.empty(), 10, 10, 10, 0,
                true, MEMBERS, 0, true);
        assertThat(unheard.isMember()).isTrue();
        assertThat(RaftStatusJson.of(unheard)).containsEntry("removal", null);
        assertThat((String) health(unheard, false).getDetails().get("reason")).contains("no leader known");
    }
}
