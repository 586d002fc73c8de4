package io.raftex.core;

/** How a member takes part in a group. */
public enum Membership {
    /** Votes in elections and counts toward the commit quorum. */
    VOTER,
    /** Replicates as a non-voter and is promoted to voter once it has caught up with the leader. */
    PROMOTABLE,
    /** Replicates the log but never votes and never counts toward a quorum. */
    NON_VOTER;

    /** Whether members of this kind vote and count toward quorums. */
    public boolean isVoter() {
        return this == VOTER;
    }
}
