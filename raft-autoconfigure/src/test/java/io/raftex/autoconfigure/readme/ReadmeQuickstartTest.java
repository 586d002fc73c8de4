package io.raftex.autoconfigure.readme;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftStateMachine;
import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import io.raftex.core.ApplyContext;
import io.raftex.core.ReadConsistency;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The quickstart of README.md, as written there, runs: a command commits and a linearizable query sees it; and the
 * README's snapshot methods capture, restore and refuse malformed input as it says.
 */
class ReadmeQuickstartTest {

    // ---- from README.md, "Quickstart in your application" ----
    @Component
    @RaftStateMachine("counter")                   // this bean is the Raft group "counter"
    static class Counter implements StateMachine<Counter.Add, Long> {
        record Add(long delta) { }

        private long value;

        @Override
        public Long apply(Add command, ApplyContext context) {
            value += command.delta();
            return value;
        }

        long value() { return value; }
    }

    @RestController
    static class CounterController {
        private final RaftClient raft;

        CounterController(RaftClient raft) { this.raft = raft; }

        @PostMapping("/add/{delta}")
        CompletableFuture<Long> add(@PathVariable long delta) {
            return raft.command("counter", new Counter.Add(delta));           // committed and applied, or an exception
        }

        @GetMapping("/value")
        CompletableFuture<Long> value() {
            return raft.query("counter", Counter.class, Counter::value, ReadConsistency.LINEARIZABLE);
        }
    }
    // ---- end of the README's code ----

    /** The quickstart's counter with the methods of the README's "Snapshots". */
    static class SnapshottingCounter implements StateMachine<Counter.Add, Long> {
        private long value;

        @Override
        public Long apply(Counter.Add command, ApplyContext context) {
            value += command.delta();
            return value;
        }

        long value() { return value; }

        // ---- from README.md, "Snapshots" ----
        @Override
        public StateSnapshot snapshot() {                   // on the apply thread, between commands: capture, quickly
            long captured = value;
            return out -> new DataOutputStream(out).writeLong(captured);    // written later, on another thread
        }

        @Override
        public void restore(InputStream in) throws IOException {           // replaces the whole state
            DataInputStream data = new DataInputStream(in);
            long restored = data.readLong();
            if (data.read() != -1) throw new IOException("not a counter snapshot");
            value = restored;                               // only once all of it has been read and checked
        }
        // ---- end of the README's code ----
    }

    @TempDir
    Path tmp;

    @Test
    void theQuickstartRuns() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RaftAutoConfiguration.class,
                        RaftTransportAutoConfiguration.class, RaftRpcEndpointAutoConfiguration.class))
                .withUserConfiguration(Counter.class, CounterController.class)
                .withPropertyValues("raft.node-id=n1", "raft.data-dir=" + tmp.resolve("n1"),
                        "raft.heartbeat-interval=20ms", "raft.election-timeout=200ms")
                .run(context -> {
                    CounterController controller = context.getBean(CounterController.class);
                    RaftClient raft = context.getBean(RaftClient.class);
                    await().atMost(Duration.ofSeconds(20)).until(() -> raft.status("counter").isLeader());
                    assertThat(controller.add(2).get()).isEqualTo(2L);
                    assertThat(controller.add(3).get()).isEqualTo(5L);
                    assertThat(controller.value().get()).isEqualTo(5L);
                });
    }

    @Test
    void theSnapshotMethodsCaptureRestoreAndRefuseGarbage() throws IOException {
        SnapshottingCounter counter = new SnapshottingCounter();
        counter.apply(new Counter.Add(2), new ApplyContext(1, 1, 0));
        StateSnapshot capture = counter.snapshot();
        counter.apply(new Counter.Add(3), new ApplyContext(2, 1, 0));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        capture.writeTo(out);
        capture.release();

        SnapshottingCounter restored = new SnapshottingCounter();
        restored.apply(new Counter.Add(40), new ApplyContext(1, 1, 0));
        restored.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(restored.value()).isEqualTo(2L);
        assertThat(counter.value()).isEqualTo(5L);

        byte[] longer = Arrays.copyOf(out.toByteArray(), 9);
        assertThatThrownBy(() -> restored.restore(new ByteArrayInputStream(longer))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> restored.restore(new ByteArrayInputStream(new byte[3])))
                .isInstanceOf(IOException.class);
        assertThat(restored.value()).isEqualTo(2L);
    }
}
