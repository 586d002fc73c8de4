package io.raftex.core.runtime;

import io.raftex.core.GroupStatus;
import io.raftex.core.runtime.CrashCluster.Writer;
import io.raftex.core.runtime.CrashCluster.Writer.Via;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node of a three-node cluster crashes mid-write and comes back on the same data directory (safety rules 2,
 * 4, 5 and 6 of docs/contracts.md, end to end): three real {@link io.raftex.core.RaftNode}s in one JVM over the in-memory transport, each
 * with real durable storage ({@link DurableStorageProvider}: a shared WAL in front of MapDB) in its own
 * {@code @TempDir} directory, while two clients write continuously, one through the leader and one through a follower.
 *
 * <p><b>What a "crash" is here.</b> The node's WAL goes through a {@link CrashableFileIo}: a disk that keeps, per WAL
 * file, the length last forced. At a random moment the test crashes that disk: every later WAL operation throws (so
 * the node's storage fails and every group on it stops: fail-stop), each WAL file is cut back to its forced length,
 * and the file being written keeps a random prefix of its unforced bytes followed by random garbage (a torn last
 * record). Then the node is closed (which must not hang), dropped, and started again on the same directory with a
 * fresh disk: recovery must cut the torn tail, and the node must catch up. The crash comes in the middle of a WAL
 * write: the write's bytes reach the file, and the disk dies before the force that would have made them durable.
 *
 * <p><b>What is not modelled.</b> {@link io.raftex.core.log.FileIo} covers the WAL files, directory syncs and the
 * forces that seal MapDB files; MapDB's own writes do not go through it. So a MapDB file is never torn here: a sealed
 * segment or state file was forced before its rename (forces are refused once the disk has crashed), and a building
 * segment left as {@code .tmp} is deleted on open whatever it holds. Between the disk crash and the node noticing it,
 * the segment writer may still move (forced, hence durable) WAL batches into the building segment; that is a state a
 * real crash a moment later could also have left. Directory entries are not lost either (a WAL file
 * created but whose directory sync did not return is kept). The crash does not stop the node's threads at once, as
 * a real one would; the node stops by itself once its next WAL write fails, and is then closed.
 *
 * <p><b>What is checked.</b> The restarted node opens (torn tail cut) with at least the entries it had made durable
 * and that were committed; it catches up; every command acknowledged to a client is applied on all three nodes exactly
 * once, at the position its result named (ListMachine answers with its list size), in the same order everywhere and in
 * real-time order per client; nothing applied was not issued (nothing corrupt is applied). The seed is in every
 * assertion message; re-run one with {@code -Draftex.seed=<seed>}.
 */
class NodeCrashRecoveryTest {

    private static final Logger LOG = LoggerFactory.getLogger(NodeCrashRecoveryTest.class);
    private static final String G = "g";
    private static final Duration CLOSE_LIMIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private long seed;
    private Random random;
    private CrashCluster cluster;
    private final List<Writer> writers = new ArrayList<>();

    @BeforeEach
    void seed() {
        seed = Long.getLong("raftex.seed", System.nanoTime());
        random = new Random(seed);
        LOG.info("NodeCrashRecoveryTest seed {}", seed);
    }

    @AfterEach
    void tearDown() {
        CrashCluster.tearDown(writers, cluster);
    }

    @Test
    void theLeaderCrashesMidWriteAndRecovers() {
        killOneAndRestart(true);
    }

    @Test
    void aFollowerCrashesMidWriteAndRecovers() {
        killOneAndRestart(false);
    }

    @Test
    void twoOfThreeCrashMidWriteAndBothRecoverWithoutLosingAnAcknowledgedCommand() {
        startClusterAndWriters();
        awaitMoreAcks(40 + random.nextInt(160));
        String leader = cluster.awaitLeader(G);
        String follower = otherThan(leader);
        long leaderFloor = durableCommittedFloor(leader, leader);
        long followerFloor = durableCommittedFloor(follower, leader);

        // both disks die at (almost) the same moment, mid-write; quorum is lost
        crashMidWrite(leader);
        cluster.disk(follower).crash(true);
        // the leader takes writes, so it notices at once; the follower may see no write before it is closed
        awaitFailStop(leader);
        cluster.closeNode(leader, CLOSE_LIMIT);
        cluster.closeNode(follower, CLOSE_LIMIT);
        logDamage(leader);
        logDamage(follower);

        List<String> order = random.nextBoolean() ? List.of(leader, follower) : List.of(follower, leader);
        for (String id : order) {
            cluster.start(id);
        }
        assertRecovered(leader, leaderFloor);
        assertRecovered(follower, followerFloor);
        awaitMoreAcks(60);
        stopWritersAndVerify("two crashed: " + leader + " (leader), " + follower);
    }

    private void killOneAndRestart(boolean killLeader) {
        startClusterAndWriters();
        awaitMoreAcks(40 + random.nextInt(160));
        String leader = cluster.awaitLeader(G);
        String victim = killLeader ? leader : otherThan(leader);
        long floor = durableCommittedFloor(victim, leader);

        crashMidWrite(victim);
        awaitFailStop(victim);
        cluster.closeNode(victim, CLOSE_LIMIT);
        logDamage(victim);

        // the other two keep serving both clients
        awaitMoreAcks(40);

        cluster.start(victim);
        assertRecovered(victim, floor);
        awaitMoreAcks(40);
        stopWritersAndVerify((killLeader ? "leader " : "follower ") + victim + " crashed");
    }

    private void startClusterAndWriters() {
        cluster = new CrashCluster(dir, List.of(G), random, Duration.ofMillis(10), 10, Duration.ofSeconds(5))
                .startAll();
        cluster.awaitLeader(G);
        writers.add(new Writer(cluster, G, "viaLeader", Via.LEADER).start());
        writers.add(new Writer(cluster, G, "viaFollower", Via.FOLLOWER).start());
    }

    private String otherThan(String leader) {
        List<String> others = new ArrayList<>(CrashCluster.IDS);
        others.remove(leader);
        return others.get(random.nextInt(others.size()));
    }

    /**
     * An index up to which {@code id} certainly holds durable, committed entries: on the leader, its own durable
     * index; on a follower, the match index the leader has for it; either capped by the leader's commit index (so no
     * later leader can legitimately truncate it). Taken just before the crash: durability only grows.
     */
    private long durableCommittedFloor(String id, String leader) {
        GroupStatus s = cluster.status(leader, G);
        long match = s.members().stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow().matchIndex();
        return Math.min(match, s.commitIndex());
    }

    /** The node's next WAL write reaches the page cache, then its disk dies before the force (a torn write). */
    private void crashMidWrite(String id) {
        CrashableFileIo disk = cluster.disk(id);
        disk.crashAfterNextWrite(true);
        await(id + " writes to its WAL").atMost(Duration.ofSeconds(10)).until(disk::crashed);
    }

    private void awaitFailStop(String id) {
        await("storage failure stops every group on " + id).atMost(Duration.ofSeconds(10))
                .until(() -> cluster.groups.stream().noneMatch(g -> cluster.running(id, g)));
        for (String g : cluster.groups) {
            assertThat(cluster.status(id, g).running()).as("status of %s on %s after its disk died", g, id).isFalse();
        }
    }

    private void assertRecovered(String id, long floor) {
        GroupStatus s = cluster.status(id, G);
        assertThat(s.running()).as("%s restarted (seed %d)", id, seed).isTrue();
        assertThat(s.lastLogIndex()).as("%s recovered its durable committed entries (seed %d)", id, seed)
                .isGreaterThanOrEqualTo(floor);
    }

    private void logDamage(String id) {
        LOG.info("crash of {} (seed {}): {}", id, seed, cluster.disk(id).damage());
    }

    private int totalAcks() {
        return writers.stream().mapToInt(Writer::acked).sum();
    }

    private void awaitMoreAcks(int more) {
        int target = totalAcks() + more;
        await("clients acknowledged " + target + " commands (seed " + seed + ")").atMost(Duration.ofSeconds(30))
                .until(() -> totalAcks() >= target);
    }

    private void stopWritersAndVerify(String what) {
        for (Writer w : writers) {
            w.stop();
        }
        String context = what + ", seed " + seed;
        List<String> agreed = cluster.verify(G, writers, context);
        for (Writer w : writers) {
            assertThat(w.unexpected()).as("%s: unexpected client failures of %s", context, w.name).isEmpty();
        }
        LOG.info("{}: {} applied, {} acknowledged, {} failed", context, agreed.size(),
                writers.stream().mapToInt(Writer::acked).sum(), writers.stream().mapToInt(Writer::failed).sum());
    }
}
