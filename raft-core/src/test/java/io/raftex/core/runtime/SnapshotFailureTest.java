package io.raftex.core.runtime;

import io.raftex.core.ApplyContext;
import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.Role;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.protocol.ProtocolConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A state machine whose snapshots always fail, whatever the reason: the group goes on serving, and tries again only
 * after a back-off ({@link SnapshotBackoff}), not after every applied entry.
 */
class SnapshotFailureTest {

    /** Applies every command; its snapshot throws when captured or when written, as asked. */
    static final class FailingMachine implements StateMachine<String, Integer> {
        final boolean failOnCapture;
        int attempts;
        int applied;

        FailingMachine(boolean failOnCapture) {
            this.failOnCapture = failOnCapture;
        }

        @Override
        public Integer apply(String command, ApplyContext context) {
            return ++applied;
        }

        @Override
        public StateSnapshot snapshot() {
            attempts++;
            if (failOnCapture) {
                throw new IllegalStateException("the state cannot be captured");
            }
            return out -> {
                throw new IOException("the state cannot be encoded");
            };
        }

        @Override
        public void restore(InputStream in) {
        }
    }

    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    @ParameterizedTest(name = "fails on capture: {0}")
    @ValueSource(booleans = {false, true})
    void aFailingSnapshotBacksOffAndTheGroupGoesOn(boolean failOnCapture) {
        ManualGroup.Executor executor = new ManualGroup.Executor();
        long[] nowMillis = {1_000};
        Random seeds = new Random(7);
        GroupEnvironment env = new GroupEnvironment((node, group) -> executor, () -> nowMillis[0] * 1_000_000L,
                () -> nowMillis[0], seeds::nextLong, Runnable::run);
        RuntimeSettings settings = new RuntimeSettings("n1", ProtocolConfig.defaults().withTiming(10, 2),
                Duration.ofMillis(10), Duration.ofSeconds(5), Duration.ofSeconds(5), 100, Runnable::run, 5,
                RuntimeSettings.DEFAULT_SNAPSHOT_CHUNK_BYTES);
        FailingMachine machine = new FailingMachine(failOnCapture);
        GroupRuntime<String, Integer> runtime = new GroupRuntime<>("g", new ClusterConfig(List.of(
                Member.voter("n1", "a1"))), machine, ListMachine.COMMANDS, ListMachine.RESULTS, settings,
                new ManualGroup.Outbox(), new InMemoryStorageProvider(), env);
        runtime.startAsync();
        executor.runAll();
        for (int i = 0; i < 100 && runtime.metrics().role() != Role.LEADER; i++) {
            nowMillis[0] += 10;
            executor.tick();
            executor.runAll();
        }
        assertThat(runtime.metrics().role()).isEqualTo(Role.LEADER);

        // 200 commands over 500 ms of virtual time: 40 snapshot intervals, all within the first back-off step
        for (int i = 0; i < 50; i++) {
            for (int j = 0; j < 4; j++) {
                CompletableFuture<Integer> done = runtime.command("c");
                executor.runAll();
                assertThat(done).isCompleted();
            }
            nowMillis[0] += 10;
            executor.tick();
            executor.runAll();
        }
        assertThat(runtime.isRunning()).as("the group goes on").isTrue();
        assertThat(machine.applied).isEqualTo(200);
        assertThat(machine.attempts).as("one attempt, then the back-off").isEqualTo(1);
        assertThat(runtime.metrics().snapshotFailures()).isEqualTo(1);

        // past the step, the next interval tries again, once
        nowMillis[0] += SnapshotBackoff.INITIAL_MILLIS;
        for (int i = 0; i < 10; i++) {
            runtime.command("c");
            executor.runAll();
        }
        assertThat(machine.attempts).isEqualTo(2);
        assertThat(runtime.metrics().snapshotFailures()).isEqualTo(2);
        assertThat(runtime.metrics().snapshotFailuresInARow()).isEqualTo(2);
        assertThat(runtime.isRunning()).isTrue();
    }
}
