package io.raftex.core;

import io.raftex.core.snapshot.SnapshotMeta;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A handle on one Raft group running on a {@link RaftNode}: submit commands, run queries, watch its role.
 * Thread-safe; every method may be called from any thread (but see {@link GroupListener} about the group's own
 * thread). Obtained from {@link RaftNode#startGroup} or {@link RaftNode#group}.
 *
 * <p>Each handle has one client session: a random client id and increasing sequence numbers. A command is retried
 * with the same (client id, sequence) across leader changes until its deadline, and the group's session table
 * applies it at most once.
 *
 * @param <C> command type
 * @param <R> result type
 */
public interface RaftGroup<C, R> {

    /** The group's name. */
    String name();

    /** The id of the member this node plays in the group. */
    MemberId self();

    /**
     * Submits a command. It may be called on any member (a follower forwards it to the leader). The future completes
     * with the state machine's result once the command is committed and applied on this member; it fails with
     * {@link CommandTimeoutException} if that did not happen before the node's command timeout, or
     * {@link CommandOutcomeUnknownException} if the group stopped while the command may have been in a leader's log
     * (either way it may still be applied later, at most once); with {@link NoLeaderException} if no leader could
     * ever be reached for it, or {@link GroupStoppedException} if the group stopped before the command reached any
     * log (either way it was not applied); or with {@link SessionExpiredException}.
     */
    CompletableFuture<R> command(C command);

    /**
     * Runs {@code query} against the state machine on this member's group thread, serialized with applies, at the
     * requested consistency (see {@link ReadConsistency}). Fails with {@link QueryTimeoutException} if the
     * consistency could not be reached before the node's query timeout, {@link NoLeaderException} if no leader
     * was known at any point meanwhile, or with whatever the function threw.
     */
    <T> CompletableFuture<T> query(Function<? super StateMachine<C, R>, ? extends T> query,
                                   ReadConsistency consistency);

    /**
     * Like {@link #query(Function, ReadConsistency)} for a function of the concrete state machine class.
     *
     * @throws ClassCastException (through the future) if the group's state machine is not a {@code type}
     */
    default <S extends StateMachine<C, R>, T> CompletableFuture<T> query(Class<S> type,
                                                                         Function<? super S, ? extends T> query,
                                                                         ReadConsistency consistency) {
        return query(sm -> query.apply(type.cast(sm)), consistency);
    }

    /**
     * The group's state now, as this member sees it. Waits briefly for the group's thread; on a stopped group,
     * the last state it had.
     */
    GroupStatus status();

    /** Like {@link #status()}, without blocking. */
    CompletableFuture<GroupStatus> statusAsync();

    /** Counters and gauges; never blocks. */
    GroupMetrics metrics();

    /** Whether the group is running (false after it stopped, for any reason). */
    boolean isRunning();

    /** Registers a listener of role and leader changes. */
    void addListener(GroupListener listener);

    /** Removes a listener registered with {@link #addListener}. */
    void removeListener(GroupListener listener);

    /**
     * Adds {@code member} to the group, or changes the membership of a member with the same id and address: one
     * change at a time (Raft thesis §4.1), through the leader (a follower forwards it). A
     * {@link Membership#PROMOTABLE} member replicates without a vote and is made a voter by the leader once it holds
     * the leader's log as of its joining; a {@link Membership#NON_VOTER} never votes. Asking again for a change that
     * is in place already succeeds. The future completes with the configuration once the change is committed; it
     * fails with {@link MembershipChangeException} if the configuration refuses it (another change not yet committed,
     * or the id taken at another address), {@link CommandTimeoutException} if it was not known to be committed before
     * the node's command timeout (it may still take effect), {@link NoLeaderException} if no leader could be reached
     * (it did not take effect), or {@link GroupStoppedException}.
     */
    CompletableFuture<ClusterConfig> addMember(Member member);

    /**
     * Removes the member {@code id} from the group, like {@link #addMember}. Removing the leader works: it commits
     * the change, then steps down, and the remaining voters elect a leader among them. Fails with
     * {@link MembershipChangeException} with {@link MembershipChangeException.Reason#UNKNOWN_MEMBER} if {@code id} is
     * not a member, or {@link MembershipChangeException.Reason#CONFLICT} if it is the last voter.
     */
    CompletableFuture<ClusterConfig> removeMember(MemberId id);

    /**
     * Asks this member, which must be the leader, to hand leadership to the voter {@code target} once it has caught
     * up (Raft thesis §3.10): the leader holds new commands off (they wait and are retried), brings the target's log
     * up to date and tells it to campaign at once. The future completes when this member sees {@code target} as
     * leader (at once if it is this member), and fails with {@link IllegalStateException} if this member is not the
     * leader, {@link MembershipChangeException} if {@code target} is not a member or does not vote, or
     * {@link CommandTimeoutException} if leadership did not pass within an election timeout: the leader then
     * abandons the transfer and takes commands again.
     */
    CompletableFuture<Void> transferLeadership(MemberId target);

    /**
     * Takes a snapshot of the state machine now (if anything was applied since the last one), writes it out without
     * stopping the group, and lets the log before the previous snapshot go. Completes with what the snapshot covers;
     * fails with {@link UnsupportedOperationException} if the state machine takes no snapshots, or
     * {@link IllegalStateException} if nothing has been applied yet.
     */
    CompletableFuture<SnapshotMeta> snapshot();
}
