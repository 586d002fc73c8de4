package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.Membership;
import io.raftex.core.Role;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LeadershipTransfers} on a virtual clock, against a core that records what it is asked. */
class LeadershipTransfersTest {

    private static final long GIVE_UP = 1_050;
    private static final long ASK_AGAIN = 150;

    private final MemberId a = MemberId.of("a");
    private final MemberId b = MemberId.of("b");
    private final RecordingCore core = new RecordingCore();
    private final LeadershipTransfers transfers = new LeadershipTransfers("g", a, core, new Answers(Runnable::run),
            GIVE_UP, ASK_AGAIN);
    private final long now = 1_000;

    /** The core as a test sets it; records each transfer asked of it, and then pursues it. */
    static final class RecordingCore implements LeadershipTransfers.Core {
        Role role = Role.LEADER;
        Optional<MemberId> leader = Optional.of(MemberId.of("a"));
        ClusterConfig config = new ClusterConfig(List.of(Member.voter("a", "a:1"), Member.voter("b", "b:1"),
                new Member(MemberId.of("n"), "n:1", Membership.NON_VOTER)));
        Optional<MemberId> transferTarget = Optional.empty();
        final List<MemberId> asked = new ArrayList<>();

        @Override
        public Role role() {
            return role;
        }

        @Override
        public Optional<MemberId> leader() {
            return leader;
        }

        @Override
        public ClusterConfig config() {
            return config;
        }

        @Override
        public Optional<MemberId> transferTarget() {
            return transferTarget;
        }

        @Override
        public void transferLeadership(MemberId target) {
            asked.add(target);
            transferTarget = Optional.of(target);
        }
    }

    private CompletableFuture<Void> start(MemberId target) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        transfers.start(target, f, now);
        return f;
    }

    @Test
    void aTransferIsAnsweredOnceTheTargetLeads() {
        CompletableFuture<Void> f = start(b);
        assertThat(core.asked).containsExactly(b);
        assertThat(f).isNotDone();
        core.role = Role.FOLLOWER;
        core.leader = Optional.of(b);
        transfers.sweep(now + 10, true);
        assertThat(f).isCompletedWithValue(null);
        assertThat(transfers.inProgress()).isFalse();
    }

    @Test
    void aTransferTheCorePursuesIsAskedAgainEachInterval() {
        start(b);
        transfers.sweep(now + ASK_AGAIN - 1, false);
        assertThat(core.asked).containsExactly(b);
        transfers.sweep(now + ASK_AGAIN, false);
        assertThat(core.asked).containsExactly(b, b);
        core.transferTarget = Optional.empty(); // the core gave up: asking again would start a new transfer
        transfers.sweep(now + 2 * ASK_AGAIN, false);
        assertThat(core.asked).containsExactly(b, b);
    }

    @Test
    void aTransferFailsAtItsDeadline() {
        CompletableFuture<Void> f = start(b);
        transfers.sweep(now + GIVE_UP - 1, false);
        assertThat(f).isNotDone();
        transfers.sweep(now + GIVE_UP, false);
        assertThat(failure(f)).isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("leadership did not pass to b");
        assertThat(transfers.inProgress()).isFalse();
    }

    @Test
    void aNewTransferSupersedesTheOneUnderWay() {
        CompletableFuture<Void> first = start(b);
        CompletableFuture<Void> second = start(b);
        assertThat(failure(first)).isInstanceOf(IllegalStateException.class).hasMessageContaining("superseded");
        assertThat(second).isNotDone();
    }

    @Test
    void onlyALeaderHandsLeadershipOnAndOnlyToAVoter() {
        assertThat(failure(start(MemberId.of("n")))).isInstanceOf(MembershipChangeException.class)
                .hasMessageContaining("it does not vote");
        assertThat(failure(start(MemberId.of("x")))).isInstanceOf(MembershipChangeException.class)
                .hasMessageContaining("not a member");
        assertThat(start(a)).as("leads already").isCompletedWithValue(null);
        core.role = Role.FOLLOWER;
        core.leader = Optional.of(b);
        assertThat(failure(start(b))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the leader is b");
        assertThat(core.asked).isEmpty();
        assertThat(transfers.inProgress()).isFalse();
    }

    @Test
    void failAllFailsTheTransferUnderWay() {
        CompletableFuture<Void> f = start(b);
        GroupStoppedException stopped = new GroupStoppedException("stopped", null);
        transfers.failAll(stopped);
        assertThat(failure(f)).isSameAs(stopped);
        assertThat(transfers.inProgress()).isFalse();
        transfers.sweep(now + GIVE_UP, true);
        assertThat(core.asked).containsExactly(b);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        return f.handle((v, t) -> t).join();
    }
}
