package io.raftex.autoconfigure.testapp;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;

/** Named counters; a command adds to one and answers its new value. */
public class CounterStateMachine implements StateMachine<CounterCommand, Long> {

    private final Map<String, Long> counters = new TreeMap<>();
    private long applied;

    @Override
    public Long apply(CounterCommand command, ApplyContext context) {
        applied++;
        return counters.merge(command.name(), command.delta(), Long::sum);
    }

    /** The counter's value (0 if never added to). */
    public long get(String name) {
        return counters.getOrDefault(name, 0L);
    }

    /** A copy of every counter, by name. */
    public Map<String, Long> counters() {
        return new TreeMap<>(counters);
    }

    /** Commands applied. */
    public long applied() {
        return applied;
    }

    /** Copies the counters on the apply thread; the copy is written later, elsewhere. */
    @Override
    public StateSnapshot snapshot() {
        Map<String, Long> copy = new TreeMap<>(counters);
        long appliedThen = applied;
        return out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeInt(copy.size());
            for (Map.Entry<String, Long> e : copy.entrySet()) {
                data.writeUTF(e.getKey());
                data.writeLong(e.getValue());
            }
            data.writeLong(appliedThen);
            data.flush();
        };
    }

    /** Reads a whole snapshot first, and only then replaces the counters. */
    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int n = data.readInt();
        if (n < 0) {
            throw new IOException("negative counter count " + n);
        }
        Map<String, Long> read = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (read.put(data.readUTF(), data.readLong()) != null) {
                throw new IOException("a counter appears twice");
            }
        }
        long appliedThen = data.readLong();
        if (data.read() != -1) {
            throw new IOException("bytes after the snapshot");
        }
        counters.clear();
        counters.putAll(read);
        applied = appliedThen;
    }
}
