package io.raftex.core.snapshot;

import io.raftex.core.ClusterConfig;

import java.util.Objects;

/**
 * What a snapshot covers: the state after applying every entry up to {@code index}, whose term was {@code term}, in a
 * group whose membership then was {@code config}.
 *
 * @param index  the last log index the snapshot covers (at least 1)
 * @param term   the term of the entry at {@code index}
 * @param config the group's membership as of {@code index}
 */
public record SnapshotMeta(long index, long term, ClusterConfig config) {

    public SnapshotMeta {
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException("a snapshot covers index >= 1 in term >= 1: " + index + "/" + term);
        }
        Objects.requireNonNull(config, "config");
    }
}
