package io.raftex.core;

/**
 * What a state machine may know about the command it applies.
 *
 * @param index      the log index of the command
 * @param term       the term in which the leader appended it
 * @param leaderTime the leader's wall-clock time (epoch millis) when it appended the command; the same on every member
 */
public record ApplyContext(long index, long term, long leaderTime) {
}
