package io.raftex.autoconfigure.readme;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftStateMachine;
import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.transport.RaftRpcEndpointAutoConfiguration;
import io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration;
import io.raftex.core.ApplyContext;
import io.raftex.core.ReadConsistency;
import io.raftex.core.StateMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The quickstart of README.md, as written there, runs: a command commits and a linearizable query sees it. */
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

        @Override
        public void writeSnapshot(OutputStream out) throws IOException { new DataOutputStream(out).writeLong(value); }

        @Override
        public void readSnapshot(InputStream in) throws IOException { value = new DataInputStream(in).readLong(); }
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
}
