package io.raftex.core;

/**
 * A membership change was refused by the group's configuration; it was not carried out. Asking again makes sense only
 * for {@link Reason#IN_PROGRESS}, once the change before it has been committed.
 */
public class MembershipChangeException extends RaftException {

    /** Why the change was refused. */
    public enum Reason {
        /** Another membership change is not committed yet: one change at a time. */
        IN_PROGRESS,
        /** The member to remove (or hand leadership to) is not in the group's configuration. */
        UNKNOWN_MEMBER,
        /**
         * The change contradicts the configuration: the id is a member at another address, the change would leave no
         * voter, or the target of a leadership transfer does not vote.
         */
        CONFLICT
    }

    private final String group;
    private final Reason reason;

    public MembershipChangeException(String group, Reason reason, String message) {
        super(message);
        this.group = group;
        this.reason = reason;
    }

    /** The group whose configuration refused the change. */
    public String group() {
        return group;
    }

    /** Why it was refused. */
    public Reason reason() {
        return reason;
    }
}
