package io.raftex.core.runtime;

import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.RaftGroup;
import io.raftex.core.Role;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Three real nodes, each hosting five groups that share the node's one {@link io.raftex.core.log.LogStorage} (one WAL
 * with group commit, one MapDB file: that is how {@link DurableStorageProvider} works), under load in every group at
 * once. Leaders are spread so that every node leads some groups and follows in others.
 *
 * <ul>
 *   <li>every group commits in parallel; each group's applied list is its own (only its commands), and every member
 *       of a group agrees on it, with every acknowledged command exactly once at the position it was told;</li>
 *   <li>a node that leads two groups and follows in three is stopped mid-write and restarted: all its groups recover
 *       from the shared data directory and catch up, and afterwards it works both as a leader and as a follower;</li>
 *   <li>a WAL failure on one node (its {@link CrashableFileIo} dies) stops every group on that node, since they share
 *       the WAL, while the other two nodes keep serving every group; the failed node then restarts and catches up.</li>
 * </ul>
 */
class ManyGroupsTest {

    private static final Logger LOG = LoggerFactory.getLogger(ManyGroupsTest.class);
    private static final List<String> GROUPS = List.of("g0", "g1", "g2", "g3", "g4");
    private static final Duration CLOSE_LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private long seed;
    private Random random;
    private CrashCluster cluster;
    private final Map<String, List<Writer>> writers = new LinkedHashMap<>();

    @BeforeEach
    void seed() {
        seed = Long.getLong("raftex.seed", System.nanoTime());
        random = new Random(seed);
        LOG.info("ManyGroupsTest seed {}", seed);
    }

    @AfterEach
    void tearDown() {
        CrashCluster.tearDown(writers.values().stream().flatMap(List::stream).toList(), cluster);
    }

    @Test
    void everyGroupCommitsIndependentlyAndAllGroupsOfARestartedNodeRecoverFromTheSharedStorage() throws Exception {
        startAndSpreadLeaders();
        String victim = "n1"; // leads g0 and g3, follows in g1, g2, g4
        assertSharedStorage(victim);
        startWriters();
        awaitMoreAcksInEveryGroup(30);

        Map<String, GroupStatus> before = new HashMap<>();
        for (String g : GROUPS) {
            before.put(g, cluster.status(victim, g));
        }
        // what it is stopped as: a leader in some groups, a follower in others (as placed; an election may move one)
        List<Role> roles = GROUPS.stream().map(g -> before.get(g).role()).toList();
        LOG.info("{} before the restart (seed {}): {}", victim, seed, roles);
        assertThat(roles).as("roles of %s in %s", victim, GROUPS).contains(Role.LEADER, Role.FOLLOWER);

        // stopped mid-write in every group; the others elect leaders for g0 and g3 and go on everywhere
        cluster.closeNode(victim, CLOSE_LIMIT);
        awaitMoreAcksInEveryGroup(20);

        cluster.start(victim);
        for (String g : GROUPS) {
            GroupStatus s = cluster.status(victim, g);
            assertThat(s.running()).as("%s on restarted %s", g, victim).isTrue();
            assertThat(s.lastLogIndex()).as("%s on %s recovered its log from the shared storage (it had applied %d)",
                    g, victim, before.get(g).lastApplied()).isGreaterThanOrEqualTo(before.get(g).lastApplied());
        }
        assertSharedStorage(victim);
        awaitMoreAcksInEveryGroup(20);

        // after recovery the node leads a group again and serves as a follower in another (the transfer is done
        // with the writers stopped: see LeadershipTransferUnderLoadTest for a transfer under load)
        stopWriters();
        moveLeader("g0", victim);
        moveLeader("g1", "n2");
        RaftGroup<String, Integer> asLeader = cluster.group(victim, "g0");
        RaftGroup<String, Integer> asFollower = cluster.group(victim, "g1");
        assertThat(asLeader.status().role()).isEqualTo(Role.LEADER);
        assertThat(asFollower.status().role()).isEqualTo(Role.FOLLOWER);
        assertThat(asLeader.command("extra-g0").get(10, TimeUnit.SECONDS)).isPositive();
        assertThat(asFollower.command("extra-g1").get(10, TimeUnit.SECONDS)).isPositive();

        stopWritersAndVerify("restart of " + victim, Map.of("g0", "extra-g0", "g1", "extra-g1"));
    }

    @Test
    void aWalFailureStopsEveryGroupOnThatNodeWhileTheOtherNodesKeepServing() throws Exception {
        startAndSpreadLeaders();
        String victim = "n2"; // leads g1 and g4, follows in g0, g2, g3
        startWriters();
        awaitMoreAcksInEveryGroup(30);

        CrashableFileIo disk = cluster.disk(victim);
        disk.crashAfterNextWrite(false);
        await("a WAL write on " + victim).atMost(Duration.ofSeconds(10)).until(disk::crashed);

        // one WAL for all groups: every group on the node stops, whether it led or followed
        await("every group on " + victim + " stops").atMost(Duration.ofSeconds(10))
                .until(() -> GROUPS.stream().noneMatch(g -> cluster.running(victim, g)));
        for (String g : GROUPS) {
            RaftGroup<String, Integer> stopped = cluster.group(victim, g);
            assertThat(stopped.status().running()).as("%s on %s", g, victim).isFalse();
            assertThatThrownBy(() -> stopped.command("refused").get(10, TimeUnit.SECONDS))
                    .as("%s on %s refuses commands", g, victim)
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(GroupStoppedException.class);
        }
        assertThat(cluster.storage(victim).storage().failure()).as("storage of %s", victim).isNotNull()
                .hasMessageContaining("injected");

        // the other two serve every group: a leader each, on n1 or n3, and commands keep committing
        for (String g : GROUPS) {
            String leader = cluster.awaitLeader(g);
            assertThat(leader).as("leader of %s", g).isNotEqualTo(victim);
        }
        awaitMoreAcksInEveryGroup(20);
        for (String id : List.of("n1", "n3")) {
            for (String g : GROUPS) {
                assertThat(cluster.running(id, g)).as("%s on %s", g, id).isTrue();
            }
        }

        // the failed node closes without hanging, restarts on its directory, and catches up in every group
        cluster.closeNode(victim, CLOSE_LIMIT);
        cluster.start(victim);
        awaitMoreAcksInEveryGroup(20);
        stopWritersAndVerify("WAL failure on " + victim, Map.of());
    }

    // ------------------------------------------------------------------ helpers

    private void startAndSpreadLeaders() {
        cluster = new CrashCluster(dir, GROUPS, random, Duration.ofMillis(10), 20, Duration.ofSeconds(8)).startAll();
        for (int i = 0; i < GROUPS.size(); i++) {
            moveLeader(GROUPS.get(i), CrashCluster.IDS.get(i % CrashCluster.IDS.size()));
        }
        // leaders on different nodes, as each node's own status() says
        Map<String, String> leaders = new LinkedHashMap<>();
        for (String g : GROUPS) {
            for (String id : CrashCluster.IDS) {
                if (cluster.status(id, g).isLeader()) {
                    leaders.put(g, id);
                }
            }
        }
        LOG.info("leaders (seed {}): {}", seed, leaders);
        assertThat(new HashSet<>(leaders.values())).as("leaders %s", leaders)
                .containsExactlyInAnyOrderElementsOf(CrashCluster.IDS);
    }

    /** Hands the leadership of {@code group} to {@code target}, retrying through elections that get in the way. */
    private void moveLeader(String group, String target) {
        await("leader of " + group + " moves to " + target).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    Optional<String> leader = cluster.stableLeader(group);
                    if (leader.isEmpty()) {
                        return false;
                    }
                    if (leader.get().equals(target)) {
                        return true;
                    }
                    try {
                        cluster.group(leader.get(), group).transferLeadership(MemberId.of(target))
                                .get(3, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        LOG.info("transfer of {} to {} did not complete yet: {}", group, target, e.toString());
                    }
                    return cluster.stableLeader(group).equals(Optional.of(target));
                });
    }

    /** One LogStorage holds every group of the node: its state file lists them all; one WAL, one segment directory. */
    private void assertSharedStorage(String id) {
        assertThat(cluster.storage(id).storage().storedGroups()).containsAll(GROUPS);
        assertThat(cluster.dataDir(id).resolve("wal")).isDirectory();
        assertThat(cluster.dataDir(id).resolve("state.db")).isRegularFile();
        assertThat(cluster.dataDir(id).resolve("segments")).isDirectory();
    }

    private void startWriters() {
        for (String g : GROUPS) {
            writers.put(g, List.of(new Writer(cluster, g, g + "-viaLeader", Via.LEADER).start(),
                    new Writer(cluster, g, g + "-viaFollower", Via.FOLLOWER).start()));
        }
    }

    private int acks(String group) {
        return writers.get(group).stream().mapToInt(Writer::acked).sum();
    }

    private void awaitMoreAcksInEveryGroup(int more) {
        Map<String, Integer> target = new HashMap<>();
        for (String g : GROUPS) {
            target.put(g, acks(g) + more);
        }
        await("every group acknowledges " + more + " more commands (seed " + seed + ")")
                .atMost(Duration.ofSeconds(30)).until(() -> GROUPS.stream().allMatch(g -> acks(g) >= target.get(g)));
    }

    private void stopWriters() {
        for (List<Writer> ws : writers.values()) {
            for (Writer w : ws) {
                w.stop();
            }
        }
    }

    private void stopWritersAndVerify(String what, Map<String, String> extra) {
        stopWriters();
        List<Writer> all = new ArrayList<>();
        writers.values().forEach(all::addAll);
        String context = what + ", seed " + seed;
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String g : GROUPS) {
            List<String> agreed = cluster.verify(g, writers.get(g), context, extra.containsKey(g)
                    ? List.of(extra.get(g)) : List.of());
            for (String c : agreed) {
                assertThat(c.startsWith(g + "-") || c.equals(extra.get(g)))
                        .as("%s: group %s holds only its own commands, found '%s'", context, g, c).isTrue();
            }
            sizes.put(g, agreed.size());
        }
        for (Writer w : all) {
            assertThat(w.unexpected()).as("%s: unexpected client failures of %s", context, w.name).isEmpty();
        }
        LOG.info("{}: applied per group {}", context, sizes);
    }
}
