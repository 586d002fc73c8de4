package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;

import java.util.Objects;
import java.util.Optional;

/**
 * The Raft metadata a member must never forget: its current term, whom it voted for in that term, and the
 * latest configuration it knows.
 *
 * @param currentTerm the latest term this member has seen
 * @param votedFor    the candidate it voted for in {@code currentTerm}, if any
 * @param config      the group's configuration
 */
public record PersistentState(long currentTerm, Optional<MemberId> votedFor, ClusterConfig config) {

    public PersistentState {
        if (currentTerm < 0) {
            throw new IllegalArgumentException("term must be >= 0");
        }
        Objects.requireNonNull(votedFor, "votedFor");
        Objects.requireNonNull(config, "config");
    }
}
