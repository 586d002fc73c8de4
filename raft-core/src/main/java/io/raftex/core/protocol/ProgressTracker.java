package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;

/**
 * The leader's view of replication to the other members of its configuration (etcd-raft's {@code tracker}): one
 * {@link Progress} per member besides the leader, kept in line with the configuration in force, and the quorum
 * arithmetic over them: the index a quorum of voters holds durably, the read round a quorum has echoed, whether a quorum was heard from, the voter that
 * holds the most. Members are visited in the order they joined the tracker, so the leader's messages come out in a
 * fixed order.
 */
final class ProgressTracker {

    private final MemberId self;
    private final Map<MemberId, Progress> progress = new LinkedHashMap<>();

    ProgressTracker(MemberId self) {
        this.self = self;
    }

    /** The progress of {@code id}, or null if it has none (it is not a member besides the leader, or no one leads). */
    Progress get(MemberId id) {
        return progress.get(id);
    }

    /** Visits every member's progress. */
    void forEach(BiConsumer<MemberId, Progress> action) {
        progress.forEach(action);
    }

    /** Leadership ended: no progress is kept. */
    void clear() {
        progress.clear();
    }

    /** Leadership begins: every other member of {@code config} gets a fresh progress, probing from {@code next}. */
    void reset(ClusterConfig config, long next) {
        progress.clear();
        for (Member m : config.members()) {
            if (!m.id().equals(self)) {
                progress.put(m.id(), new Progress(next, m.incarnation()));
            }
        }
    }

    /**
     * The configuration changed to {@code config}: members that left lose their progress, and so does a member now
     * bound to another incarnation (what the old one held counts for nothing); members without one get a fresh
     * progress probing from {@code next}, counted as heard from until the next check-quorum round.
     */
    void configChanged(ClusterConfig config, long next) {
        Set<MemberId> ids = new HashSet<>(config.ids());
        progress.keySet().removeIf(id -> !ids.contains(id));
        for (Member m : config.members()) {
            if (m.id().equals(self)) {
                continue;
            }
            Progress known = progress.get(m.id());
            if (known != null && known.incarnation != m.incarnation()) {
                progress.remove(m.id());
            }
            if (!progress.containsKey(m.id())) {
                Progress pr = new Progress(next, m.incarnation());
                pr.recentActive = true;
                progress.put(m.id(), pr);
            }
        }
    }

    /**
     * The highest index that a quorum of {@code config}'s voters holds durably: the leader counts with
     * {@code selfDurable}, a voter without progress with 0.
     */
    long quorumIndex(ClusterConfig config, long selfDurable) {
        return quorumValue(config, selfDurable, pr -> pr.match);
    }

    /**
     * The highest read round that a quorum of {@code config}'s voters has echoed in this term: the leader counts with
     * {@code ownRound}, a voter without progress with 0.
     */
    long quorumReadRound(ClusterConfig config, long ownRound) {
        return quorumValue(config, ownRound, pr -> pr.readRoundAcked);
    }

    /** The highest value a quorum of voters has reached: the quorum-th highest among them. */
    private long quorumValue(ClusterConfig config, long selfValue, ToLongFunction<Progress> value) {
        long[] values = new long[config.voters().size()];
        int i = 0;
        for (MemberId voter : config.voters()) {
            Progress pr = voter.equals(self) ? null : progress.get(voter);
            values[i++] = voter.equals(self) ? selfValue : pr == null ? 0 : value.applyAsLong(pr);
        }
        Arrays.sort(values);
        return values[values.length - config.quorum()];
    }

    /**
     * Check-quorum: whether a quorum of {@code config}'s voters (the leader among them if it is one) was heard from
     * since the last call. Starts a new round: every member counts as not heard from until it answers again.
     */
    boolean quorumActive(ClusterConfig config) {
        int active = config.isVoter(self) ? 1 : 0;
        for (Map.Entry<MemberId, Progress> e : progress.entrySet()) {
            if (e.getValue().recentActive && config.isVoter(e.getKey())) {
                active++;
            }
            e.getValue().recentActive = false;
        }
        return active >= config.quorum();
    }

    /**
     * The voter of {@code config} with the highest match, the first of them on a tie, if it holds the log up to
     * {@code lastIndex}; empty otherwise.
     */
    Optional<MemberId> voterHoldingAll(ClusterConfig config, long lastIndex) {
        MemberId best = null;
        long bestMatch = -1;
        for (MemberId voter : config.voters()) {
            Progress pr = progress.get(voter);
            if (pr != null && pr.match > bestMatch) {
                best = voter;
                bestMatch = pr.match;
            }
        }
        return best != null && bestMatch == lastIndex ? Optional.of(best) : Optional.empty();
    }

    @Override
    public String toString() {
        return progress.toString();
    }
}
