package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.Role;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The leadership transfer this member, as leader, is carrying out: at most one; a new one supersedes it. It is
 * answered once the target leads, fails once the leader would have given up, and is asked again of the core while
 * the core still pursues it (which keeps the core's deadline and resends a lost TimeoutNow). Used on the group
 * thread only.
 */
final class LeadershipTransfers implements PendingWork {

    /** What a transfer needs of the core. */
    interface Core {
        Role role();

        Optional<MemberId> leader();

        /** The configuration in force. */
        ClusterConfig config();

        /** The member the core, as leader, is handing leadership to, if any. */
        Optional<MemberId> transferTarget();

        /** Asks the core to hand leadership to {@code target} (again: its deadline stays). */
        void transferLeadership(MemberId target);
    }

    private static final class Pending {
        final MemberId target;
        final CompletableFuture<Void> future;
        final long deadlineMillis;
        long nextAttemptAtMillis;

        Pending(MemberId target, CompletableFuture<Void> future, long deadlineMillis, long nextAttemptAtMillis) {
            this.target = target;
            this.future = future;
            this.deadlineMillis = deadlineMillis;
            this.nextAttemptAtMillis = nextAttemptAtMillis;
        }
    }

    private final String group;
    private final MemberId self;
    private final Core core;
    private final Answers answers;
    private final long giveUpAfterMillis;
    private final long askAgainAfterMillis;
    private Pending transfer;

    /**
     * @param giveUpAfterMillis   how long the caller waits: the leader gives up after an election timeout, so a
     *                            tick more
     * @param askAgainAfterMillis how often a transfer the core still pursues is asked again (a heartbeat interval)
     */
    LeadershipTransfers(String group, MemberId self, Core core, Answers answers, long giveUpAfterMillis,
                        long askAgainAfterMillis) {
        this.group = group;
        this.self = self;
        this.core = core;
        this.answers = answers;
        this.giveUpAfterMillis = giveUpAfterMillis;
        this.askAgainAfterMillis = askAgainAfterMillis;
    }

    /** Starts a transfer to {@code target}, or answers at once if this member cannot or need not. */
    void start(MemberId target, CompletableFuture<Void> future, long nowMillis) {
        if (core.role() != Role.LEADER) {
            future.completeExceptionally(new IllegalStateException("member " + self + " of group '" + group
                    + "' is not the leader; the leader is " + core.leader().map(MemberId::value).orElse("unknown")));
            return;
        }
        Optional<Member> to = core.config().member(target);
        if (to.isEmpty() || !to.get().membership().isVoter()) {
            future.completeExceptionally(new MembershipChangeException(group, to.isEmpty()
                    ? MembershipChangeException.Reason.UNKNOWN_MEMBER : MembershipChangeException.Reason.CONFLICT,
                    "group '" + group + "': cannot hand leadership to " + target + ": "
                            + (to.isEmpty() ? "not a member" : "it does not vote")));
            return;
        }
        if (target.equals(self)) {
            answers.complete(future, null); // leads already
            return;
        }
        if (transfer != null) {
            answers.fail(transfer.future, new IllegalStateException("superseded by a transfer to " + target));
        }
        transfer = new Pending(target, future, nowMillis + giveUpAfterMillis, nowMillis + askAgainAfterMillis);
        core.transferLeadership(target);
        check(nowMillis);
    }

    /** Whether a transfer is under way. */
    boolean inProgress() {
        return transfer != null;
    }

    @Override
    public void sweep(long nowMillis, boolean leaderFound) {
        if (transfer != null) {
            check(nowMillis);
        }
    }

    private void check(long now) {
        Pending t = transfer;
        if (t.target.equals(core.leader().orElse(null))) {
            transfer = null;
            answers.complete(t.future, null);
        } else if (now >= t.deadlineMillis) {
            transfer = null;
            answers.fail(t.future, new CommandTimeoutException("group '" + group
                    + "': leadership did not pass to " + t.target + " within an election timeout; the transfer was"
                    + " abandoned"));
        } else if (now >= t.nextAttemptAtMillis && core.transferTarget().equals(Optional.of(t.target))) {
            // the leader is still at it: asking again keeps its deadline, and resends TimeoutNow if one was lost
            t.nextAttemptAtMillis = now + askAgainAfterMillis;
            core.transferLeadership(t.target);
        }
    }

    @Override
    public void failAll(GroupStoppedException reason) {
        if (transfer != null) {
            answers.fail(transfer.future, reason);
            transfer = null;
        }
    }
}
