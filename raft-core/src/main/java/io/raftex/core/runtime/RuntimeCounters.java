package io.raftex.core.runtime;

import io.raftex.core.GroupMetrics;
import io.raftex.core.GroupStatus;
import io.raftex.core.MemberId;
import io.raftex.core.Role;

import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The figures behind one group's {@link GroupMetrics} and status, readable from any thread without waiting for the
 * group's: the member's state as last published, and counters since the group started. The group thread is the only
 * writer of everything but the two counters that callers' threads update (commands submitted and failed), which are
 * {@link LongAdder}s; the group's loop and its collaborators' hosts update it.
 */
final class RuntimeCounters {

    // ---- the member's state, as last published
    private volatile Role role = Role.FOLLOWER;
    private volatile long term;
    private volatile Optional<MemberId> leader = Optional.empty();
    private volatile long commitIndex;
    private volatile long lastApplied;
    private volatile long lastLogIndex;
    // ---- counters
    private volatile long electionsStarted;
    private volatile long leaderChanges;
    private final LongAdder commandsSubmitted = new LongAdder();
    private volatile long commandsCompleted;
    private final LongAdder commandsFailed = new LongAdder();
    private volatile long commandRetries;
    private volatile long duplicatesApplied;
    private volatile long latencyNanosTotal;
    private volatile long latencyNanosMax;
    private volatile long queriesCompleted;
    private volatile long queriesFailed;
    private volatile long snapshotIndex;
    private volatile long snapshotsTaken;
    private volatile long snapshotsInstalled;
    private volatile long snapshotFailures;
    private volatile int snapshotFailuresInARow;

    // ------------------------------------------------------------------ the member's state (group thread)

    /** The member's state after a step. */
    void publish(Role role, long term, Optional<MemberId> leader, long commitIndex, long lastApplied,
                 long lastLogIndex) {
        this.role = role;
        this.term = term;
        this.leader = leader;
        this.commitIndex = commitIndex;
        this.lastApplied = lastApplied;
        this.lastLogIndex = lastLogIndex;
    }

    /** The role, term and leader the core reported. */
    void roleChanged(Role role, long term, Optional<MemberId> leader) {
        this.role = role;
        this.term = term;
        this.leader = leader;
    }

    /** Entries are applied (or a snapshot restored) up to {@code index}. */
    void applied(long index) {
        lastApplied = index;
    }

    Role role() {
        return role;
    }

    long term() {
        return term;
    }

    Optional<MemberId> leader() {
        return leader;
    }

    long commitIndex() {
        return commitIndex;
    }

    long lastApplied() {
        return lastApplied;
    }

    long lastLogIndex() {
        return lastLogIndex;
    }

    // ------------------------------------------------------------------ counters

    void electionStarted() {
        electionsStarted++;
    }

    void leaderChanged() {
        leaderChanges++;
    }

    /** Any thread. */
    void commandSubmitted() {
        commandsSubmitted.increment();
    }

    void commandCompleted(long latencyNanos) {
        latencyNanosTotal += latencyNanos;
        if (latencyNanos > latencyNanosMax) {
            latencyNanosMax = latencyNanos;
        }
        commandsCompleted++;
    }

    /** Any thread. */
    void commandFailed() {
        commandsFailed.increment();
    }

    void commandRetried() {
        commandRetries++;
    }

    void duplicateApplied() {
        duplicatesApplied++;
    }

    void queryCompleted() {
        queriesCompleted++;
    }

    void queryFailed() {
        queriesFailed++;
    }

    /** The newest snapshot held is now at {@code index}. */
    void snapshotHeld(long index) {
        snapshotIndex = index;
    }

    long snapshotIndex() {
        return snapshotIndex;
    }

    /** A snapshot of the member's own state was written: the failures in a row end. */
    void snapshotTaken() {
        snapshotsTaken++;
        snapshotFailuresInARow = 0;
    }

    /** Taking a snapshot failed; the counts are the back-off's. */
    void snapshotFailed(long failures, int failuresInARow) {
        snapshotFailures = failures;
        snapshotFailuresInARow = failuresInARow;
    }

    void snapshotInstalled() {
        snapshotsInstalled++;
    }

    // ------------------------------------------------------------------ reading

    /**
     * The metrics of group {@code group} on node {@code nodeId}, with the transfer figures of {@code transfers}
     * (null before the group started: zeros).
     */
    GroupMetrics metrics(String group, String nodeId, boolean running, SnapshotTransfers transfers) {
        GroupStatus.SnapshotInstall progress = transfers == null ? null : transfers.progress().orElse(null);
        return new GroupMetrics(group, nodeId, running, role, term, leader.map(MemberId::value),
                commitIndex, lastApplied, lastLogIndex, electionsStarted, leaderChanges, commandsSubmitted.sum(),
                commandsCompleted, commandsFailed.sum(), commandRetries, duplicatesApplied, latencyNanosTotal,
                latencyNanosMax, queriesCompleted, queriesFailed, snapshotIndex, snapshotsTaken, snapshotsInstalled,
                snapshotFailures, snapshotFailuresInARow, transfers == null ? 0 : transfers.bytesSent(),
                transfers == null ? 0 : transfers.bytesReceived(), transfers == null ? 0 : transfers.installFailures(),
                progress == null ? 0 : progress.bytesReceived(), progress == null ? 0 : progress.totalBytes());
    }
}
