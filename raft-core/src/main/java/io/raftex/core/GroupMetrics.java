package io.raftex.core;

import java.util.Optional;

/**
 * Cheap counters and gauges of one group on one node, read without waiting for the group's thread (so they may
 * lag its state by one step). Counters count since the group started on this node.
 *
 * @param group              group name
 * @param nodeId             the node reporting
 * @param running            false once the group stopped
 * @param role               current role
 * @param term               current term
 * @param leaderId           the known leader, if any
 * @param commitIndex        highest index known committed
 * @param lastApplied        highest index applied to the state machine
 * @param lastLogIndex       index of the last log entry
 * @param electionsStarted   elections this member stood in (became candidate)
 * @param leaderChanges      times the known leader changed to another member
 * @param commandsSubmitted  commands submitted through this node's group handle
 * @param commandsCompleted  of those, answered with a result
 * @param commandsFailed     of those, failed (timeout, no leader, stopped, session expired)
 * @param commandRetries     times a command was proposed again (same client id and sequence)
 * @param duplicatesApplied  committed entries that the session table answered from its cache instead of applying
 * @param commandLatencyNanosTotal sum of the latencies of completed commands, submit to result
 * @param commandLatencyNanosMax   highest such latency
 * @param queriesCompleted   queries answered
 * @param queriesFailed      queries failed
 * @param snapshotIndex      last index covered by the newest snapshot this member holds, 0 if none
 * @param snapshotsTaken     snapshots this member wrote of its own state
 * @param snapshotsInstalled snapshots this member received from a leader and installed
 * @param snapshotFailures   snapshots of its own state this member failed to take (each is tried again after a
 *                           back-off)
 * @param snapshotFailuresInARow back-off steps since this member last took a snapshot, 0 while snapshots succeed
 * @param snapshotBytesSent  bytes of snapshot chunks this member sent to followers (as leader), resent ones included
 * @param snapshotBytesReceived bytes of snapshot chunks this member stored from a leader
 * @param snapshotInstallFailures snapshots received from a leader that did not verify or that the state machine
 *                           refused (the leader sends them again)
 * @param snapshotInstallBytesReceived bytes stored so far of the snapshot this member is receiving, 0 if none
 * @param snapshotInstallTotalBytes size of the snapshot this member is receiving, 0 if none
 */
public record GroupMetrics(String group, String nodeId, boolean running, Role role, long term,
                           Optional<String> leaderId, long commitIndex, long lastApplied, long lastLogIndex,
                           long electionsStarted, long leaderChanges, long commandsSubmitted, long commandsCompleted,
                           long commandsFailed, long commandRetries, long duplicatesApplied,
                           long commandLatencyNanosTotal, long commandLatencyNanosMax, long queriesCompleted,
                           long queriesFailed, long snapshotIndex, long snapshotsTaken, long snapshotsInstalled,
                           long snapshotFailures, int snapshotFailuresInARow, long snapshotBytesSent,
                           long snapshotBytesReceived, long snapshotInstallFailures,
                           long snapshotInstallBytesReceived, long snapshotInstallTotalBytes) {

    /** Metrics without snapshot transfer figures (all zero). */
    public GroupMetrics(String group, String nodeId, boolean running, Role role, long term,
                        Optional<String> leaderId, long commitIndex, long lastApplied, long lastLogIndex,
                        long electionsStarted, long leaderChanges, long commandsSubmitted, long commandsCompleted,
                        long commandsFailed, long commandRetries, long duplicatesApplied,
                        long commandLatencyNanosTotal, long commandLatencyNanosMax, long queriesCompleted,
                        long queriesFailed, long snapshotIndex, long snapshotsTaken, long snapshotsInstalled,
                        long snapshotFailures, int snapshotFailuresInARow) {
        this(group, nodeId, running, role, term, leaderId, commitIndex, lastApplied, lastLogIndex, electionsStarted,
                leaderChanges, commandsSubmitted, commandsCompleted, commandsFailed, commandRetries, duplicatesApplied,
                commandLatencyNanosTotal, commandLatencyNanosMax, queriesCompleted, queriesFailed, snapshotIndex,
                snapshotsTaken, snapshotsInstalled, snapshotFailures, snapshotFailuresInARow, 0, 0, 0, 0, 0);
    }

    /** Whether this member is receiving a snapshot from a leader now. */
    public boolean installingSnapshot() {
        return snapshotInstallTotalBytes > 0;
    }
}
