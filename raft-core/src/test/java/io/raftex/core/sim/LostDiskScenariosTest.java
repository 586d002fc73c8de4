package io.raftex.core.sim;

import io.raftex.core.Member;
import io.raftex.core.Membership;
import io.raftex.core.ReadConsistency;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scenario on the real runtime in virtual time (docs/operations.md, "A node lost its volume"): a
 * follower is cut off; a write is acknowledged by the leader and the other follower; that follower loses its disk
 * and restarts under the same id; the leader dies. The two survivors must not elect a leader without the write (the
 * invariants would see a leader lacking a committed entry); once the leader is back, the write is read and the
 * emptied member is bound to its new incarnation, caught up and promoted.
 */
@ExtendWith(QuietRuntimeLogs.ForClass.class)
class LostDiskScenariosTest {

    private static final long SEED = Long.getLong("raft.sim.seed", 11L);

    @Test
    void anAcknowledgedWriteSurvivesAFollowersLostDiskAndTheLeadersCrash() {
        RuntimeCluster c = new RuntimeCluster(3, SEED, Duration.ofMillis(1_500));
        assertThat(c.runUntil(c::converged, 3_000)).as("a leader, followed by all\n  %s", c.describe()).isTrue();
        int l = c.leader().orElseThrow();
        int away = (l + 1) % 3;
        int emptied = (l + 2) % 3;
        RuntimeNode leader = c.node(l);

        c.disconnect(away);
        CompletableFuture<byte[]> write = leader.runtime.command(KvMachine.put("k", "acknowledged"));
        assertThat(c.runUntil(write::isDone, 3_000)).as("the write is answered\n  %s", c.describe()).isTrue();
        assertThat(write).isCompleted();

        c.node(emptied).crash();
        c.node(emptied).wipe();
        c.start(emptied);
        c.crash(l);
        c.healNetwork();
        c.runFor(5_000);
        assertThat(c.leader()).as("no leader without the acknowledged write\n  %s", c.describe()).isEmpty();
        assertThat(status(c, emptied).incarnationBound()).isFalse();

        c.start(l);
        assertThat(c.runUntil(() -> c.converged() && bound(c, emptied), 10_000))
                .as("converged, the emptied member bound and a voter again\n  %s", c.describe()).isTrue();
        for (int i = 0; i < 3; i++) {
            CompletableFuture<String> read = c.node(i).runtime.query(
                    sm -> ((RuntimeNode.Machine) sm).get("k"), ReadConsistency.LINEARIZABLE);
            assertThat(c.runUntil(read::isDone, 3_000)).isTrue();
            assertThat(read).as("read on %s", c.node(i).id).isCompletedWithValue("acknowledged");
        }
        assertThat(c.invariants.everApplied(new String(KvMachine.put("k", "acknowledged"), StandardCharsets.UTF_8)))
                .isTrue();
    }

    /** Member {@code i}'s status, computed on its (simulated) group thread. */
    private static io.raftex.core.GroupStatus status(RuntimeCluster c, int i) {
        CompletableFuture<io.raftex.core.GroupStatus> f = c.node(i).runtime.statusAsync();
        c.runUntil(f::isDone, 1_000);
        return f.join();
    }

    /** The leader's configuration binds member {@code i}'s current disk as a voter, and the member knows it. */
    private static boolean bound(RuntimeCluster c, int i) {
        RuntimeNode n = c.node(i);
        if (!n.serving() || !status(c, i).incarnationBound()) {
            return false;
        }
        Member m = c.configOf(c.leader().orElseThrow()).member(n.id).orElseThrow();
        return m.incarnation() == n.diskIncarnation && m.membership() == Membership.VOTER;
    }
}
