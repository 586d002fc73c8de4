package io.raftex.demo;

/**
 * A key's value as stored.
 *
 * @param key   the key
 * @param value its value
 * @param index the Raft log index of the command that last wrote the value
 */
public record KvEntry(String key, String value, long index) {
}
