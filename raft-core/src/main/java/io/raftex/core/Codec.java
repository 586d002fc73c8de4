package io.raftex.core;

/**
 * Turns commands or results into bytes for the log and back. Encoding must be deterministic enough that every
 * member decodes the same value.
 *
 * @param <T> the value type
 */
public interface Codec<T> {

    /** Encodes a value. */
    byte[] encode(T value);

    /** Decodes a value encoded by {@link #encode}; throws {@link IllegalArgumentException} on malformed bytes. */
    T decode(byte[] bytes);
}
