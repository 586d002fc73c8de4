package io.raftex.core.log;

import io.raftex.core.ClusterConfig;

import java.util.Objects;

/**
 * A configuration as a member's log holds it: the entry that carries it, or (index 0) the group's bootstrap
 * configuration that precedes every entry.
 *
 * @param index  the index of the {@link EntryType#CONFIG} entry (0 for the bootstrap configuration)
 * @param term   that entry's term (0 for the bootstrap configuration)
 * @param config the configuration
 */
public record ConfigEntry(long index, long term, ClusterConfig config) {

    public ConfigEntry {
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("index and term must be >= 0: " + index + "/" + term);
        }
        Objects.requireNonNull(config, "config");
    }
}
