package io.raftex.core;

/** The role a member plays in its group. */
public enum Role {
    /** Follows a leader, or waits for one. */
    FOLLOWER,
    /** Asks the voters whether it could win an election, without raising its term (pre-vote). */
    PRE_CANDIDATE,
    /** Stands for election in a new term. */
    CANDIDATE,
    /** Leads the group in the current term. */
    LEADER
}
