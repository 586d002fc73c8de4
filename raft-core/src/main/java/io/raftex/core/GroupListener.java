package io.raftex.core;

/**
 * Hears about role and leader changes of one group on one node. Callbacks run on the group's thread, in the order
 * the changes happened: keep them short, never block, and never wait for a future of the same group.
 */
public interface GroupListener {

    /** This member's role changed (for example FOLLOWER to CANDIDATE, or CANDIDATE to LEADER). */
    default void onRoleChange(RoleChangeEvent event) {
    }

    /** The leader this member knows of changed (including to or from "no leader"). */
    default void onLeaderChange(RoleChangeEvent event) {
    }
}
