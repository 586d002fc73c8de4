package io.raftex.core.sim;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.NoLeaderException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.ForwardCommand;
import io.raftex.core.message.ForwardCommandResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.ReadIndexResponse;
import io.raftex.core.message.VoteRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Targeted scenarios of the runtime mode: three real {@link io.raftex.core.runtime.GroupRuntime}s in virtual time,
 * with messages held back and delivered by hand where the scenario needs an exact order. Each one pins an answer
 * the runtime must never give: "not carried out" ({@link NoLeaderException}, {@link GroupStoppedException}) for a
 * command that may be, and here is, in a leader's log; or a linearizable read served from an answer meant for an
 * earlier incarnation. Every scenario also shows that the command was in fact applied, so the untrue answer would
 * have been a lie, not a conservative guess. All invariants are checked as they run.
 */
@ExtendWith(QuietRuntimeLogs.ForClass.class)
class RuntimeScenariosTest {

    private static final long SEED = Long.getLong("raft.sim.seed", 7L);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(1_500);

    // ------------------------------------------------------------------ a stop while commands are in flight

    @Test
    void leaderStoppedWhileItsCommandIsAppendedButNotCommittedAnswersUnknown() {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        RuntimeNode leader = c.node(l);
        // the followers append and acknowledge, but the acknowledgements never reach the leader: nothing commits
        c.network.hold(m -> m instanceof AppendEntriesResponse && m.to().equals(leader.id));
        byte[] payload = KvMachine.put("a", "stop-leader");
        CompletableFuture<byte[]> f = leader.runtime.command(payload);
        assertThat(c.runUntil(() -> othersHold(c, l, payload), 500)).as("the followers appended the command").isTrue();
        c.runFor(50);
        assertThat(f).as("not committed yet").isNotDone();

        c.close(l);

        assertUnknown(f, "a command appended by the leader and not yet committed, when its group stops");
        // and it does take effect: the others hold it and elect a leader that commits it
        c.network.holdNothing();
        c.network.held.clear();
        c.start(l);
        assertThat(c.runUntil(c::converged, 5_000)).as("converged\n  %s", c.describe()).isTrue();
        assertThat(c.invariants.everApplied(text(payload))).as("the command was applied after all").isTrue();
    }

    @Test
    void followerStoppedWhileItsForwardedCommandIsAcceptedButNotCommittedAnswersUnknown() {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        int fi = (l + 1) % 3;
        RuntimeNode leader = c.node(l);
        RuntimeNode follower = c.node(fi);
        c.network.hold(m -> m instanceof AppendEntriesResponse && m.to().equals(leader.id));
        byte[] payload = KvMachine.put("a", "stop-forwarded");
        CompletableFuture<byte[]> f = follower.runtime.command(payload);
        assertThat(c.runUntil(() -> othersHold(c, fi, payload) && leader.disk.durableTermAt(leader.disk.lastIndex())
                == leader.disk.termAt(leader.disk.lastIndex()), 500)).as("the leader appended it").isTrue();
        c.runFor(30); // the leader's acceptance reaches the follower
        assertThat(f).as("not committed yet").isNotDone();

        c.close(fi);

        assertUnknown(f, "a forwarded command the leader accepted, when the forwarding member's group stops");
        c.network.holdNothing();
        c.network.held.clear();
        c.start(fi);
        assertThat(c.runUntil(c::converged, 5_000)).as("converged\n  %s", c.describe()).isTrue();
        assertThat(c.invariants.everApplied(text(payload))).as("the command was applied after all").isTrue();
    }

    @Test
    void followerStoppedWhileItsForwardedCommandIsInFlightAnswersUnknown() {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        int fi = (l + 1) % 3;
        RuntimeNode follower = c.node(fi);
        c.network.hold(m -> m instanceof ForwardCommand && m.from().equals(follower.id));
        byte[] payload = KvMachine.put("a", "stop-in-flight");
        CompletableFuture<byte[]> f = follower.runtime.command(payload);
        ForwardCommand inFlight = awaitHeld(c, ForwardCommand.class, m -> m.from().equals(follower.id), 100);

        c.close(fi);

        assertUnknown(f, "a forwarded command still on its way to the leader, when the forwarding member's group"
                + " stops");
        // the message arrives after all, and the leader appends and commits it
        c.network.holdNothing();
        c.network.deliverNow(inFlight);
        c.start(fi);
        assertThat(c.runUntil(c::converged, 5_000)).as("converged\n  %s", c.describe()).isTrue();
        assertThat(c.invariants.everApplied(text(payload))).as("the command was applied after all").isTrue();
    }

    /** The control: a command that never left a member that knows no leader is "not carried out" at a stop. */
    @Test
    void memberStoppedWithACommandNoLeaderTookSaysNotCarriedOut() {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        int fi = (l + 1) % 3;
        RuntimeNode follower = c.node(fi);
        c.disconnect(fi);
        assertThat(c.runUntil(() -> follower.metrics().leaderId().isEmpty(), 2_000)).as("lost the leader").isTrue();
        byte[] payload = KvMachine.put("a", "stop-no-leader");
        CompletableFuture<byte[]> f = follower.runtime.command(payload);
        c.runFor(100);

        c.close(fi);

        assertThat(RuntimeCluster.failureOf(f)).as("answer to a command no leader ever saw, at a stop")
                .isInstanceOfAny(GroupStoppedException.class, NoLeaderException.class);
        c.healNetwork();
        c.start(fi);
        assertThat(c.runUntil(c::converged, 5_000)).as("converged\n  %s", c.describe()).isTrue();
        c.runFor(1_000);
        assertThat(c.invariants.everApplied(text(payload))).as("the command was never applied").isFalse();
    }

    // ------------------------------------------------------------------ duplicated forwarded commands

    /**
     * A forwarded command is duplicated on the way: the leader appends the first copy and turns the second down
     * (it is handing leadership over). With the refusal arriving first, the forwarding member must still know that
     * the command may be, and here is, in the log. It then loses the leader (the transfer's election reaches it, the
     * new leader's messages do not), so every retry is turned down locally until the deadline.
     */
    @ParameterizedTest(name = "refusal arrives first: {0}")
    @ValueSource(booleans = {true, false})
    void duplicatedForwardAppendedOnceAndRefusedByALaterCopyIsNotAnsweredAsNotCarriedOut(boolean refusalFirst) {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        RuntimeNode leader = c.node(l);
        RuntimeNode follower = c.node((l + 1) % 3);
        RuntimeNode other = c.node((l + 2) % 3);
        MemberId f = follower.id;
        c.network.hold(m -> m instanceof ForwardCommand || m.to().equals(f));
        byte[] payload = KvMachine.put("d", "dup-" + refusalFirst);
        CompletableFuture<byte[]> answer = follower.runtime.command(payload);
        ForwardCommand copy = awaitHeld(c, ForwardCommand.class, m -> m.from().equals(f), 100);

        c.network.deliverNow(copy); // the first copy: appended
        ForwardCommandResponse accepted = awaitHeld(c, ForwardCommandResponse.class, ForwardCommandResponse::accepted,
                100);
        leader.runtime.transferLeadership(other.id);
        c.network.deliverNow(copy); // the second copy, behind the transfer: turned down
        ForwardCommandResponse refused = awaitHeld(c, ForwardCommandResponse.class, m -> !m.accepted(), 100);
        VoteRequest vote = awaitHeld(c, VoteRequest.class, m -> m.from().equals(other.id), 1_000);
        assertThat(refused.term()).as("refused in the term it was appended in").isEqualTo(accepted.term());

        if (refusalFirst) {
            c.network.deliverNow(refused);
            c.network.deliverNow(accepted);
        } else {
            c.network.deliverNow(accepted);
            c.network.deliverNow(refused);
        }
        c.network.deliverNow(vote); // a new term with no leader known: retries are turned down at home

        assertThat(c.runUntil(answer::isDone, COMMAND_TIMEOUT.toMillis() + 500)).as("answered").isTrue();
        assertUnknown(answer, "a forwarded command appended once and refused by a later copy (refusal first: "
                + refusalFirst + ")");
        c.network.holdNothing();
        c.network.held.clear();
        assertThat(c.runUntil(c::converged, 5_000)).as("converged\n  %s", c.describe()).isTrue();
        assertThat(c.invariants.everApplied(text(payload))).as("the command was applied").isTrue();
    }

    // ------------------------------------------------------------------ late answers across a restart

    /**
     * A follower's read gets its read index, but the answer is held back; x is then set to 2 and acknowledged; the
     * follower's group restarts and hears only heartbeats, so it applies x = 1 but not x = 2. A new linearizable read
     * on the new incarnation must not be served by the late answer meant for the old one (which would read x = 1).
     */
    @Test
    void lateReadIndexResponseFromBeforeARestartDoesNotServeARequestOfTheNewIncarnation() {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        int fi = (l + 1) % 3;
        RuntimeNode leader = c.node(l);
        RuntimeNode follower = c.node(fi);
        MemberId f = follower.id;
        write(c, leader, KvMachine.put("x", "1"));
        assertThat(c.runUntil(c::converged, 2_000)).isTrue();

        c.network.hold(m -> m instanceof ReadIndexResponse && m.to().equals(f));
        follower.runtime.query(sm -> ((RuntimeNode.Machine) sm).get("x"), ReadConsistency.LINEARIZABLE);
        ReadIndexResponse late = awaitHeld(c, ReadIndexResponse.class, ReadIndexResponse::success, 200);

        c.network.hold(m -> m.to().equals(f));
        write(c, leader, KvMachine.put("x", "2"));
        long x2 = indexOf(leader.disk, KvMachine.put("x", "2"));

        c.close(fi);
        c.network.held.clear();
        c.start(fi);
        c.network.hold(m -> m.to().equals(f) && !(m instanceof AppendEntriesRequest a && a.entries().isEmpty()));
        assertThat(c.runUntil(() -> follower.serving() && follower.metrics().leaderId().equals(
                        java.util.Optional.of(leader.id.value())) && follower.metrics().lastApplied() >= late.readIndex(),
                2_000)).as("the new incarnation follows the leader and applied x = 1\n  %s", c.describe()).isTrue();
        assertThat(follower.metrics().lastApplied()).as("it has not applied x = 2").isLessThan(x2);

        CompletableFuture<String> read = follower.runtime.query(sm -> ((RuntimeNode.Machine) sm).get("x"),
                ReadConsistency.LINEARIZABLE);
        c.runFor(1);
        c.network.deliverNow(late);
        c.runFor(20);
        c.network.holdNothing();
        c.network.held.clear();

        assertThat(c.runUntil(read::isDone, 3_000)).as("answered").isTrue();
        assertThat(RuntimeCluster.failureOf(read)).as("the read failed").isNull();
        assertThat(read.join()).as("a linearizable read that started after x = 2 was acknowledged").isEqualTo("2");
    }

    /**
     * The first incarnation of a follower forwards a command that the leader turns down (it is trying to hand
     * leadership to a member it cannot reach, and then leads on in the same term); the refusal is held back. The
     * follower's group restarts, and its first command is forwarded and appended, its acceptance lost. When the late
     * refusal arrives, and the follower then loses the leader, the new command must not end as "not carried out".
     */
    @Test
    void lateForwardRefusalFromBeforeARestartDoesNotAnswerACommandOfTheNewIncarnation() {
        RuntimeCluster c = cluster();
        int l = c.leader().orElseThrow();
        int fi = (l + 1) % 3;
        RuntimeNode leader = c.node(l);
        RuntimeNode follower = c.node(fi);
        RuntimeNode other = c.node((l + 2) % 3);
        MemberId f = follower.id;
        long term = leader.metrics().term();

        // first incarnation: a command refused by a leader that is handing over to a member it cannot reach (cut
        // off both ways, so that it cannot stand for election while the follower restarts either)
        c.network.hold(m -> (m instanceof ForwardCommand && m.from().equals(f))
                || (m instanceof ForwardCommandResponse && m.to().equals(f)));
        c.disconnect((l + 2) % 3);
        follower.runtime.command(KvMachine.put("s", "first-incarnation"));
        ForwardCommand first = awaitHeld(c, ForwardCommand.class, m -> m.from().equals(f), 100);
        CompletableFuture<Void> transfer = leader.runtime.transferLeadership(other.id);
        c.network.deliverNow(first);
        ForwardCommandResponse lateRefusal = awaitHeld(c, ForwardCommandResponse.class, m -> !m.accepted(), 100);
        assertThat(c.runUntil(transfer::isDone, 5_000)).as("the transfer gave up").isTrue();
        c.close(fi);
        c.network.holdNothing();
        c.network.held.clear();
        c.start(fi);
        assertThat(c.runUntil(() -> follower.serving() && follower.metrics().leaderId().equals(
                java.util.Optional.of(leader.id.value())), 1_000)).as("the new incarnation follows the leader").isTrue();
        c.healNetwork();
        assertThat(c.runUntil(c::converged, 3_000)).as("converged\n  %s", c.describe()).isTrue();
        c.runFor(500); // the leader's last transfer attempt runs out
        assertThat(c.leader()).as("the same leader").contains(l);
        assertThat(leader.metrics().term()).as("in the same term as the late refusal").isEqualTo(term)
                .isEqualTo(lateRefusal.term());

        // second incarnation: its first command is appended and committed; the follower hears none of it
        c.network.hold(m -> m.to().equals(f) || (m instanceof ForwardCommand && m.from().equals(f)));
        byte[] payload = KvMachine.put("s", "second-incarnation");
        CompletableFuture<byte[]> answer = follower.runtime.command(payload);
        c.network.deliverNow(awaitHeld(c, ForwardCommand.class, m -> m.from().equals(f), 100));
        assertThat(c.runUntil(() -> c.invariants.appliedPayloads(other.id).contains(text(payload)), 1_000))
                .as("the new command committed").isTrue();
        leader.runtime.transferLeadership(other.id);
        VoteRequest vote = awaitHeld(c, VoteRequest.class, m -> m.from().equals(other.id), 1_000);
        c.network.deliverNow(lateRefusal);
        c.network.deliverNow(vote); // a new term with no leader known: retries are turned down at home

        assertThat(c.runUntil(answer::isDone, COMMAND_TIMEOUT.toMillis() + 500)).as("answered").isTrue();
        assertUnknown(answer, "a command whose forwarded copy was appended, after a late refusal meant for the"
                + " previous incarnation");
        c.network.holdNothing();
        c.network.held.clear();
        assertThat(c.runUntil(c::converged, 5_000)).as("converged\n  %s", c.describe()).isTrue();
        assertThat(c.invariants.everApplied(text(payload))).as("the command was applied").isTrue();
    }

    // ------------------------------------------------------------------ helpers

    private static RuntimeCluster cluster() {
        RuntimeCluster c = new RuntimeCluster(3, SEED, COMMAND_TIMEOUT);
        assertThat(c.runUntil(c::converged, 3_000)).as("a leader, followed by all\n  %s", c.describe()).isTrue();
        assertThat(c.leader().map(i -> c.node(i).metrics().role())).contains(Role.LEADER);
        return c;
    }

    private static void write(RuntimeCluster c, RuntimeNode node, byte[] payload) {
        CompletableFuture<byte[]> f = node.runtime.command(payload);
        assertThat(c.runUntil(f::isDone, 2_000)).as("write %s answered", text(payload)).isTrue();
        assertThat(RuntimeCluster.failureOf(f)).as("write %s", text(payload)).isNull();
    }

    private static <M extends RaftMessage> M awaitHeld(RuntimeCluster c, Class<M> type, Predicate<M> p,
                                                      long maxMillis) {
        Predicate<RaftMessage> match = m -> type.isInstance(m) && p.test(type.cast(m));
        boolean found = c.runUntil(() -> c.network.held.stream().anyMatch(match), maxMillis);
        assertThat(found).as("a %s held back within %d ms\n  %s", type.getSimpleName(), maxMillis, c.describe())
                .isTrue();
        List<RaftMessage> taken = c.network.takeHeld(match);
        return type.cast(taken.get(0));
    }

    /** Whether every member but {@code except} has the command in its log. */
    private static boolean othersHold(RuntimeCluster c, int except, byte[] payload) {
        for (int i = 0; i < c.nodes.size(); i++) {
            if (i != except && indexOf(c.node(i).disk, payload) < 0) {
                return false;
            }
        }
        return true;
    }

    private static long indexOf(InMemoryGroupLog disk, byte[] payload) {
        for (long i = disk.lastIndex(); i >= 1; i--) {
            if (java.util.Arrays.equals(disk.entry(i).payload(), payload)) {
                return i;
            }
        }
        return -1;
    }

    private static void assertUnknown(CompletableFuture<?> f, String what) {
        assertThat(f).as("answered: " + what).isDone();
        Throwable t = RuntimeCluster.failureOf(f);
        assertThat(t).as("the answer to " + what + " (NoLeaderException or GroupStoppedException would say it was"
                        + " not carried out)")
                .isInstanceOf(CommandOutcomeUnknownException.class);
    }

    private static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
