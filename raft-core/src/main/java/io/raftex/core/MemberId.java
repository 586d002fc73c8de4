package io.raftex.core;

import java.util.Objects;

/**
 * The identity of one member of a Raft group, stable across restarts (for example {@code n1}).
 *
 * @param value the id; non-blank, no whitespace
 */
public record MemberId(String value) implements Comparable<MemberId> {

    public MemberId {
        Objects.requireNonNull(value, "member id");
        if (value.isBlank() || !value.equals(value.strip())) {
            throw new IllegalArgumentException("member id must be non-blank without surrounding spaces: '" + value + "'");
        }
    }

    /** Shorthand for {@code new MemberId(value)}. */
    public static MemberId of(String value) {
        return new MemberId(value);
    }

    @Override
    public int compareTo(MemberId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
