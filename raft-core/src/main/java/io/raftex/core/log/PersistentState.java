package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The Raft metadata a member must never forget: its current term, whom it voted for in that term, and the
 * configurations its log holds.
 *
 * <p>{@code configs} lists, oldest first, the newest configuration the member knows to be committed followed by
 * every configuration entry after it in its log, the committed ones included. It is written before the entries that
 * carry a new configuration are appended, so after a crash it may name entries the log lost; a member recovering
 * drops those whose index and term the log does not hold (see {@code RaftMember}).
 *
 * @param currentTerm the latest term this member has seen
 * @param votedFor    the candidate it voted for in {@code currentTerm}, if any
 * @param configs     the configurations, at least one, by increasing index
 */
public record PersistentState(long currentTerm, Optional<MemberId> votedFor, List<ConfigEntry> configs) {

    public PersistentState {
        if (currentTerm < 0) {
            throw new IllegalArgumentException("term must be >= 0");
        }
        Objects.requireNonNull(votedFor, "votedFor");
        configs = List.copyOf(configs);
        if (configs.isEmpty()) {
            throw new IllegalArgumentException("a state holds at least one configuration");
        }
        for (int i = 1; i < configs.size(); i++) {
            if (configs.get(i).index() <= configs.get(i - 1).index()) {
                throw new IllegalArgumentException("configurations out of order: " + configs);
            }
        }
    }

    /** A state whose only configuration is {@code config}, before any entry (a new member's bootstrap state). */
    public PersistentState(long currentTerm, Optional<MemberId> votedFor, ClusterConfig config) {
        this(currentTerm, votedFor, List.of(new ConfigEntry(0, 0, config)));
    }

    /** The newest configuration. */
    public ClusterConfig config() {
        return configs.get(configs.size() - 1).config();
    }
}
