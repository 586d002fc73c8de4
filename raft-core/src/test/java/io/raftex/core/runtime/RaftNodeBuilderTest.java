package io.raftex.core.runtime;

import io.raftex.core.RaftNode;
import io.raftex.core.protocol.ProtocolConfig;
import io.raftex.core.transport.InMemoryNetwork;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RaftNode.Builder} takes durations and turns them into protocol ticks once; its defaults are the
 * {@code DEFAULT_*} constants of {@link RuntimeSettings}.
 */
class RaftNodeBuilderTest {

    private static RaftNode.Builder builder() {
        return RaftNode.builder().nodeId("n1").transport(new InMemoryNetwork().transport("n1"))
                .callbackExecutor(Runnable::run);
    }

    private static RuntimeSettings settingsOf(RaftNode.Builder builder) {
        try (RaftNode node = builder.build()) {
            return node.settings();
        }
    }

    @Test
    void aPlainNodeTicksEvery100MsWithA1SecondElectionTimeoutAndAHeartbeatEveryTick() {
        RuntimeSettings s = settingsOf(builder());
        assertThat(s.tickInterval()).isEqualTo(Duration.ofMillis(100)).isEqualTo(RuntimeSettings.DEFAULT_TICK_INTERVAL);
        assertThat(s.electionTimeout()).isEqualTo(Duration.ofSeconds(1))
                .isEqualTo(RuntimeSettings.DEFAULT_ELECTION_TIMEOUT);
        assertThat(s.heartbeatInterval()).isEqualTo(s.tickInterval());
        assertThat(s.protocol().electionTimeoutTicks()).isEqualTo(10);
        assertThat(s.protocol().heartbeatTicks()).isEqualTo(1);
        assertThat(s.commandTimeout()).isEqualTo(RuntimeSettings.DEFAULT_COMMAND_TIMEOUT);
        assertThat(s.queryTimeout()).isEqualTo(s.commandTimeout());
        assertThat(s.maxSessions()).isEqualTo(RuntimeSettings.DEFAULT_MAX_SESSIONS);
        assertThat(s.snapshotInterval()).isEqualTo(RuntimeSettings.DEFAULT_SNAPSHOT_INTERVAL);
        assertThat(s.snapshotChunkBytes()).isEqualTo(RuntimeSettings.DEFAULT_SNAPSHOT_CHUNK_BYTES);
        // the default node runs exactly the protocol's default tuning
        assertThat(s.protocol()).isEqualTo(ProtocolConfig.defaults());
    }

    @Test
    void durationsBecomeWholeTicksOfTheTickInterval() {
        RuntimeSettings s = settingsOf(builder().tickInterval(Duration.ofMillis(20))
                .electionTimeout(Duration.ofMillis(300)).heartbeatInterval(Duration.ofMillis(60)));
        assertThat(s.protocol().electionTimeoutTicks()).isEqualTo(15);
        assertThat(s.protocol().heartbeatTicks()).isEqualTo(3);
        assertThat(s.electionTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofMillis(60));

        // a duration that is not a whole number of ticks is rounded down
        RuntimeSettings rounded = settingsOf(builder().tickInterval(Duration.ofMillis(30))
                .electionTimeout(Duration.ofMillis(100)));
        assertThat(rounded.protocol().electionTimeoutTicks()).isEqualTo(3);
        assertThat(rounded.electionTimeout()).isEqualTo(Duration.ofMillis(90));
    }

    @Test
    void timeoutsLimitsAndSnapshotSettingsReachTheRuntime() {
        RuntimeSettings s = settingsOf(builder().commandTimeout(Duration.ofSeconds(3))
                .queryTimeout(Duration.ofSeconds(2)).maxBytesPerMessage(4096).maxSessionsPerGroup(7)
                .snapshotInterval(0).snapshotChunkBytes(1024));
        assertThat(s.commandTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.queryTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.protocol().maxBytesPerMessage()).isEqualTo(4096);
        assertThat(s.protocol().maxEntriesPerMessage()).isEqualTo(ProtocolConfig.defaults().maxEntriesPerMessage());
        assertThat(s.maxSessions()).isEqualTo(7);
        assertThat(s.snapshotInterval()).isZero();
        assertThat(s.snapshotChunkBytes()).isEqualTo(1024);
    }

    @Test
    void timingOutOfRangeIsRefusedWhenBuilding() {
        assertThatThrownBy(() -> builder().tickInterval(Duration.ofMillis(100))
                .electionTimeout(Duration.ofMillis(150)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("electionTimeout");
        assertThatThrownBy(() -> builder().tickInterval(Duration.ofMillis(50))
                .heartbeatInterval(Duration.ofMillis(20)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heartbeatInterval");
        assertThatThrownBy(() -> builder().tickInterval(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tickInterval");
        assertThatThrownBy(() -> builder().maxBytesPerMessage(0).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
