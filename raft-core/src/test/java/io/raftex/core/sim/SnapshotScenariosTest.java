package io.raftex.core.sim;

import io.raftex.core.LogCapture;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.snapshot.SnapshotMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshots in the runtime mode: real {@link io.raftex.core.runtime.GroupRuntime}s in virtual time taking snapshots
 * every few entries, compacting their logs, and bringing members that fell behind the compaction point up to date
 * with a chunked InstallSnapshot, under partitions, crashes, message loss and a leader that dies mid-transfer. Every
 * invariant is checked as they run, and each scenario ends with every member holding the same state as the leader.
 * The names follow the snapshot tests of a well-known Raft course (SnapshotBasic, SnapshotInstall, ...).
 */
@ExtendWith(QuietRuntimeLogs.ForClass.class)
class SnapshotScenariosTest {

    private static final long SEED = Long.getLong("raft.sim.seed", 11L);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(1_500);
    /** A snapshot every 10 applied entries; chunks of 64 bytes, so that a transfer takes many of them. */
    private static final long INTERVAL = 10;
    private static final int CHUNK = 64;

    @Test
    void snapshotBasic() {
        RuntimeCluster c = cluster();
        writes(c, 120, "basic");
        converge(c);
        for (RuntimeNode n : c.nodes) {
            assertThat(n.snapshotDisk.list()).as("snapshots on %s", n.id).isNotEmpty();
            assertThat(n.snapshotDisk.list().size()).as("old snapshots are deleted on %s", n.id).isLessThanOrEqualTo(2);
            assertThat(n.disk.firstIndex()).as("the log of %s is compacted", n.id).isGreaterThan(50);
        }
        assertSameState(c);
        assertThat(installs(c)).as("nobody needed a snapshot sent").isZero();
    }

    @Test
    void snapshotInstall() {
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        c.network.isolate(behind.id, c.ids);
        writes(c, 120, "install");
        RuntimeNode leader = c.node(c.leader().orElseThrow());
        assertThat(leader.disk.firstIndex()).as("the leader compacted past what the isolated member holds")
                .isGreaterThan(behind.disk.lastIndex() + 1);
        c.network.heal();
        converge(c);
        assertThat(installs(c)).as("InstallSnapshot chunks sent").isGreaterThan(1);
        assertThat(behind.disk.snapshotIndex()).as("the member behind starts its log after a snapshot").isPositive();
        assertSameState(c);
    }

    @Test
    void aSnapshotTransferIsCountedAndShowsItsProgress() {
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        c.network.isolate(behind.id, c.ids);
        writes(c, 120, "progress");
        RuntimeNode leader = c.node(c.leader().orElseThrow());
        List<Long> taken = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Long> installed = new java.util.concurrent.CopyOnWriteArrayList<>();
        leader.runtime.addListener(new io.raftex.core.GroupListener() {
            @Override
            public void onSnapshotTaken(long durationNanos) {
                taken.add(durationNanos);
            }
        });
        behind.runtime.addListener(new io.raftex.core.GroupListener() {
            @Override
            public void onSnapshotInstalled(long durationNanos) {
                installed.add(durationNanos);
            }
        });
        c.network.heal();
        // chunks of 64 bytes: the transfer takes many steps, and the status shows how far it is meanwhile
        assertThat(c.runUntil(() -> behind.runtime.metrics().installingSnapshot(), 5_000)).isTrue();
        io.raftex.core.GroupMetrics during = behind.runtime.metrics();
        assertThat(during.snapshotInstallBytesReceived()).isPositive()
                .isLessThan(during.snapshotInstallTotalBytes());
        CompletableFuture<io.raftex.core.GroupStatus> status = behind.runtime.statusAsync();
        assertThat(c.runUntil(status::isDone, 100)).isTrue();
        io.raftex.core.GroupStatus.SnapshotInstall progress = status.join().snapshotInstall().orElseThrow();
        assertThat(progress.index()).isPositive();
        assertThat(progress.bytesReceived()).isPositive().isLessThanOrEqualTo(progress.totalBytes());
        writes(c, 15, "more"); // the leader takes a snapshot of its own meanwhile
        converge(c);
        assertThat(installed).as("the member behind installed a snapshot, and heard of it").isNotEmpty();
        assertThat(taken).as("the leader took a snapshot, and heard of it").isNotEmpty();
        io.raftex.core.GroupMetrics after = behind.runtime.metrics();
        assertThat(after.installingSnapshot()).isFalse();
        assertThat(after.snapshotInstallBytesReceived()).isZero();
        CompletableFuture<io.raftex.core.GroupStatus> statusAfter = behind.runtime.statusAsync();
        assertThat(c.runUntil(statusAfter::isDone, 100)).isTrue();
        assertThat(statusAfter.join().snapshotInstall()).isEmpty();
        assertThat(after.snapshotBytesReceived()).isGreaterThanOrEqualTo(progress.totalBytes());
        assertThat(after.snapshotInstallFailures()).isZero();
        assertThat(leader.runtime.metrics().snapshotBytesSent()).isGreaterThanOrEqualTo(progress.totalBytes());
        assertThat(leader.runtime.metrics().snapshotBytesReceived()).isZero();
        assertSameState(c);
    }

    @Test
    void aFollowerLogsHowFarItIsWithASnapshotAtMostEveryFiveSeconds() {
        try (LogCapture lines = new LogCapture("io.raftex.core.runtime.SnapshotTransfers",
                ch.qos.logback.classic.Level.INFO)) {
            RuntimeCluster c = cluster();
            RuntimeNode behind = follower(c);
            c.network.isolate(behind.id, c.ids);
            writes(c, 120, "slow");
            c.runFor(2_000); // the leader's last snapshot is written: the transfer below is of that one throughout
            c.network.heal();
            assertThat(c.runUntil(() -> behind.runtime.metrics().installingSnapshot(), 5_000)).isTrue();
            // the transfer stalls for 12 s (virtual): the leader's chunks are held back, and then let through
            c.network.hold(m -> m instanceof InstallSnapshotRequest && m.to().equals(behind.id));
            c.runFor(12_000);
            assertThat(behind.runtime.metrics().installingSnapshot()).as("still under way").isTrue();
            c.network.holdNothing();
            converge(c);
            assertThat(behind.runtime.metrics().installingSnapshot()).isFalse();
            List<String> progress = lines.lines().stream()
                    .filter(l -> l.matches(".*receiving snapshot \\d+ from \\S+: \\d+ of \\d+ bytes")).toList();
            // one line on the first chunk after the stall (more than 5 s after the transfer began), not one a chunk
            assertThat(progress).as("%s", lines.lines()).hasSize(1);
        }
    }

    @Test
    void snapshotInstallUnreliable() {
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        c.network.isolate(behind.id, c.ids);
        writes(c, 120, "unreliable");
        c.network.heal();
        c.network.unreliable();
        writes(c, 30, "during"); // more snapshots and compaction while chunks are lost, repeated and reordered
        c.runFor(3_000);
        c.network.reliable();
        converge(c);
        assertThat(installs(c)).isGreaterThan(1);
        assertSameState(c);
    }

    @Test
    void snapshotInstallCrash() {
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        behind.crash();
        writes(c, 120, "crash");
        c.start(c.nodes.indexOf(behind));
        converge(c);
        assertThat(installs(c)).isGreaterThan(1);
        assertThat(behind.disk.snapshotIndex()).isPositive();
        assertSameState(c);
    }

    @Test
    void snapshotInstallUnCrash() {
        RuntimeCluster c = cluster();
        c.network.unreliable();
        for (int round = 0; round < 4; round++) {
            int victim = (c.leader().orElse(0) + 1 + round % 2) % 3;
            c.node(victim).crash();
            writes(c, 40, "uncrash" + round);
            c.start(victim);
            c.runFor(500);
        }
        c.network.reliable();
        converge(c);
        assertSameState(c);
    }

    @Test
    void snapshotAllCrash() {
        RuntimeCluster c = cluster();
        for (int round = 0; round < 5; round++) {
            writes(c, 25, "all" + round);
            for (int i = 0; i < 3; i++) {
                c.node(i).crash();
            }
            for (int i = 0; i < 3; i++) {
                c.start(i);
            }
            converge(c);
            assertThat(c.node(0).machine.kv.contents()).as("round %d survives a crash of every member", round)
                    .containsEntry("k" + (24 % 7), "all" + round + "-24");
        }
        assertSameState(c);
    }

    @Test
    void snapshotInit() {
        RuntimeCluster c = cluster();
        writes(c, 55, "init");
        converge(c);
        Map<String, String> before = c.node(0).machine.kv.contents();
        for (int i = 0; i < 3; i++) {
            c.node(i).crash();
        }
        for (int i = 0; i < 3; i++) {
            c.start(i);
        }
        assertThat(c.runUntil(() -> c.nodes.stream().allMatch(RuntimeNode::serving), 1_000)).isTrue();
        for (RuntimeNode n : c.nodes) {
            long newest = n.snapshotDisk.latestValid().map(SnapshotMeta::index).orElse(0L);
            assertThat(newest).as("%s holds a snapshot", n.id).isPositive();
            assertThat(n.metrics().lastApplied()).as("%s restored its snapshot before any election", n.id)
                    .isEqualTo(newest);
        }
        writes(c, 1, "after");
        converge(c);
        assertThat(c.node(1).machine.kv.contents()).containsAllEntriesOf(Map.of("k1", before.get("k1")));
        assertSameState(c);
    }

    @Test
    void slowFollowerAfterCompactionCatchesUpBySnapshot() {
        RuntimeCluster c = cluster();
        RuntimeNode slow = follower(c);
        // the slow member hears heartbeats but no entries: it falls behind while the others compact
        c.network.hold(m -> m instanceof AppendEntriesRequest a && a.to().equals(slow.id) && !a.entries().isEmpty());
        writes(c, 120, "slow");
        c.network.holdNothing();
        c.network.held.clear();
        converge(c);
        assertThat(installs(c)).isGreaterThan(1);
        assertSameState(c);
    }

    @Test
    void leaderDiesMidTransfer() {
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        c.network.isolate(behind.id, c.ids);
        writes(c, 120, "mid");
        c.network.heal();
        // the first chunks arrive; then the transfer is cut off and its leader dies
        c.network.hold(m -> m instanceof InstallSnapshotRequest r && r.offset() >= 3L * CHUNK);
        assertThat(c.runUntil(() -> !c.network.held.isEmpty(), 2_000)).as("a transfer under way").isTrue();
        int oldLeader = c.leader().orElseThrow();
        c.node(oldLeader).crash();
        c.network.holdNothing();
        c.network.held.clear();
        assertThat(c.runUntil(() -> c.leader().isPresent() && c.leader().get() != oldLeader, 3_000)).isTrue();
        c.runFor(2_000);
        c.start(oldLeader);
        converge(c);
        assertThat(behind.disk.snapshotIndex()).isPositive();
        assertSameState(c);
    }

    @Test
    void corruptNewestSnapshotFallsBackToTheOlderOneAndTheLog() {
        RuntimeCluster c = cluster();
        writes(c, 60, "fallback");
        converge(c);
        RuntimeNode n = follower(c);
        n.crash();
        long newest = n.snapshotDisk.list().get(0).index();
        n.snapshotDisk.corrupt(newest);
        long sent = installs(c);
        c.start(c.nodes.indexOf(n));
        assertThat(c.runUntil(n::serving, 1_000)).isTrue();
        assertThat(n.metrics().lastApplied()).as("restored from the older snapshot").isLessThan(newest).isPositive();
        converge(c);
        assertThat(installs(c)).as("rebuilt locally, from the older snapshot and the log").isEqualTo(sent);
        assertSameState(c);
    }

    @Test
    void corruptSnapshotWithNoOlderCoverGetsTheLeadersCopy() {
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        c.network.isolate(behind.id, c.ids);
        writes(c, 120, "cover");
        c.network.heal();
        converge(c);
        // the member's log now starts after the snapshot it installed; damage that snapshot
        behind.crash();
        behind.snapshotDisk.corrupt(behind.disk.snapshotIndex());
        long sent = installs(c);
        c.start(c.nodes.indexOf(behind));
        converge(c);
        assertThat(installs(c)).as("the leader's snapshot was sent again").isGreaterThan(sent);
        assertSameState(c);
    }

    @Test
    void aFollowerThatSnapshotsEntriesItsLogHasNotSyncedThenCrashesCountsForTheQuorumAfterItsRestart() {
        RuntimeCluster c = cluster();
        writes(c, 5, "warm");
        converge(c);
        int l = c.leader().orElseThrow();
        RuntimeNode slow = follower(c);
        RuntimeNode other = c.node(3 - l - c.nodes.indexOf(slow));
        // the follower's disk syncs nothing for now: it appends, applies (the leader and the other follower commit)
        // and snapshots entries that are not durable in its log
        slow.slowDiskUntil = Long.MAX_VALUE;
        slow.slowDiskMaxDelay = 1_000_000;
        writes(c, 25, "unsynced");
        assertThat(c.runUntil(() -> !slow.snapshotDisk.list().isEmpty()
                && slow.disk.durableTermAt(slow.durableSnapshotIndex()) < 0, 2_000))
                .as("a snapshot beyond the durable log\n  %s", c.describe()).isTrue();
        long snapshot = slow.durableSnapshotIndex();
        slow.crash(); // the unsynced tail is lost; the snapshot is not
        slow.slowDiskUntil = 0;
        c.start(c.nodes.indexOf(slow));
        assertThat(c.runUntil(slow::serving, 1_000)).isTrue();
        assertThat(slow.disk.snapshotIndex()).as("the restart reset the log to the snapshot").isEqualTo(snapshot);
        // without the other follower, every commit needs the restarted one's durable acknowledgements
        c.network.isolate(other.id, c.ids);
        byte[] payload = KvMachine.put("k0", "needs-the-restarted-follower");
        CompletableFuture<byte[]> f = c.node(l).runtime.command(payload);
        assertThat(c.runUntil(f::isDone, 3_000)).as("answered\n  %s", c.describe()).isTrue();
        assertThat(RuntimeCluster.failureOf(f)).as("committed with the restarted follower's copy").isNull();
        c.network.heal();
        converge(c);
        assertSameState(c);
    }

    @Test
    void anOwnSnapshotThatFinishesAfterANewerOneWasInstalledDoesNotTakeItsPlace() {
        // (its newest snapshot is what it offers as leader: an older one than its log start could not catch anyone up)
        RuntimeCluster c = cluster();
        RuntimeNode behind = follower(c);
        behind.holdBackground = true; // its own snapshot writes wait
        writes(c, 12, "own");
        assertThat(c.runUntil(() -> !behind.heldBackground.isEmpty(), 1_000)).as("its own snapshot is being written")
                .isTrue();
        c.network.isolate(behind.id, c.ids);
        writes(c, 120, "leader");
        c.network.heal();
        assertThat(c.runUntil(() -> behind.metrics().snapshotsInstalled() > 0, 5_000))
                .as("the leader's snapshot installed\n  %s", c.describe()).isTrue();
        long installed = behind.metrics().snapshotIndex();
        List<Runnable> held = List.copyOf(behind.heldBackground);
        behind.heldBackground.clear();
        held.forEach(Runnable::run); // the older snapshot finishes now (a newer one it may start stays held)
        c.runFor(100);
        assertThat(behind.metrics().snapshotIndex()).as("its newest snapshot stays the installed one")
                .isGreaterThanOrEqualTo(installed);
        // as leader it offers its newest snapshot to a member behind its log start, which then catches up
        behind.holdBackground = false;
        List.copyOf(behind.heldBackground).forEach(Runnable::run);
        behind.heldBackground.clear();
        c.node(c.leader().orElseThrow()).runtime.transferLeadership(behind.id);
        assertThat(c.runUntil(() -> c.leader().equals(java.util.Optional.of(c.nodes.indexOf(behind))), 3_000))
                .as("leadership passed\n  %s", c.describe()).isTrue();
        RuntimeNode other = follower(c);
        c.network.isolate(other.id, c.ids);
        writes(c, 60, "later");
        c.network.heal();
        converge(c);
        assertSameState(c);
    }

    // ------------------------------------------------------------------ helpers

    private static RuntimeCluster cluster() {
        RuntimeCluster c = new RuntimeCluster(3, SEED, COMMAND_TIMEOUT, INTERVAL, CHUNK);
        assertThat(c.runUntil(c::converged, 3_000)).as("a leader, followed by all\n  %s", c.describe()).isTrue();
        return c;
    }

    private static RuntimeNode follower(RuntimeCluster c) {
        return c.node((c.leader().orElseThrow() + 1) % c.nodes.size());
    }

    /** Writes {@code n} values to 7 keys through whichever member leads, each acknowledged before the next. */
    private static void writes(RuntimeCluster c, int n, String prefix) {
        for (int i = 0; i < n; i++) {
            byte[] payload = KvMachine.put("k" + (i % 7), prefix + "-" + i);
            boolean done = false;
            for (int attempt = 0; attempt < 20 && !done; attempt++) {
                int l = c.awaitLeader(5_000);
                CompletableFuture<byte[]> f = c.node(l).runtime.command(payload);
                assertThat(c.runUntil(f::isDone, 5_000)).as("write %s answered\n  %s", text(payload), c.describe())
                        .isTrue();
                done = RuntimeCluster.failureOf(f) == null;
            }
            assertThat(done).as("write %s acknowledged within 20 attempts\n  %s", text(payload), c.describe())
                    .isTrue();
        }
    }

    private static void converge(RuntimeCluster c) {
        assertThat(c.runUntil(c::converged, 20_000)).as("converged\n  %s", c.describe()).isTrue();
    }

    private static void assertSameState(RuntimeCluster c) {
        Map<String, String> leader = c.node(c.leader().orElseThrow()).machine.kv.contents();
        assertThat(leader).isNotEmpty();
        for (RuntimeNode n : c.nodes) {
            assertThat(n.machine.kv.contents()).as("state of %s", n.id).isEqualTo(leader);
        }
    }

    private static long installs(RuntimeCluster c) {
        return c.network.sentByType.getOrDefault(InstallSnapshotRequest.class, 0L);
    }

    private static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
