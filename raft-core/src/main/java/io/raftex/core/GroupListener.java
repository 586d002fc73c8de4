package io.raftex.core;

/**
 * Hears about role and leader changes of one group on one node, and about its commands answered. Callbacks run on the
 * group's thread, in the order things happened: keep them short, never block, and never wait for a future of the same
 * group.
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
}
