package io.raftex.core.runtime;

import io.raftex.core.MemberId;
import io.raftex.core.runtime.CrashCluster.Writer;
import io.raftex.core.runtime.CrashCluster.Writer.Via;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leadership transfer while clients keep writing (found while writing {@link ManyGroupsTest}). Raft thesis §3.10:
 * once the target has caught up the leader sends it TimeoutNow, and meanwhile "the prior leader should stop accepting
 * new client requests"; otherwise the leader appends entries after the TimeoutNow, the third member holds them too,
 * and it refuses its vote to the target, whose log is now behind: the transfer fails (after costing an election).
 */
class LeadershipTransferUnderLoadTest {

    private static final String G = "g";

    @TempDir
    Path dir;

    private CrashCluster cluster;
    private final List<Writer> writers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        CrashCluster.tearDown(writers, cluster);
    }

    @Test
    void aTransferSucceedsWhileClientsKeepWriting() throws Exception {
        long seed = System.nanoTime();
        // an election timeout of 500 ms: the leader gives a transfer one election timeout, which must not run out on a
        // loaded machine before the target has caught up (the rule under test does not depend on it)
        cluster = new CrashCluster(dir, List.of(G), new Random(seed), Duration.ofMillis(10), 50,
                Duration.ofSeconds(5)).startAll();
        cluster.awaitLeader(G);
        writers.add(new Writer(cluster, G, "viaLeader", Via.LEADER).start());
        writers.add(new Writer(cluster, G, "viaFollower", Via.FOLLOWER).start());
        for (int round = 0; round < 3; round++) {
            int target = writers.stream().mapToInt(Writer::acked).sum() + 40;
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> writers.stream().mapToInt(Writer::acked).sum() >= target);
            String leader = cluster.awaitLeader(G);
            String next = CrashCluster.IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            // the leader abandons the transfer after an election timeout; it must not fail because of the load
            cluster.group(leader, G).transferLeadership(MemberId.of(next)).get(10, TimeUnit.SECONDS);
            assertThat(cluster.awaitLeader(G)).as("round %d, seed %d", round, seed).isEqualTo(next);
        }
        for (Writer w : writers) {
            w.stop();
        }
        cluster.verify(G, writers, "transfers under load, seed " + seed);
    }
}
