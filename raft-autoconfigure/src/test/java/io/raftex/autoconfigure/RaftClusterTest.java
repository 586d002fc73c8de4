package io.raftex.autoconfigure;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.ReadConsistency;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three Spring Boot applications on random ports in this JVM form one cluster over HTTP. One cluster serves every
 * test, in order: the later tests stop and restart nodes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<TestNode> nodes = new ArrayList<>();
    /** Value of counter "c" every node must converge to. */
    private static final AtomicLong expected = new AtomicLong();

    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void startCluster() {
        for (int i = 1; i <= 3; i++) {
            nodes.add(new TestNode("n" + i, TestNode.freePort(), dataRoot.resolve("n" + i)));
        }
        String members = TestNode.members(nodes);
        List<CompletableFuture<TestNode>> starts = new ArrayList<>();
        for (TestNode n : nodes) {
            n.with("raft.members", members);
            starts.add(CompletableFuture.supplyAsync(n::start));
        }
        starts.forEach(CompletableFuture::join);
        leader();
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(TestNode::stop);
    }

    private static TestNode leader() {
        AtomicReference<TestNode> leader = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            for (TestNode n : nodes) {
                if (n.isLeader()) {
                    leader.set(n);
                    return true;
                }
            }
            return false;
        });
        return leader.get();
    }

    private static TestNode follower() {
        TestNode leader = leader();
        return nodes.stream().filter(n -> n != leader && n.running()).findFirst().orElseThrow();
    }

    private static long add(TestNode via, long delta) throws Exception {
        Long value = via.client().<CounterCommand, Long>command("counter", new CounterCommand("c", delta))
                .get(20, TimeUnit.SECONDS);
        expected.set(value);
        return value;
    }

    private static long read(TestNode on, ReadConsistency consistency) throws Exception {
        return on.client().query("counter", CounterStateMachine.class, sm -> sm.get("c"), consistency)
                .get(20, TimeUnit.SECONDS);
    }

    private static void awaitConverged(TestNode n) {
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(read(n, ReadConsistency.LOCAL)).as(n.id()).isEqualTo(expected.get()));
    }

    @Test
    @Order(1)
    void commandsSentToAFollowerCommitOnEveryNode() throws Exception {
        TestNode follower = follower();
        long before = read(follower, ReadConsistency.LINEARIZABLE);
        for (int i = 1; i <= 20; i++) {
            assertThat(add(follower, 1)).isEqualTo(before + i);
        }
        nodes.forEach(RaftClusterTest::awaitConverged);
        assertThat(follower.status().isLeader()).isFalse();
    }

    @Test
    @Order(2)
    void linearizableReadsOnAFollowerSeeEveryAcknowledgedWrite() throws Exception {
        TestNode follower = follower();
        TestNode writerNode = leader();
        // sequential: write, then read on the follower at once
        for (int i = 0; i < 20; i++) {
            long acknowledged = add(i % 2 == 0 ? writerNode : follower, 1);
            assertThat(read(follower, ReadConsistency.LINEARIZABLE)).isGreaterThanOrEqualTo(acknowledged);
            assertThat(read(follower, ReadConsistency.LEADER)).isGreaterThanOrEqualTo(0);
        }
        // concurrent: a writer keeps writing; each read sees at least what was acknowledged before it started
        AtomicLong acknowledged = new AtomicLong(expected.get());
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    long v = add(writerNode, 1);
                    acknowledged.accumulateAndGet(v, Math::max);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            for (int i = 0; i < 40; i++) {
                long floor = acknowledged.get();
                assertThat(read(follower, ReadConsistency.LINEARIZABLE)).isGreaterThanOrEqualTo(floor);
            }
        } finally {
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
        }
        nodes.forEach(RaftClusterTest::awaitConverged);
    }

    @Test
    @Order(3)
    void stoppingTheLeaderLetsANewLeaderServe() throws Exception {
        TestNode old = leader();
        old.stop();
        TestNode next = leader();
        assertThat(next).isNotSameAs(old);
        TestNode other = nodes.stream().filter(n -> n != old && n != next).findFirst().orElseThrow();
        long v = add(other, 5);
        assertThat(add(next, 5)).isEqualTo(v + 5);
        assertThat(read(other, ReadConsistency.LINEARIZABLE)).isEqualTo(v + 5);
    }

    @Test
    @Order(4)
    void aRestartedNodeCatchesUpFromItsDataDir() throws Exception {
        TestNode stopped = nodes.stream().filter(n -> !n.running()).findFirst().orElseThrow();
        add(leader(), 3);
        stopped.start();
        awaitConverged(stopped);
        // and it takes part again: a command through it commits everywhere
        add(stopped, 1);
        nodes.forEach(RaftClusterTest::awaitConverged);
        assertThat(read(stopped, ReadConsistency.LINEARIZABLE)).isEqualTo(expected.get());
    }
}
