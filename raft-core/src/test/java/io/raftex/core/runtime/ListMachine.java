package io.raftex.core.runtime;

import io.raftex.core.ApplyContext;
import io.raftex.core.Codec;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A test state machine: appends every command to a list and answers with the list's new size. */
final class ListMachine implements StateMachine<String, Integer> {

    static final Codec<String> COMMANDS = new Codec<>() {
        @Override
        public byte[] encode(String value) {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    static final Codec<Integer> RESULTS = new Codec<>() {
        @Override
        public byte[] encode(Integer value) {
            return Integer.toString(value).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Integer decode(byte[] bytes) {
            return Integer.parseInt(new String(bytes, StandardCharsets.UTF_8));
        }
    };

    private final List<String> applied = new ArrayList<>();
    private final List<Long> indexes = new ArrayList<>();

    @Override
    public Integer apply(String command, ApplyContext context) {
        if (command.startsWith("refuse")) {
            throw new IllegalArgumentException("refused " + command);
        }
        applied.add(command);
        indexes.add(context.index());
        return applied.size();
    }

    /** A copy of what was applied; call on the group thread (through a query). */
    List<String> applied() {
        return List.copyOf(applied);
    }

    @Override
    public StateSnapshot snapshot() {
        return StateSnapshot.ofBytes(String.join("\n", applied).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void restore(InputStream in) throws IOException {
        applied.clear();
        String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (!all.isEmpty()) {
            applied.addAll(List.of(all.split("\n")));
        }
    }
}
