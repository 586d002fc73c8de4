package io.raftex.autoconfigure;

import io.raftex.autoconfigure.testapp.CounterCommand;
import io.raftex.autoconfigure.testapp.CounterStateMachine;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.GroupStatus;
import io.raftex.core.Membership;
import io.raftex.core.ReadConsistency;
import io.raftex.core.log.DataDirIdentity;
import io.raftex.core.log.IdentityMismatchException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A member that lost its volume (docs/operations.md, "A node lost its volume"), on three Spring nodes with durable
 * storage: a write acknowledged by the leader and one follower while the third was away survives the loss of that
 * follower's data directory followed by the leader's death. The emptied member cannot help the member that lacks the
 * write to an election; once the leader is back, the emptied member is bound to its new incarnation, caught up and
 * promoted with no operator, and the write is there. A data directory of another node or cluster refuses to start.
 */
class LostVolumeClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(40);

    @TempDir
    Path dataRoot;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        nodes.forEach(TestNode::stop);
    }

    private static long add(TestNode via, long delta) throws Exception {
        return via.client().<CounterCommand, Long>command("counter", new CounterCommand("c", delta))
                .get(20, TimeUnit.SECONDS);
    }

    private static long read(TestNode on) throws Exception {
        return on.client().query("counter", CounterStateMachine.class, sm -> sm.get("c"),
                ReadConsistency.LINEARIZABLE).get(20, TimeUnit.SECONDS);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TestNode node(int i) {
        return nodes.get(i - 1);
    }

    private void startCluster() {
        for (int i = 1; i <= 3; i++) {
            nodes.add(new TestNode("n" + i, TestNode.freePort(), dataRoot.resolve("n" + i)));
        }
        String members = TestNode.members(nodes);
        nodes.forEach(n -> n.with("raft.members", members));
        TestNode.startAll(nodes);
    }

    @Test
    void anAcknowledgedWriteSurvivesAFollowersLostVolumeAndTheLeadersDeath() throws Exception {
        startCluster();
        TestNode first = TestNode.awaitLeader(nodes, WAIT);
        add(first, 1);
        // every member is bound to its data directory's incarnation by the new group's first entry
        await().atMost(WAIT).untilAsserted(() -> {
            for (TestNode n : nodes) {
                assertThat(n.status().incarnationBound()).as(n.id()).isTrue();
            }
        });

        // the third member is away; the leader and the other follower acknowledge a write
        TestNode away = nodes.stream().filter(n -> n != first).findFirst().orElseThrow();
        away.stop();
        TestNode leader = TestNode.awaitLeader(nodes, WAIT);
        TestNode follower = nodes.stream().filter(n -> n != away && n != leader).findFirst().orElseThrow();
        long acknowledged = add(leader, 10);
        assertThat(acknowledged).isEqualTo(11);

        // the follower's volume is lost: restarted under the same id on an empty data directory
        long oldIncarnation = follower.status().incarnation();
        Path followerDir = dataRoot.resolve(follower.id());
        follower.stop();
        deleteTree(followerDir);
        follower.start();
        assertThat(follower.status().incarnation()).isNotEqualTo(oldIncarnation).isNotZero();
        assertThat(follower.status().incarnationBound()).isFalse();

        // the leader dies; the member that was away comes back: it lacks the write, and the emptied member's vote
        // does not count, so neither is elected
        leader.stop();
        away.start();
        List<TestNode> survivors = List.of(away, follower);
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                .until(() -> survivors.stream().noneMatch(TestNode::isLeader));

        // the leader's machine returns: the write is there, and the emptied member rejoins by itself
        leader.start();
        TestNode newLeader = TestNode.awaitLeader(nodes, WAIT);
        assertThat(newLeader).isNotSameAs(follower);
        await().atMost(WAIT).untilAsserted(() -> assertThat(read(away)).isEqualTo(acknowledged));
        await().atMost(WAIT).untilAsserted(() -> {
            GroupStatus s = follower.status();
            assertThat(s.incarnationBound()).isTrue();
            GroupStatus.MemberInfo bound = TestNode.awaitLeader(nodes, WAIT).status().members().stream()
                    .filter(m -> m.id().equals(follower.id())).findFirst().orElseThrow();
            assertThat(bound.incarnation()).isEqualTo(s.incarnation());
            assertThat(bound.membership()).as("promoted once caught up").isEqualTo(Membership.VOTER);
        });
        assertThat(read(follower)).isEqualTo(acknowledged);
        assertThat(add(follower, 1)).isEqualTo(acknowledged + 1);
    }

    @Test
    void aDataDirectoryOfAnotherNodeRefusesToStart() {
        Path dir = dataRoot.resolve("shared");
        DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty());
        TestNode wrong = new TestNode("n2", TestNode.freePort(), dir)
                .with("raft.members", "n2=http://127.0.0.1:1");
        assertThatThrownBy(wrong::start).hasStackTraceContaining(IdentityMismatchException.class.getName())
                .hasStackTraceContaining("belongs to node 'n1', not to this node 'n2'");
    }

    @Test
    void aDataDirectoryOfAnotherClusterRefusesToStart() {
        Path dir = dataRoot.resolve("east-n1");
        TestNode east = new TestNode("n1", TestNode.freePort(), dir).with("raft.cluster-id", "east");
        nodes.add(east);
        east.start();
        east.stop();
        TestNode west = new TestNode("n1", TestNode.freePort(), dir).with("raft.cluster-id", "west");
        assertThatThrownBy(west::start).hasStackTraceContaining(IdentityMismatchException.class.getName())
                .hasStackTraceContaining("belongs to cluster 'east', not to this node's cluster 'west'");
    }
}
