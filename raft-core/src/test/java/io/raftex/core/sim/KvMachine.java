package io.raftex.core.sim;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateSnapshot;
import io.raftex.core.session.EncodedStateMachine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The simulator's state machine: a map of registers. Commands are text: {@code P key value} (put, answers
 * {@code OK}), {@code C key expected value} (compare-and-set, {@code -} for absent; answers {@code T} or
 * {@code F}), {@code D key [tag]} (delete, answers {@code T} if it existed; the tag only makes the payload unique).
 */
final class KvMachine implements EncodedStateMachine {

    static final String ABSENT = "-";

    private final Map<String, String> values = new HashMap<>();

    static byte[] put(String key, String value) {
        return ("P " + key + " " + value).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] cas(String key, String expected, String value) {
        return ("C " + key + " " + (expected == null ? ABSENT : expected) + " " + value)
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] delete(String key) {
        return ("D " + key).getBytes(StandardCharsets.UTF_8);
    }

    /** A delete whose payload is told apart from every other by {@code tag}, which the machine ignores. */
    static byte[] delete(String key, String tag) {
        return ("D " + key + " " + tag).getBytes(StandardCharsets.UTF_8);
    }

    Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    int size() {
        return values.size();
    }

    /** A copy of every key and value, in key order. */
    TreeMap<String, String> contents() {
        return new TreeMap<>(values);
    }

    @Override
    public byte[] apply(byte[] command, ApplyContext context) {
        String[] p = new String(command, StandardCharsets.UTF_8).split(" ");
        String answer;
        switch (p[0]) {
            case "P" -> {
                values.put(p[1], p[2]);
                answer = "OK";
            }
            case "C" -> {
                String current = values.get(p[1]);
                boolean match = ABSENT.equals(p[2]) ? current == null : p[2].equals(current);
                if (match) {
                    values.put(p[1], p[3]);
                }
                answer = match ? "T" : "F";
            }
            case "D" -> answer = values.remove(p[1]) != null ? "T" : "F";
            default -> throw new IllegalArgumentException("unknown command " + p[0]);
        }
        return answer.getBytes(StandardCharsets.UTF_8);
    }

    /** Captures a copy of the map (quick at simulator sizes); written out as {@code key value} lines. */
    StateSnapshot snapshot() {
        TreeMap<String, String> copy = new TreeMap<>(values);
        return out -> {
            StringBuilder text = new StringBuilder();
            copy.forEach((k, v) -> text.append(k).append(' ').append(v).append('\n'));
            out.write(text.toString().getBytes(StandardCharsets.UTF_8));
        };
    }

    /** Replaces the map with what a capture of {@link #snapshot()} wrote. */
    void restore(InputStream in) throws IOException {
        Map<String, String> restored = new HashMap<>();
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] kv = line.split(" ");
            if (kv.length != 2) {
                throw new IOException("malformed snapshot line: " + line);
            }
            restored.put(kv[0], kv[1]);
        }
        values.clear();
        values.putAll(restored);
    }
}
