package io.raftex.core;

/**
 * Hears about role and leader changes of one group on one node, about its commands and queries answered, and about
 * its snapshots. Callbacks run on the group's thread, in the order things happened (except where a method says
 * otherwise): keep them short, never block, and never wait for a future of the same group. A command's or query's
 * callback runs before its future completes.
 */
public interface GroupListener {

    /** This member's role changed (for example FOLLOWER to CANDIDATE, or CANDIDATE to LEADER). */
    default void onRoleChange(RoleChangeEvent event) {
    }

    /** The leader this member knows of changed (including to or from "no leader"). */
    default void onLeaderChange(RoleChangeEvent event) {
    }

    /**
     * A command submitted through this node was answered with its result, {@code latencyNanos} after it was
     * submitted (for latency histograms; called for every command, so it must be cheap).
     */
    default void onCommandCompleted(long latencyNanos) {
    }

    /**
     * A command submitted through this node failed with {@code reason} (the exception its future fails with:
     * {@link CommandTimeoutException}, {@link NoLeaderException}, {@link CommandFailedException}, ...). May run on
     * the submitting thread when the group is stopped.
     */
    default void onCommandFailed(Throwable reason) {
    }

    /**
     * A query run through this node ended: answered ({@code failure} null) or failed with {@code failure} (the
     * exception its future fails with). May run on the submitting thread when the group is stopped.
     */
    default void onQueryEnded(ReadConsistency consistency, Throwable failure) {
    }

    /** This member wrote a snapshot of its own state, {@code durationNanos} after it started writing it. */
    default void onSnapshotTaken(long durationNanos) {
    }

    /**
     * This member installed a snapshot received from the leader, {@code durationNanos} after its first chunk
     * arrived.
     */
    default void onSnapshotInstalled(long durationNanos) {
    }
}
