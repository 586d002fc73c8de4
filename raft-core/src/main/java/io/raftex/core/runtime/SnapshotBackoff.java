package io.raftex.core.runtime;

/**
 * When a group may try again to take a snapshot after one failed, whatever the reason (the state machine threw, its
 * state cannot be encoded, the disk is full). Each failure that ends a wait starts a new back-off step, twice as
 * long as the one before, from {@link #INITIAL_MILLIS} up to {@link #MAX_MILLIS}; failures within a step (a snapshot
 * asked for explicitly meanwhile) are counted but start no new step. A success ends the back-off.
 *
 * <p>Only the snapshots a group takes by itself, every interval of applied entries, wait: the log stays whole while
 * they fail, which costs disk but loses nothing, whereas retrying at once costs a core and a flood of errors.
 * Driven by the caller's clock; one thread at a time.
 */
final class SnapshotBackoff {

    /** The first step's wait. */
    static final long INITIAL_MILLIS = 1_000;
    /** The longest wait: a failing snapshot is tried at least this often. */
    static final long MAX_MILLIS = 300_000;

    private long retryAtMillis = Long.MIN_VALUE;
    private long stepMillis;
    private int failuresInARow;
    private long failures;

    /** Whether a snapshot of the group's own may be started at {@code nowMillis}. */
    boolean mayTry(long nowMillis) {
        return nowMillis >= retryAtMillis;
    }

    /**
     * Records a failed snapshot at {@code nowMillis}.
     *
     * @return the wait of the back-off step this failure starts, or 0 if it fell within the current step (and so was
     *         reported already)
     */
    long failed(long nowMillis) {
        failures++;
        if (nowMillis < retryAtMillis) {
            return 0;
        }
        stepMillis = stepMillis == 0 ? INITIAL_MILLIS : Math.min(MAX_MILLIS, stepMillis * 2);
        failuresInARow++;
        retryAtMillis = nowMillis + stepMillis;
        return stepMillis;
    }

    /** Records a snapshot written: the next may be taken at once. */
    void succeeded() {
        retryAtMillis = Long.MIN_VALUE;
        stepMillis = 0;
        failuresInARow = 0;
    }

    /** Failed snapshots since the group started. */
    long failures() {
        return failures;
    }

    /** Back-off steps since the last snapshot written; 0 while snapshots succeed. */
    int failuresInARow() {
        return failuresInARow;
    }
}
