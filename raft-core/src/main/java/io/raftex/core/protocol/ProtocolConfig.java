package io.raftex.core.protocol;

/**
 * Tuning of the protocol core, in ticks of the shell's timer.
 *
 * @param electionTimeoutTicks  base election timeout; each member waits a random time in [base, 2×base)
 * @param heartbeatTicks        interval between leader heartbeats
 * @param maxEntriesPerMessage  most entries in one AppendEntries
 * @param maxBytesPerMessage    most entry bytes in one AppendEntries (at least one entry is always sent)
 * @param maxInflightMessages   most AppendEntries in flight to one follower (pipelining)
 * @param preVote               run a pre-vote round before raising the term (Raft thesis §9.6)
 * @param checkQuorum           a leader that hears from no quorum within an election timeout steps down
 * @param maxPendingReads       most reads waiting for a read index on one member
 */
public record ProtocolConfig(int electionTimeoutTicks, int heartbeatTicks, int maxEntriesPerMessage,
                             long maxBytesPerMessage, int maxInflightMessages, boolean preVote, boolean checkQuorum,
                             int maxPendingReads) {

    public ProtocolConfig {
        if (heartbeatTicks < 1 || electionTimeoutTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("need 1 <= heartbeatTicks < electionTimeoutTicks");
        }
        if (maxEntriesPerMessage < 1 || maxBytesPerMessage < 1 || maxInflightMessages < 1 || maxPendingReads < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    /** Defaults: election timeout 10 ticks, heartbeat every tick, 128 entries or 1 MiB per message, 8 in flight. */
    public static ProtocolConfig defaults() {
        return new ProtocolConfig(10, 1, 128, 1 << 20, 8, true, true, 10_000);
    }

    /** A copy with another election timeout and heartbeat interval. */
    public ProtocolConfig withTiming(int electionTicks, int heartbeatTicks) {
        return new ProtocolConfig(electionTicks, heartbeatTicks, maxEntriesPerMessage, maxBytesPerMessage,
                maxInflightMessages, preVote, checkQuorum, maxPendingReads);
    }

    /** A copy with other per-message limits. */
    public ProtocolConfig withLimits(int entries, long bytes, int inflight) {
        return new ProtocolConfig(electionTimeoutTicks, heartbeatTicks, entries, bytes, inflight, preVote,
                checkQuorum, maxPendingReads);
    }

    /** A copy with pre-vote and check-quorum switched. */
    public ProtocolConfig withPreVote(boolean preVote, boolean checkQuorum) {
        return new ProtocolConfig(electionTimeoutTicks, heartbeatTicks, maxEntriesPerMessage, maxBytesPerMessage,
                maxInflightMessages, preVote, checkQuorum, maxPendingReads);
    }
}
