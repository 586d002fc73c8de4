package io.raftex.core.runtime;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.NoLeaderException;
import io.raftex.core.protocol.Effect;
import io.raftex.core.protocol.Proposal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * This member's commands from the session to their answer or deadline: proposes them (each attempt under a fresh
 * request id), takes the core's acceptances and refusals, and retries what is due. A command that may be in some
 * leader's log never fails as "not carried out": its timeout, or the group's stop, says it may still be applied. The
 * answers come from {@link Applying}. Used on the group thread only.
 */
final class Commands implements PendingWork {

    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);

    /** What the commands need of the core and the shell. */
    interface Host {
        /** A request id not used before in this incarnation. */
        long nextRequestId();

        /** Hands proposals to the core. */
        void propose(List<Proposal> proposals);

        /** The index of the last entry applied to the state machine. */
        long lastApplied();

        /** A command is proposed again. */
        void retried();

        /** A command failed with {@code reason}: count it and fail its future. */
        void failed(CommandTracker.Pending command, Throwable reason);

        /** The group stopped: fails commands submitted but not yet taken into the session. */
        void failSubmitted(GroupStoppedException reason);
    }

    private final String group;
    private final MemberId self;
    private final CommandTracker commands;
    private final Host host;
    private final LongSupplier clock;
    private final long timeoutMillis;
    private final long resendAfterMillis;
    private final long acceptedWaitMillis;
    private final long backoffMillis;

    /**
     * @param clock              milliseconds of a monotonic clock
     * @param timeoutMillis      how long a command may take (named in the timeout's message)
     * @param resendAfterMillis  how long an attempt with no answer waits before the next
     * @param acceptedWaitMillis how long a command accepted at some index waits to be applied before the next attempt
     * @param backoffMillis      how long a refused attempt waits before the next
     */
    Commands(String group, MemberId self, CommandTracker commands, Host host, LongSupplier clock, long timeoutMillis,
             long resendAfterMillis, long acceptedWaitMillis, long backoffMillis) {
        this.group = group;
        this.self = self;
        this.commands = commands;
        this.host = host;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.resendAfterMillis = resendAfterMillis;
        this.acceptedWaitMillis = acceptedWaitMillis;
        this.backoffMillis = backoffMillis;
    }

    /** Takes newly submitted commands into the session and proposes them as one batch. */
    void submit(List<CommandTracker.Pending> submitted) {
        List<CommandTracker.Pending> batch = new ArrayList<>(submitted.size());
        for (CommandTracker.Pending p : submitted) {
            batch.add(commands.register(p));
        }
        propose(batch);
    }

    /** Proposes {@code batch} (again, for commands proposed before), one proposal each. */
    void propose(List<CommandTracker.Pending> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long now = clock.getAsLong();
        List<Proposal> proposals = new ArrayList<>(batch.size());
        for (CommandTracker.Pending p : batch) {
            if (p.attempts > 0) {
                host.retried();
            }
            proposals.add(commands.attempt(p, host.nextRequestId(), now, resendAfterMillis));
        }
        host.propose(proposals);
    }

    /** A snapshot now covers {@code index}: commands accepted up to it learn their answer by asking again. */
    void coveredBySnapshot(long index) {
        propose(commands.coveredBySnapshot(index));
    }

    /** A leader appended an attempt: wait for it to be applied (or propose again if that index is applied). */
    void onAccepted(Effect.ProposalAccepted a) {
        CommandTracker.Pending p = commands.accepted(a.requestId(), a.index(), clock.getAsLong(), acceptedWaitMillis);
        if (p != null && a.index() <= host.lastApplied()) {
            // the index was applied before we heard of the acceptance, and it was not this command
            commands.forgetAcceptance(a.index(), p);
            propose(List.of(p));
        }
    }

    /** An attempt was refused: try again after a back-off. */
    void onRejected(Effect.ProposalRejected r) {
        // a leader's refusal of a forwarded command proves nothing: a duplicate of the same message may have been
        // appended (its answer lost); only this member's own refusals mean "not in any log"
        CommandTracker.Pending p = commands.rejected(r.requestId(), clock.getAsLong() + backoffMillis,
                r.reason() == Effect.Rejection.NOT_LEADER);
        if (p != null) {
            LOG.debug("[{}@{}] command #{} rejected: {}", group, self, p.sequence, r.reason());
        }
    }

    @Override
    public void sweep(long nowMillis, boolean leaderFound) {
        if (commands.size() == 0) {
            return;
        }
        List<CommandTracker.Pending> retry = new ArrayList<>();
        for (CommandTracker.Pending p : commands.all()) {
            if (nowMillis >= p.deadlineMillis) {
                commands.remove(p);
                host.failed(p, p.maybeAppended || p.currentAttemptOpen
                        ? new CommandTimeoutException("group '" + group + "': command not known to be committed"
                        + " within " + timeoutMillis + " ms; it may still be applied")
                        : new NoLeaderException(group, "group '" + group + "': no leader took the command within "
                        + timeoutMillis + " ms; it was not applied"));
            } else if (nowMillis >= p.nextAttemptAtMillis
                    || (leaderFound && p.phase == CommandTracker.Phase.BACKOFF)) {
                retry.add(p);
            }
        }
        propose(retry);
    }

    @Override
    public void failAll(GroupStoppedException reason) {
        for (CommandTracker.Pending p : commands.clear()) {
            // one that may be in a leader's log may still commit: say so, never "not carried out"
            host.failed(p, p.maybeAppended || p.currentAttemptOpen
                    ? new CommandOutcomeUnknownException("group '" + group + "' on node " + self + " stopped before"
                    + " command #" + p.sequence + " was known to be committed; it may still be applied", reason)
                    : reason);
        }
        host.failSubmitted(reason);
    }
}
