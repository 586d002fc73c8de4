package io.raftex.demo;

/**
 * What applying a {@link KvCommand} produced, on every member alike.
 *
 * <ul>
 *   <li>put: {@code succeeded} is true and {@code value} is the new value;</li>
 *   <li>delete: {@code succeeded} tells whether the key existed, {@code value} is the value it had (or null);</li>
 *   <li>compare-and-set: {@code succeeded} tells whether the value was set, {@code value} is the key's value after
 *   the command (null if absent).</li>
 * </ul>
 *
 * @param succeeded whether the command changed the store as asked
 * @param value     the value described above; null when the key is absent
 * @param index     the Raft log index the command was applied at
 */
public record KvResult(boolean succeeded, String value, long index) {
}
