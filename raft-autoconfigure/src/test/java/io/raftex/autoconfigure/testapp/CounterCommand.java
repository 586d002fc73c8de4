package io.raftex.autoconfigure.testapp;

/** Adds {@code delta} to the counter named {@code name}. */
public record CounterCommand(String name, long delta) {
}
