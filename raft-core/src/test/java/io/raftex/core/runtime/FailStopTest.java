package io.raftex.core.runtime;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.RaftGroup;
import io.raftex.core.ReadConsistency;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A storage failure stops the group (docs/contracts.md, safety rule 5); the rest of the cluster carries on. */
class FailStopTest {

    private final Map<String, FailingStorageProvider> disks = new HashMap<>();
    private TestCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void startCluster() {
        cluster = new TestCluster(3, Duration.ofSeconds(10), id -> disks.computeIfAbsent(id,
                x -> new FailingStorageProvider())).startAll();
    }

    @Test
    void aFailureReportedByTheStoreStopsTheGroupAndFailsPendingRequests() {
        startCluster();
        String leader = cluster.awaitLeader();
        RaftGroup<String, Integer> g = cluster.group(leader);
        assertThat(g.command("ok").orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(1);

        disks.get(leader).mode.set(FailingStorageProvider.Mode.REPORT_FAILURE);
        CompletableFuture<Integer> pending = g.command("doomed");

        // the command was appended before the store failed: it may still commit on the others, so its outcome is
        // unknown, never "not carried out"; the cause says why the group stopped
        assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(CommandOutcomeUnknownException.class)
                .cause().cause().isInstanceOf(GroupStoppedException.class)
                .hasMessageContaining("storage failure").hasMessageContaining("injected: fsync failed");
        assertStopped(g);

        // the others elect a new leader and go on
        String next = cluster.awaitLeader();
        assertThat(next).isNotEqualTo(leader);
        assertThat(cluster.group(next).command("after").orTimeout(10, TimeUnit.SECONDS).join()).isPositive();
    }

    @Test
    void aStoreThatThrowsStopsTheGroup() {
        startCluster();
        String leader = cluster.awaitLeader();
        String follower = cluster.follower(leader);
        RaftGroup<String, Integer> g = cluster.group(follower);
        disks.get(follower).mode.set(FailingStorageProvider.Mode.THROW);

        // the follower's store fails when the leader's next entries reach it
        CompletableFuture<Integer> pending = g.command("x");
        await().atMost(Duration.ofSeconds(10)).until(() -> !g.isRunning());
        // forwarded to the leader, which may have appended it: unknown, with the stop as the cause
        assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(CommandOutcomeUnknownException.class)
                .hasRootCauseInstanceOf(io.raftex.core.log.StorageException.class);
        assertStopped(g);
        assertThat(cluster.group(leader).isRunning()).isTrue();
    }

    private static void assertStopped(RaftGroup<String, Integer> g) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !g.isRunning());
        assertThat(g.status().running()).isFalse();
        assertThat(g.metrics().running()).isFalse();
        assertThatThrownBy(() -> g.command("refused").get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(GroupStoppedException.class);
        assertThatThrownBy(() -> g.query(sm -> List.of(), ReadConsistency.LOCAL).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(GroupStoppedException.class);
    }
}
