package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.protocol.ConfigChange;
import io.raftex.core.protocol.Effect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Membership changes asked of this member, from the request until the change is known committed, refused, or past
 * its deadline. Each attempt gets a fresh request id; an attempt that may have been appended (forwarded to a leader,
 * or accepted once) makes a timeout "may still take effect" and a later refusal not final. Used on the group thread
 * only.
 */
final class MembershipChanges implements PendingWork {

    private static final Logger LOG = LoggerFactory.getLogger(MembershipChanges.class);

    /** What the changes need of the core and its log. */
    interface Core {
        /** A leader other than this member is known: a change asked now is forwarded to it. */
        boolean forwardsToLeader();

        /** The configuration in force. */
        ClusterConfig config();

        long commitIndex();

        /** The term of the entry at {@code index} in the log; negative if the log does not hold it. */
        long termAt(long index);

        /** The index the log starts after. */
        long snapshotIndex();

        /** A request id not used before in this incarnation. */
        long nextRequestId();

        /** Asks the core to append {@code change} (or forward it) under {@code requestId}. */
        void changeMembership(long requestId, ConfigChange change);
    }

    /** A membership change asked of this member, until it is known committed or refused. */
    private static final class Pending {
        final ConfigChange change;
        final CompletableFuture<ClusterConfig> future;
        final long deadlineMillis;
        long requestId = -1;
        /** Where the leader appended it (0: in place already), -1 while not known to be in any log. */
        long index = -1;
        long term;
        long nextAttemptAtMillis;
        /** An attempt may have been appended (forwarded, or accepted once): a timeout cannot say "not carried out". */
        boolean maybeAppended;
        /** An attempt before the current one may have been appended: a refusal of the current one is not final. */
        boolean earlierMaybeAppended;

        Pending(ConfigChange change, CompletableFuture<ClusterConfig> future, long deadlineMillis) {
            this.change = change;
            this.future = future;
            this.deadlineMillis = deadlineMillis;
        }
    }

    private final String group;
    private final MemberId self;
    private final Core core;
    private final Answers answers;
    private final LongSupplier clock;
    private final long timeoutMillis;
    private final long resendAfterMillis;
    private final long backoffMillis;
    private final List<Pending> changes = new ArrayList<>();

    /**
     * @param clock             milliseconds of a monotonic clock
     * @param timeoutMillis     how long a change may take (named in the timeout's message)
     * @param resendAfterMillis how long an attempt with no answer waits before the next
     * @param backoffMillis     how long a refused attempt waits before the next
     */
    MembershipChanges(String group, MemberId self, Core core, Answers answers, LongSupplier clock, long timeoutMillis,
                      long resendAfterMillis, long backoffMillis) {
        this.group = group;
        this.self = self;
        this.core = core;
        this.answers = answers;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.resendAfterMillis = resendAfterMillis;
        this.backoffMillis = backoffMillis;
    }

    /** Takes a change in and makes its first attempt. */
    void add(ConfigChange change, CompletableFuture<ClusterConfig> future, long deadlineMillis) {
        Pending c = new Pending(change, future, deadlineMillis);
        changes.add(c);
        attempt(c);
    }

    int size() {
        return changes.size();
    }

    private void attempt(Pending c) {
        c.earlierMaybeAppended |= c.maybeAppended;
        c.requestId = core.nextRequestId();
        c.index = -1;
        c.nextAttemptAtMillis = clock.getAsLong() + resendAfterMillis;
        if (core.forwardsToLeader()) {
            c.maybeAppended = true; // a forwarded change may be appended, its answer lost
        }
        core.changeMembership(c.requestId, c.change);
    }

    private Pending changeFor(long requestId) {
        for (Pending c : changes) {
            if (c.requestId == requestId) {
                return c;
            }
        }
        return null;
    }

    /** A leader appended an attempt: the change is answered once that entry is committed. */
    void onAccepted(Effect.ChangeAccepted a) {
        Pending c = changeFor(a.requestId());
        if (c != null && c.index < 0) {
            c.index = a.index();
            c.term = a.term();
            c.maybeAppended = true;
            onCommitAdvanced();
        }
    }

    /** An attempt was refused: final, or retried after a back-off if the refusal is passing or not conclusive. */
    void onRejected(Effect.ChangeRejected r) {
        Pending c = changeFor(r.requestId());
        if (c == null || c.index >= 0) {
            return;
        }
        if (c.earlierMaybeAppended && r.reason() == ChangeRejection.UNKNOWN_MEMBER
                && c.change instanceof ConfigChange.Remove) {
            // an earlier attempt may have removed it: the leader's committed configuration does not hold it
            changes.remove(c);
            answers.complete(c.future, core.config());
            return;
        }
        if (r.reason().retryable() || c.earlierMaybeAppended) {
            // an earlier attempt may still be appended (a delayed copy): only success or the deadline ends it
            c.nextAttemptAtMillis = clock.getAsLong() + backoffMillis;
            return;
        }
        changes.remove(c);
        MembershipChangeException.Reason reason = switch (r.reason()) {
            case IN_PROGRESS -> MembershipChangeException.Reason.IN_PROGRESS;
            case UNKNOWN_MEMBER -> MembershipChangeException.Reason.UNKNOWN_MEMBER;
            default -> MembershipChangeException.Reason.CONFLICT;
        };
        String why = switch (reason) {
            case IN_PROGRESS -> "another membership change is not committed yet; retry once it is";
            case UNKNOWN_MEMBER -> c.change.id() + " is not a member";
            case CONFLICT -> c.change instanceof ConfigChange.Add a && core.config().member(a.id())
                    .filter(m -> !m.address().equals(a.member().address())).isPresent()
                    ? c.change.id() + " is a member at another address"
                    : c.change.id() + " is the last voter (a group needs one)";
        };
        answers.fail(c.future, new MembershipChangeException(group, reason, "group '" + group
                + "': membership change " + describe(c.change) + " refused: " + why));
    }

    /** Answers the changes whose entries are committed, and asks again for those whose entries were overwritten. */
    void onCommitAdvanced() {
        if (changes.isEmpty()) {
            return;
        }
        long committed = core.commitIndex();
        for (Pending c : new ArrayList<>(changes)) {
            if (c.index < 0 || c.index > committed) {
                continue;
            }
            long held = core.termAt(c.index);
            if (c.index == 0 || held == c.term) {
                changes.remove(c);
                LOG.info("[{}@{}] membership change {} committed at {}: members {}", group, self, describe(c.change),
                        c.index, core.config().members());
                answers.complete(c.future, core.config());
            } else if (held < 0 && c.index <= core.snapshotIndex()) {
                // a snapshot covers its entry: whether that entry was this change cannot be checked. Asking again
                // would apply it a second time if another change reversed it since
                changes.remove(c);
                if (c.change.heldBy(core.config())) {
                    answers.complete(c.future, core.config());
                } else {
                    answers.fail(c.future, new CommandTimeoutException("group '" + group + "': membership"
                            + " change " + describe(c.change) + " may have taken effect at " + c.index + ", which a"
                            + " snapshot now covers, and been reversed since: the configuration does not hold it"));
                }
            } else {
                // another entry was committed there: ask again (a change in place already is answered as such)
                attempt(c);
            }
        }
    }

    @Override
    public void sweep(long nowMillis, boolean leaderFound) {
        if (changes.isEmpty()) {
            return;
        }
        for (Pending c : new ArrayList<>(changes)) {
            if (nowMillis >= c.deadlineMillis) {
                changes.remove(c);
                answers.fail(c.future, c.maybeAppended
                        ? new CommandTimeoutException("group '" + group + "': membership change " + describe(c.change)
                        + " not known to be committed within " + timeoutMillis + " ms; it may still take effect")
                        : new NoLeaderException(group, "group '" + group + "': no leader took the membership change "
                        + describe(c.change) + " within " + timeoutMillis + " ms"));
            } else if (c.index < 0 && (nowMillis >= c.nextAttemptAtMillis || leaderFound)) {
                attempt(c);
            }
        }
    }

    @Override
    public void failAll(GroupStoppedException reason) {
        for (Pending c : changes) {
            answers.fail(c.future, c.maybeAppended ? new CommandOutcomeUnknownException("group '" + group
                    + "' on node " + self + " stopped before the membership change " + describe(c.change)
                    + " was known to be committed; it may still take effect", reason) : reason);
        }
        changes.clear();
    }

    static String describe(ConfigChange change) {
        return change instanceof ConfigChange.Add a
                ? "add " + a.member().id() + " (" + a.member().membership().name().toLowerCase(Locale.ROOT) + ")"
                : "remove " + change.id();
    }
}
