package io.raftex.core.runtime;

import io.raftex.core.GroupMetrics;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RuntimeCounters}: what the shell and the hosts report is what the metrics read. */
class RuntimeCountersTest {

    private final RuntimeCounters counters = new RuntimeCounters();

    private GroupMetrics metrics() {
        return counters.metrics("g", "n1", true, null);
    }

    @Test
    void aFreshGroupReadsAsAFollowerWithNothingCounted() {
        GroupMetrics m = metrics();
        assertThat(m.group()).isEqualTo("g");
        assertThat(m.nodeId()).isEqualTo("n1");
        assertThat(m.running()).isTrue();
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(m.leaderId()).isEmpty();
        assertThat(m.commandsSubmitted()).isZero();
        assertThat(m.snapshotBytesSent()).as("no transfers yet").isZero();
        assertThat(m.snapshotInstallTotalBytes()).isZero();
    }

    @Test
    void thePublishedStateAndTheRoleReportedAreRead() {
        counters.publish(Role.LEADER, 4, Optional.of(MemberId.of("n1")), 10, 9, 12);
        GroupMetrics m = metrics();
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(m.term()).isEqualTo(4);
        assertThat(m.leaderId()).contains("n1");
        assertThat(m.commitIndex()).isEqualTo(10);
        assertThat(m.lastApplied()).isEqualTo(9);
        assertThat(m.lastLogIndex()).isEqualTo(12);

        counters.roleChanged(Role.FOLLOWER, 5, Optional.of(MemberId.of("n2")));
        counters.applied(11);
        m = metrics();
        assertThat(m.role()).isEqualTo(Role.FOLLOWER);
        assertThat(m.term()).isEqualTo(5);
        assertThat(m.leaderId()).contains("n2");
        assertThat(m.lastApplied()).isEqualTo(11);
        assertThat(m.commitIndex()).as("unchanged").isEqualTo(10);
    }

    @Test
    void commandAndQueryCountersAddUpAndTheLatencyKeepsItsTotalAndMaximum() {
        counters.electionStarted();
        counters.leaderChanged();
        counters.leaderChanged();
        counters.commandSubmitted();
        counters.commandSubmitted();
        counters.commandSubmitted();
        counters.commandCompleted(300);
        counters.commandCompleted(100);
        counters.commandFailed();
        counters.commandRetried();
        counters.duplicateApplied();
        counters.queryCompleted();
        counters.queryFailed();
        counters.queryFailed();
        GroupMetrics m = metrics();
        assertThat(m.electionsStarted()).isEqualTo(1);
        assertThat(m.leaderChanges()).isEqualTo(2);
        assertThat(m.commandsSubmitted()).isEqualTo(3);
        assertThat(m.commandsCompleted()).isEqualTo(2);
        assertThat(m.commandsFailed()).isEqualTo(1);
        assertThat(m.commandRetries()).isEqualTo(1);
        assertThat(m.duplicatesApplied()).isEqualTo(1);
        assertThat(m.commandLatencyNanosTotal()).isEqualTo(400);
        assertThat(m.commandLatencyNanosMax()).isEqualTo(300);
        assertThat(m.queriesCompleted()).isEqualTo(1);
        assertThat(m.queriesFailed()).isEqualTo(2);
    }

    @Test
    void aSnapshotTakenEndsTheFailuresInARowButNotTheirCount() {
        counters.snapshotFailed(1, 1);
        counters.snapshotFailed(3, 2);
        assertThat(metrics().snapshotFailures()).isEqualTo(3);
        assertThat(metrics().snapshotFailuresInARow()).isEqualTo(2);

        counters.snapshotTaken();
        counters.snapshotHeld(40);
        counters.snapshotInstalled();
        GroupMetrics m = metrics();
        assertThat(m.snapshotsTaken()).isEqualTo(1);
        assertThat(m.snapshotFailures()).isEqualTo(3);
        assertThat(m.snapshotFailuresInARow()).isZero();
        assertThat(m.snapshotIndex()).isEqualTo(40);
        assertThat(counters.snapshotIndex()).isEqualTo(40);
        assertThat(m.snapshotsInstalled()).isEqualTo(1);
    }
}
