package io.raftex.core.message;

/** Why a membership change was turned down. */
public enum ChangeRejection {
    /** No leader is known; retry later. */
    NO_LEADER,
    /** The member asked is not the leader (or lost leadership); retry later. */
    NOT_LEADER,
    /** The leader has not yet committed an entry of its term, so it cannot tell what is committed; retry shortly. */
    NOT_READY,
    /** The leader is handing leadership over; retry shortly. */
    LEADERSHIP_TRANSFER,
    /** Another configuration entry is not committed yet: one change at a time. */
    IN_PROGRESS,
    /** The member to remove is not in the configuration. */
    UNKNOWN_MEMBER,
    /**
     * The change contradicts the configuration: the id is a member at another address, or the change would
     * leave no voter.
     */
    CONFLICT;

    /** Whether the same change may succeed if asked again later (the configuration did not refuse it). */
    public boolean retryable() {
        return this == NO_LEADER || this == NOT_LEADER || this == NOT_READY || this == LEADERSHIP_TRANSFER;
    }
}
