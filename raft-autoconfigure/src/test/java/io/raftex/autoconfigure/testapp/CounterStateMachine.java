package io.raftex.autoconfigure.testapp;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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

    /** Commands applied. */
    public long applied() {
        return applied;
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(counters.size());
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            data.writeUTF(e.getKey());
            data.writeLong(e.getValue());
        }
        data.writeLong(applied);
        data.flush();
    }

    @Override
    public void readSnapshot(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        counters.clear();
        int n = data.readInt();
        for (int i = 0; i < n; i++) {
            counters.put(data.readUTF(), data.readLong());
        }
        applied = data.readLong();
    }
}
