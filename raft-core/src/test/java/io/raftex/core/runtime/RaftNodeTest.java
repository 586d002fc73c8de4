package io.raftex.core.runtime;

import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.NoLeaderException;
import io.raftex.core.RaftGroup;
import io.raftex.core.RaftNode;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.RoleChangeEvent;
import io.raftex.core.message.ForwardCommandResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Three real nodes in one JVM over the in-memory transport and in-memory storage. */
class RaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        return f.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    @Test
    void commandsSentToAFollowerCommitAndEveryMemberAppliesThemInTheSameOrder() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        RaftGroup<String, Integer> g = cluster.group(follower);

        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            results.add(g.command("c" + i));
        }
        List<Integer> sizes = new ArrayList<>();
        for (CompletableFuture<Integer> f : results) {
            sizes.add(join(f));
        }
        assertThat(sizes).doesNotHaveDuplicates().allSatisfy(s -> assertThat(s).isBetween(1, 50));

        await().atMost(WAIT).untilAsserted(() -> {
            for (String id : cluster.runningIds()) {
                assertThat(cluster.applied(id)).hasSize(50);
            }
        });
        List<String> order = cluster.applied(leader);
        assertThat(order).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.range(0, 50).mapToObj(i -> "c" + i).toList());
        for (String id : cluster.runningIds()) {
            assertThat(cluster.applied(id)).containsExactlyElementsOf(order);
        }
        // each command's result is its position in the common order
        for (int i = 0; i < 50; i++) {
            assertThat(order.get(sizes.get(i) - 1)).isEqualTo("c" + i);
        }
    }

    @Test
    void aCommandTheStateMachineRefusesFailsTypedAndTheGroupKeepsServing() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        RaftGroup<String, Integer> g = cluster.group(cluster.follower(leader));
        assertThat(join(g.command("ok1"))).isEqualTo(1);
        assertThat(g.command("refuse-me").orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .failsWithin(WAIT).withThrowableThat().havingRootCause()
                .isInstanceOf(io.raftex.core.CommandFailedException.class).withMessageContaining("refused refuse-me");
        assertThat(join(g.command("ok2"))).isEqualTo(2);
        await().atMost(WAIT).untilAsserted(() -> {
            for (String id : cluster.runningIds()) {
                assertThat(cluster.applied(id)).containsExactly("ok1", "ok2");
                assertThat(cluster.node(id).group(TestCluster.GROUP).orElseThrow().isRunning()).isTrue();
            }
        });
    }

    @Test
    void linearizableQueryOnAFollowerSeesEveryAcknowledgedWrite() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String writer = i % 2 == 0 ? leader : follower;
            join(cluster.group(writer).command("w" + i));
            acknowledged.add("w" + i);
            List<String> seen = join(cluster.group(follower)
                    .query(ListMachine.class, ListMachine::applied, ReadConsistency.LINEARIZABLE));
            assertThat(seen).containsAll(acknowledged);
        }
        assertThat(join(cluster.group(follower).query(ListMachine.class, ListMachine::applied, ReadConsistency.LEADER)))
                .hasSizeGreaterThanOrEqualTo(20);
    }

    @Test
    void aNewLeaderServesAfterTheLeaderStops() {
        cluster = new TestCluster(3).startAll();
        String first = cluster.awaitLeader();
        join(cluster.group(first).command("before"));

        cluster.stop(first);
        String second = cluster.awaitLeader();
        assertThat(second).isNotEqualTo(first);
        String other = cluster.follower(second);
        assertThat(join(cluster.group(other).command("after"))).isEqualTo(2);
        assertThat(join(cluster.group(other).query(ListMachine.class, ListMachine::applied,
                ReadConsistency.LINEARIZABLE))).containsExactly("before", "after");
        assertThat(cluster.group(second).metrics().electionsStarted()
                + cluster.group(other).metrics().electionsStarted()).isPositive();
    }

    @Test
    void aStoppedNodeRestartsFromItsStorageAndCatchesUp() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        for (int i = 0; i < 10; i++) {
            join(cluster.group(leader).command("a" + i));
        }
        await().atMost(WAIT).until(() -> cluster.applied(follower).size() == 10);
        cluster.stop(follower);
        for (int i = 0; i < 10; i++) {
            join(cluster.group(leader).command("b" + i));
        }

        cluster.start(follower);
        GroupStatus recovered = cluster.group(follower).status();
        assertThat(recovered.lastLogIndex()).as("log recovered from storage").isGreaterThanOrEqualTo(11);
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(cluster.applied(follower)).containsExactlyElementsOf(cluster.applied(leader)).hasSize(20));
    }

    @Test
    void aRetriedCommandAppliesOnce() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        String third = cluster.runningIds().stream().filter(id -> !id.equals(leader) && !id.equals(follower))
                .findFirst().orElseThrow();
        join(cluster.group(follower).command("warm-up"));

        // the follower's command reaches the leader, but nothing comes back to the follower: not the acceptance,
        // not the entries, so it cannot tell whether the command was appended and must propose it again
        cluster.network.block(leader, follower);
        cluster.network.block(third, follower);
        CompletableFuture<Integer> retried = cluster.group(follower).command("once");
        await().atMost(WAIT).until(() -> cluster.applied(leader).contains("once"));
        await().atMost(WAIT).until(() -> cluster.group(follower).metrics().commandRetries() > 0);
        cluster.network.heal();

        assertThat(join(retried)).isEqualTo(2);
        await().atMost(WAIT).until(() -> cluster.group(leader).metrics().duplicatesApplied() > 0);
        for (String id : cluster.runningIds()) {
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(cluster.applied(id)).containsExactly("warm-up", "once"));
        }
        // later commands of the same session still work
        assertThat(join(cluster.group(follower).command("next"))).isEqualTo(3);
    }

    @Test
    void droppedForwardResponsesAreAnsweredByTheAppliedEntry() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        cluster.network.dropIf(m -> m instanceof ForwardCommandResponse);
        assertThat(join(cluster.group(follower).command("x"))).isEqualTo(1);
        assertThat(cluster.applied(leader)).containsExactly("x");
    }

    @Test
    void closingANodeFailsItsPendingRequestsAndIsIdempotent() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        cluster.network.isolate(follower);
        RaftGroup<String, Integer> g = cluster.group(follower);
        CompletableFuture<Integer> pending = g.command("never");
        CompletableFuture<List<String>> query = g.query(ListMachine.class, ListMachine::applied,
                ReadConsistency.LINEARIZABLE);

        RaftNode node = cluster.node(follower);
        cluster.stop(follower);
        node.close();

        // the command went out to the leader and was not answered: it may be in its log, so the stop leaves it
        // unknown; the query changed nothing and simply failed
        assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(io.raftex.core.CommandOutcomeUnknownException.class)
                .hasRootCauseInstanceOf(GroupStoppedException.class);
        assertThatThrownBy(() -> query.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(GroupStoppedException.class);
        assertThat(g.isRunning()).isFalse();
        assertThatThrownBy(() -> g.command("late").get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(GroupStoppedException.class);
        assertThat(g.status().running()).isFalse();
        assertThat(node.groups()).isEmpty();
    }

    @Test
    void listenersHearRoleAndLeaderChanges() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        List<RoleChangeEvent> events = new CopyOnWriteArrayList<>();
        List<String> mdc = new CopyOnWriteArrayList<>();
        cluster.group(follower).addListener(new GroupListener() {
            @Override
            public void onRoleChange(RoleChangeEvent event) {
                events.add(event);
                mdc.add(MDC.get("raft.group") + "@" + MDC.get("raft.node"));
            }

            @Override
            public void onLeaderChange(RoleChangeEvent event) {
                events.add(event);
                mdc.add(MDC.get("raft.group") + "@" + MDC.get("raft.node"));
            }
        });
        cluster.stop(leader);
        String next = cluster.awaitLeader();
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e ->
                e.leaderChanged() && e.newLeader().equals(java.util.Optional.of(MemberId.of(next)))));
        assertThat(events).allSatisfy(e -> {
            assertThat(e.group()).isEqualTo(TestCluster.GROUP);
            assertThat(e.nodeId()).isEqualTo(follower);
        });
        assertThat(events.get(0).oldLeader()).contains(MemberId.of(leader));
        // callbacks run on the group thread, whose log lines carry the group and node
        assertThat(mdc).isNotEmpty().containsOnly(TestCluster.GROUP + "@" + follower);
        assertThat(cluster.group(follower).metrics().leaderChanges()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void statusReportsTheGroupAsTheAdminApiNeedsIt() {
        cluster = new TestCluster(3).startAll();
        String proposer = cluster.awaitLeader();
        join(cluster.group(proposer).command("s"));
        assertThat(cluster.group(proposer).metrics().commandsCompleted()).isEqualTo(1);
        // on a loaded machine leadership may move between two calls: read the status of whichever member leads then
        GroupStatus s = await().atMost(WAIT).until(() -> cluster.group(cluster.awaitLeader()).status(),
                st -> st.role() == Role.LEADER);
        String leader = s.nodeId();
        assertThat(s.group()).isEqualTo(TestCluster.GROUP);
        assertThat(s.leaderId()).contains(leader);
        assertThat(s.term()).isPositive();
        assertThat(s.commitIndex()).isGreaterThanOrEqualTo(2);
        assertThat(s.lastApplied()).isGreaterThanOrEqualTo(2);
        assertThat(s.lastLogIndex()).isGreaterThanOrEqualTo(2);
        assertThat(s.snapshotIndex()).isZero();
        assertThat(s.running()).isTrue();
        assertThat(s.members()).extracting(GroupStatus.MemberInfo::id).containsExactly("n1", "n2", "n3");
        assertThat(s.members()).extracting(GroupStatus.MemberInfo::address)
                .containsExactly("mem://n1", "mem://n2", "mem://n3");
        await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.group(cluster.awaitLeader()).status().members())
                .allSatisfy(m -> assertThat(m.matchIndex()).isGreaterThanOrEqualTo(2)));
    }

    @Test
    void leadershipCanBeTransferred() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String target = cluster.follower(leader);
        join(cluster.group(leader).command("t"));
        join(cluster.group(leader).transferLeadership(MemberId.of(target)));
        assertThat(cluster.awaitLeader()).isEqualTo(target);
        assertThatThrownBy(() -> cluster.group(leader).transferLeadership(MemberId.of(leader)).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void messagesForUnknownGroupsAreDroppedAndCounted() {
        cluster = new TestCluster(3).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        RaftNode node = cluster.node(follower);
        assertThat(node.stopGroup(TestCluster.GROUP)).isTrue();
        assertThat(node.group(TestCluster.GROUP)).isEmpty();
        // the leader keeps sending heartbeats to the member that no longer runs there
        await().atMost(WAIT).until(() -> node.droppedMessages() > 0);
        assertThat(node.stopGroup(TestCluster.GROUP)).isFalse();
        // the two remaining members still form a majority
        assertThat(join(cluster.group(leader).command("still"))).isEqualTo(1);
    }

    @Test
    void withoutAQuorumCommandsAndQueriesFailWithNoLeaderButLocalQueriesRun() throws Exception {
        cluster = new TestCluster(3, Duration.ofMillis(300), new TestCluster.InMemoryDisks());
        cluster.start("n1");
        RaftGroup<String, Integer> g = cluster.group("n1");
        assertThatThrownBy(() -> g.command("x").get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NoLeaderException.class);
        assertThatThrownBy(() -> g.query(ListMachine.class, ListMachine::applied, ReadConsistency.LINEARIZABLE)
                .get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(NoLeaderException.class);
        assertThat(join(g.query(ListMachine.class, ListMachine::applied, ReadConsistency.LOCAL))).isEmpty();
        assertThat(g.metrics().commandsFailed()).isEqualTo(1);
        assertThat(g.metrics().queriesFailed()).isEqualTo(1);

        // once a quorum is up, the same session goes on: its failed first command did not poison it
        cluster.start("n2");
        cluster.awaitLeader();
        assertThat(g.command("y").get(5, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(g.command("z").get(5, TimeUnit.SECONDS)).isEqualTo(2);
    }

    @Test
    void aCommandThatMayHaveReachedALeaderTimesOutSayingItMayStillApply() {
        cluster = new TestCluster(3, Duration.ofMillis(500), new TestCluster.InMemoryDisks()).startAll();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        cluster.network.isolate(follower);
        assertThatThrownBy(() -> cluster.group(follower).command("lost").get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(CommandTimeoutException.class)
                .cause().hasMessageContaining("may still be applied");
    }
}
