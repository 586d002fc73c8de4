package io.raftex.core.sim;

import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.protocol.ProtocolConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scenarios every Raft must survive, after the MIT 6.5840 Raft lab's test list, run in the deterministic
 * simulator (election timeout 200–400 ms of virtual time, heartbeat 50 ms). Every run also checks all invariants
 * as it goes (see {@link Invariants}).
 */
class RaftScenariosTest {

    private static final long ELECTION = 400;
    private static final long SEED = Long.getLong("raft.sim.seed", 7L);

    @Test
    void initialElection() {
        SimCluster c = new SimCluster(3, SEED);
        int leader = c.awaitLeader(2_000);
        long term = c.node(leader).member.term();
        assertThat(term).isGreaterThanOrEqualTo(1);
        c.runFor(4 * ELECTION);
        assertThat(c.leader()).contains(leader);
        assertThat(c.maxTerm()).as("term changes without failures").isEqualTo(term);
    }

    @Test
    void reElection() {
        SimCluster c = new SimCluster(3, SEED);
        int leader1 = c.awaitLeader(2_000);
        c.disconnect(leader1);
        int leader2 = awaitLeaderAmong(c, others(3, leader1), 3 * ELECTION);
        c.connect(leader1);
        c.runFor(2 * ELECTION);
        assertThat(c.leader()).contains(leader2);
        // no quorum: no leader among the connected one
        c.disconnect(leader2);
        c.disconnect((leader2 + 1) % 3);
        c.runFor(4 * ELECTION);
        int alone = (leader2 + 2) % 3;
        assertThat(c.node(alone).member.role()).isNotEqualTo(Role.LEADER);
        c.connect((leader2 + 1) % 3);
        awaitLeaderAmong(c, List.of(alone, (leader2 + 1) % 3), 3 * ELECTION);
        c.connect(leader2);
        c.awaitLeader(3 * ELECTION);
    }

    @Test
    void manyElections() {
        SimCluster c = new SimCluster(7, SEED);
        c.awaitLeader(2_000);
        Random r = new Random(SEED);
        for (int round = 0; round < 10; round++) {
            Set<Integer> down = new HashSet<>();
            while (down.size() < 3) {
                down.add(r.nextInt(7));
            }
            down.forEach(c::disconnect);
            List<Integer> up = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                if (!down.contains(i)) {
                    up.add(i);
                }
            }
            awaitLeaderAmong(c, up, 5 * ELECTION);
            down.forEach(c::connect);
        }
    }

    @Test
    void basicAgree() {
        SimCluster c = new SimCluster(3, SEED);
        c.awaitLeader(2_000);
        c.runFor(100); // let the no-op of the first term commit: commands then start at index 2
        for (int i = 1; i <= 3; i++) {
            long next = c.node(c.leader().get()).disk.lastIndex() + 1;
            assertThat(c.nCommitted(next)).as("committed before start").isZero();
            long index = c.one("cmd" + i, 3, false);
            assertThat(index).isEqualTo(next);
        }
    }

    @Test
    void failAgree() {
        SimCluster c = new SimCluster(3, SEED);
        c.one("101", 3, false);
        int leader = c.leader().get();
        c.disconnect((leader + 1) % 3);
        c.one("102", 2, false);
        c.one("103", 2, false);
        c.runFor(ELECTION);
        c.one("104", 2, false);
        c.connect((leader + 1) % 3);
        c.one("106", 3, true);
        c.runFor(ELECTION);
        c.one("107", 3, true);
    }

    @Test
    void failNoAgree() {
        SimCluster c = new SimCluster(5, SEED);
        c.one("10", 5, false);
        int leader = c.leader().get();
        for (int k = 1; k <= 3; k++) {
            c.disconnect((leader + k) % 5);
        }
        long index = c.node(leader).start(KvMachine.put("one", "20")).orElseThrow();
        c.runFor(2 * ELECTION);
        assertThat(c.nCommitted(index)).as("committed without a majority").isZero();
        for (int k = 1; k <= 3; k++) {
            c.connect((leader + k) % 5);
        }
        c.one("1000", 5, true);
    }

    @Test
    void concurrentStarts() {
        SimCluster c = new SimCluster(3, SEED);
        c.one("warm", 3, false);
        int leader = c.leader().get();
        long term = c.node(leader).member.term();
        List<Long> indexes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            indexes.add(c.node(leader).start(KvMachine.put("one", "c" + i)).orElseThrow());
        }
        c.runUntil(() -> indexes.stream().allMatch(i -> c.nCommitted(i) == 3), 2_000);
        assertThat(c.node(leader).member.term()).isEqualTo(term);
        for (int i = 0; i < 5; i++) {
            assertThat(c.committedPayload(indexes.get(i))).isEqualTo("c" + i);
        }
    }

    @Test
    void rejoin() {
        SimCluster c = new SimCluster(3, SEED);
        c.one("101", 3, true);
        int leader1 = c.leader().get();
        c.disconnect(leader1);
        c.node(leader1).start(KvMachine.put("one", "102"));
        c.node(leader1).start(KvMachine.put("one", "103"));
        c.node(leader1).start(KvMachine.put("one", "104"));
        c.one("103", 2, true);
        int leader2 = c.leader().filter(l -> l != leader1).orElseThrow();
        c.disconnect(leader2);
        c.connect(leader1);
        c.one("104", 2, true);
        c.connect(leader2);
        c.one("105", 3, true);
    }

    @Test
    void backupRollsBackFiftyDivergentEntriesQuickly() {
        SimCluster c = new SimCluster(5, SEED);
        c.one("start", 5, true);
        int leader1 = c.leader().get();
        // leader and one follower in a minority: 50 entries that will never commit
        c.disconnect((leader1 + 2) % 5);
        c.disconnect((leader1 + 3) % 5);
        c.disconnect((leader1 + 4) % 5);
        for (int i = 0; i < 50; i++) {
            c.node(leader1).start(KvMachine.put("one", "lost" + i));
        }
        c.runFor(ELECTION / 2);
        c.disconnect(leader1);
        c.disconnect((leader1 + 1) % 5);
        // the majority side elects, commits 50 of its own
        for (int k = 2; k <= 4; k++) {
            c.connect((leader1 + k) % 5);
        }
        for (int i = 0; i < 50; i++) {
            c.one("kept" + i, 3, true);
        }
        // everybody back: the old minority must roll back its 50 divergent entries
        long rejectionsBefore = c.network.rejections;
        c.connect(leader1);
        c.connect((leader1 + 1) % 5);
        c.one("end", 5, true);
        long rejections = c.network.rejections - rejectionsBefore;
        assertThat(rejections).as("rejected AppendEntries while rolling back 50 entries")
                .isLessThanOrEqualTo(12);
    }

    @Test
    void countMessagesStayBounded() {
        SimCluster c = new SimCluster(3, SEED);
        c.awaitLeader(2_000);
        c.runFor(100);
        long electionMessages = c.network.sent;
        assertThat(electionMessages).as("messages to elect a leader").isLessThan(60);
        long before = c.network.sent;
        for (int i = 0; i < 10; i++) {
            c.one("x" + i, 3, false);
        }
        long perAgreement = (c.network.sent - before) / 10;
        assertThat(perAgreement).as("messages per agreement").isLessThan(40);
        before = c.network.sent;
        long idle = 1_000;
        c.runFor(idle);
        // two followers, a heartbeat and its answer every 50 ms: 80 per idle second, nothing more
        assertThat(c.network.sent - before).as("messages while idle for 1 s").isLessThanOrEqualTo(90);
    }

    @Test
    void persist1() {
        SimCluster c = new SimCluster(3, SEED);
        c.one("11", 3, true);
        for (int i = 0; i < 3; i++) {
            c.restart(i);
        }
        c.one("12", 3, true);
        int leader1 = c.leader().get();
        c.restart(leader1);
        c.one("13", 3, true);
        int leader2 = c.leader().get();
        c.crash(leader2);
        c.one("14", 2, true);
        c.restart(leader2);
        c.runUntil(() -> c.nCommitted(c.node((leader2 + 1) % 3).sessions.lastApplied()) == 3, 4_000);
        int i3 = (c.leader().get() + 1) % 3;
        c.crash(i3);
        c.one("15", 2, true);
        c.restart(i3);
        c.one("16", 3, true);
    }

    @Test
    void persist2() {
        SimCluster c = new SimCluster(5, SEED);
        int index = 1;
        for (int iter = 0; iter < 5; iter++) {
            c.one("a" + index++, 5, true);
            int leader1 = c.leader().get();
            c.crash((leader1 + 1) % 5);
            c.crash((leader1 + 2) % 5);
            c.one("b" + index++, 3, true);
            c.crash(leader1);
            c.crash((leader1 + 3) % 5);
            c.crash((leader1 + 4) % 5);
            c.restart((leader1 + 1) % 5);
            c.restart((leader1 + 2) % 5);
            c.runFor(ELECTION);
            c.restart((leader1 + 3) % 5);
            c.one("c" + index++, 3, true);
            c.restart((leader1 + 4) % 5);
            c.restart(leader1);
        }
        c.one("1000", 5, true);
    }

    @Test
    void persist3() {
        SimCluster c = new SimCluster(3, SEED);
        c.one("101", 3, true);
        int leader = c.leader().get();
        c.disconnect((leader + 2) % 3);
        c.one("102", 2, true);
        c.crash(leader);
        c.crash((leader + 1) % 3);
        c.connect((leader + 2) % 3);
        c.restart(leader);
        c.one("103", 2, true);
        c.restart((leader + 1) % 3);
        c.one("104", 3, true);
    }

    @Test
    void figure8() {
        SimCluster c = new SimCluster(5, SEED);
        Random r = new Random(SEED);
        c.one("start", 1, true);
        int up = 5;
        for (int iter = 0; iter < 300; iter++) {
            var leader = c.leader();
            if (leader.isPresent()) {
                c.node(leader.get()).start(KvMachine.put("one", "f" + iter));
            }
            c.runFor(r.nextInt(10) < 9 ? r.nextInt(40) : r.nextInt((int) ELECTION * 2));
            if (leader.isPresent() && c.node(leader.get()).up) {
                c.crash(leader.get());
                up--;
            }
            if (up < 3) {
                int s = r.nextInt(5);
                if (!c.node(s).up) {
                    c.restart(s);
                    up++;
                }
            }
        }
        for (int i = 0; i < 5; i++) {
            if (!c.node(i).up) {
                c.restart(i);
            }
        }
        c.one("end", 5, true);
    }

    @Test
    void unreliableAgree() {
        SimCluster c = new SimCluster(5, SEED);
        c.network.unreliable();
        SimWorkload w = new SimWorkload(c, 5, 4, 250);
        w.start();
        assertThat(c.runUntil(w::done, 120_000)).isTrue();
        c.network.reliable();
        c.one("end", 5, true);
        assertThat(c.converged() || c.runUntil(c::converged, 5_000)).isTrue();
    }

    @Test
    void figure8Unreliable() {
        SimCluster c = new SimCluster(5, SEED);
        Random r = new Random(SEED);
        c.network.unreliable();
        c.network.longDelayRate = 0.1;
        c.one("start", 1, true);
        for (int iter = 0; iter < 300; iter++) {
            if (iter == 200) {
                c.network.longDelayRate = 0;
            }
            var leader = c.leader();
            if (leader.isPresent()) {
                c.node(leader.get()).start(KvMachine.put("one", "u" + iter));
            }
            c.runFor(r.nextInt(10) < 9 ? r.nextInt(40) : r.nextInt((int) ELECTION * 2));
            if (leader.isPresent() && r.nextInt(1000) < ELECTION / 2) {
                c.disconnect(leader.get());
            }
            if (r.nextInt(3) == 0) {
                c.connect(r.nextInt(5));
            }
        }
        c.healNetwork();
        c.network.reliable();
        c.one("end", 5, true);
    }

    @Test
    void reliableChurn() {
        churn(false);
    }

    @Test
    void unreliableChurn() {
        churn(true);
    }

    private void churn(boolean unreliable) {
        SimCluster c = new SimCluster(5, SEED);
        if (unreliable) {
            c.network.unreliable();
        }
        SimWorkload w = new SimWorkload(c, 3, 4, 400);
        w.start();
        Random r = new Random(SEED);
        for (int iter = 0; iter < 20 && !w.done(); iter++) {
            int victim = r.nextInt(5);
            switch (r.nextInt(4)) {
                case 0 -> c.disconnect(victim);
                case 1 -> c.crash(victim);
                case 2 -> c.restart(victim);
                default -> c.connect(victim);
            }
            c.runFor(r.nextInt(2 * (int) ELECTION));
            for (int i = 0; i < 5; i++) {
                int up = 0;
                for (SimNode n : c.nodes) {
                    up += n.up ? 1 : 0;
                }
                if (up < 3 && !c.node(i).up) {
                    c.restart(i);
                }
            }
        }
        c.healNetwork();
        c.network.reliable();
        for (int i = 0; i < 5; i++) {
            if (!c.node(i).up) {
                c.restart(i);
            }
        }
        assertThat(c.runUntil(w::done, 120_000)).isTrue();
        c.one("end", 5, true);
        for (SimNode n : c.nodes) {
            assertThat(c.invariants.appliedPayloads(n.id)).containsAll(w.acknowledgedWrites);
        }
    }

    // ------------------------------------------------------------------ beyond the lab

    @Test
    void leaderIsolatedInMinorityNeverCommitsNorServesLinearizableReads() {
        SimCluster c = new SimCluster(5, SEED);
        c.one("before", 5, true);
        int old = c.leader().get();
        c.network.split(List.of(c.ids.get(old), c.ids.get((old + 1) % 5)),
                List.of(c.ids.get((old + 2) % 5), c.ids.get((old + 3) % 5), c.ids.get((old + 4) % 5)));
        long commitBefore = c.node(old).member.commitIndex();
        long index = c.node(old).start(KvMachine.put("one", "minority")).orElseThrow();
        AtomicReference<SimNode.Outcome> read = new AtomicReference<>();
        c.node(old).submitRead("one", ReadConsistency.LINEARIZABLE, read::set);
        c.runFor(5 * ELECTION);
        assertThat(c.node(old).member.commitIndex()).isEqualTo(commitBefore);
        assertThat(c.nCommitted(index) == 0 || !c.committedPayload(index).equals("minority")).isTrue();
        assertThat(read.get()).as("a read served by the isolated leader").isNotInstanceOf(SimNode.Outcome.Ok.class);
        c.healNetwork();
        c.one("after", 5, true);
    }

    @Test
    void rejoiningFollowerDoesNotDeposeHealthyLeaderWithPreVote() {
        assertThat(termGrowthAfterIsolatingAFollower(true)).isZero();
    }

    @Test
    void withoutPreVoteARejoiningFollowerDisruptsTheLeader() {
        // the negative control: shows the test above would notice disruption
        assertThat(termGrowthAfterIsolatingAFollower(false)).isPositive();
    }

    private long termGrowthAfterIsolatingAFollower(boolean preVote) {
        ProtocolConfig cfg = ProtocolConfig.defaults().withTiming(20, 5).withPreVote(preVote, preVote);
        SimCluster c = new SimCluster(3, SEED, cfg);
        c.one("x", 3, true);
        int leader = c.leader().get();
        long term = c.node(leader).member.term();
        int follower = (leader + 1) % 3;
        c.disconnect(follower);
        c.runFor(10 * ELECTION);
        c.connect(follower);
        c.runFor(4 * ELECTION);
        c.one("y", 3, true);
        return c.maxTerm() - term;
    }

    @Test
    void checkQuorumMakesAnIsolatedLeaderStepDown() {
        SimCluster c = new SimCluster(3, SEED);
        int leader = c.awaitLeader(2_000);
        c.disconnect(leader);
        boolean steppedDown = c.runUntil(() -> c.node(leader).member.role() != Role.LEADER, 3 * ELECTION);
        assertThat(steppedDown).as("isolated leader stepped down within 3 election timeouts").isTrue();
    }

    @Test
    void retriedCommandAppliesOnceAndAnswersItsFirstResult() {
        SimCluster c = new SimCluster(3, SEED);
        c.awaitLeader(2_000);
        c.runFor(200); // every follower knows the leader, so none turns the command away
        List<String> answers = new ArrayList<>();
        byte[] cas = KvMachine.cas("k", null, "v1");
        // the same command (client 77, sequence 1) sent to every member, as a client retrying would
        for (int i = 0; i < 3; i++) {
            c.node(i).submitCommand(77, 1, 1, cas, o -> {
                if (o instanceof SimNode.Outcome.Ok ok) {
                    answers.add(ok.value());
                }
            });
        }
        c.runUntil(() -> answers.size() == 3, 3_000);
        assertThat(answers).containsExactly("T", "T", "T"); // a second apply would answer F
        for (SimNode n : c.nodes) {
            assertThat(n.kv.get("k")).contains("v1");
            assertThat(c.invariants.appliedCommands(n.id)).containsOnlyOnce("77#1");
        }
    }

    @Test
    void restartedMemberReappliesTheSameCommandsInTheSameOrder() {
        SimCluster c = new SimCluster(3, SEED);
        for (int i = 0; i < 20; i++) {
            c.one("r" + i, 3, true);
        }
        int victim = (c.leader().get() + 1) % 3;
        c.restart(victim);
        c.one("after", 3, true);
        // onApply compared every re-applied entry with the committed log; the state matches too
        assertThat(c.node(victim).kv.get("one")).contains("after");
        assertThat(c.node(victim).sessions.lastApplied()).isEqualTo(c.node(c.leader().get()).sessions.lastApplied());
    }

    @Test
    void followerLearnsTheCommitOfItsForwardedCommandWithoutWaitingForAHeartbeat() {
        // heartbeats only every second: a forwarded command must still be answered within a few message delays
        ProtocolConfig slowHeartbeat = ProtocolConfig.defaults().withTiming(200, 100).withLimits(64, 64 * 1024, 4);
        SimCluster c = new SimCluster(3, SEED, slowHeartbeat);
        int leader = c.awaitLeader(10_000);
        c.runFor(2_500);
        int follower = (leader + 1) % 3;
        for (int i = 1; i <= 20; i++) {
            long[] answeredAt = {-1};
            long start = c.scheduler.now();
            c.node(follower).submitCommand(4242, i, i, KvMachine.put("k", "v" + i), o -> {
                if (o instanceof SimNode.Outcome.Ok) {
                    answeredAt[0] = c.scheduler.now();
                }
            });
            assertThat(c.runUntil(() -> answeredAt[0] >= 0, 5_000)).isTrue();
            assertThat(answeredAt[0] - start).as("command %d, forwarded by a follower", i)
                    .isLessThan(100); // messages take 1-5 ms, disks 1-3 ms; one heartbeat interval is 1,000 ms
        }
    }

    // ------------------------------------------------------------------ helpers

    private static int awaitLeaderAmong(SimCluster c, List<Integer> candidates, long maxMillis) {
        boolean ok = c.runUntil(() -> candidates.stream().anyMatch(i -> c.node(i).up
                && c.node(i).member.role() == Role.LEADER
                && candidates.stream().allMatch(j -> c.node(j).member.term() <= c.node(i).member.term())), maxMillis);
        assertThat(ok).as("a leader among " + candidates + "\n  " + c.describe()).isTrue();
        return candidates.stream().filter(i -> c.node(i).member.role() == Role.LEADER)
                .max((a, b) -> Long.compare(c.node(a).member.term(), c.node(b).member.term())).orElseThrow();
    }

    private static List<Integer> others(int n, int except) {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i != except) {
                list.add(i);
            }
        }
        return list;
    }
}
