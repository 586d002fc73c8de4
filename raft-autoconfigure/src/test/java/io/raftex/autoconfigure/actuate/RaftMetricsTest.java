package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftex.core.CommandFailedException;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Membership;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.Role;
import io.raftex.core.SessionExpiredException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** The follower lag rows a leader's status gives, and how a failure maps to an {@code outcome} tag. */
class RaftMetricsTest {

    private static final List<GroupStatus.MemberInfo> MEMBERS = List.of(
            new GroupStatus.MemberInfo("n1", "http://n1", Membership.VOTER, 100, 101),
            new GroupStatus.MemberInfo("n2", "http://n2", Membership.VOTER, 40, 41),
            new GroupStatus.MemberInfo("n3", "http://n3", Membership.NON_VOTER, 100, 101));

    private static GroupStatus status(Role role, boolean running) {
        return new GroupStatus("kv", "n1", role, 2, Optional.of("n1"), 100, 100, 100, 0, running, MEMBERS);
    }

    @Test
    void aLeaderHasOneLagRowPerOtherMemberOthersNone() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MultiGauge lag = MultiGauge.builder("raft.follower.lag").register(registry);

        lag.register(RaftMetrics.lagRows(status(Role.LEADER, true)), true);
        assertThat(registry.find("raft.follower.lag").gauges()).hasSize(2);
        assertThat(registry.get("raft.follower.lag").tag("peer", "n2").gauge().value()).isEqualTo(60);
        assertThat(registry.get("raft.follower.lag").tag("peer", "n3").gauge().value()).isZero();

        lag.register(RaftMetrics.lagRows(status(Role.FOLLOWER, true)), true);
        assertThat(registry.find("raft.follower.lag").gauges()).as("no longer leader: rows gone").isEmpty();
        lag.register(RaftMetrics.lagRows(status(Role.LEADER, false)), true);
        assertThat(registry.find("raft.follower.lag").gauges()).as("stopped").isEmpty();
    }

    @Test
    void outcomesOfFailures() {
        assertThat(GroupMeterState.Outcome.of(new CommandTimeoutException("t")).tag()).isEqualTo("timeout");
        assertThat(GroupMeterState.Outcome.of(new QueryTimeoutException("t")).tag()).isEqualTo("timeout");
        assertThat(GroupMeterState.Outcome.of(new NoLeaderException("kv", "none")).tag()).isEqualTo("no-leader");
        assertThat(GroupMeterState.Outcome.of(new CommandFailedException("refused")).tag()).isEqualTo("rejected");
        assertThat(GroupMeterState.Outcome.of(new IllegalArgumentException("cannot encode")).tag())
                .isEqualTo("rejected");
        assertThat(GroupMeterState.Outcome.of(new CommandOutcomeUnknownException("stopped")).tag())
                .isEqualTo("failed");
        assertThat(GroupMeterState.Outcome.of(new GroupStoppedException("stopped", null)).tag()).isEqualTo("failed");
        assertThat(GroupMeterState.Outcome.of(new SessionExpiredException("expired")).tag()).isEqualTo("failed");
        assertThat(GroupMeterState.Outcome.of(new CompletionException(new NoLeaderException("kv", "none"))).tag())
                .as("unwrapped").isEqualTo("no-leader");
    }
}
