package io.raftex.demo;

import io.raftex.core.ApplyContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The state machine on its own: commands as SQL on H2, snapshots through H2's SCRIPT and RUNSCRIPT. */
class KvStateMachineTest {

    private final List<KvStateMachine> machines = new ArrayList<>();
    private long index;

    @AfterEach
    void close() {
        machines.forEach(KvStateMachine::close);
    }

    private KvStateMachine machine(String nodeId) {
        KvStateMachine machine = KvStateMachine.inMemory(nodeId);
        machines.add(machine);
        return machine;
    }

    private KvResult apply(KvStateMachine machine, KvCommand command) {
        index++;
        return machine.apply(command, new ApplyContext(index, 1, 0));
    }

    @Test
    void putStoresTheValueWithItsIndex() {
        KvStateMachine kv = machine("n1");

        KvResult first = apply(kv, new KvCommand.Put("a", "1"));
        KvResult second = apply(kv, new KvCommand.Put("a", "2"));

        assertThat(first).isEqualTo(new KvResult(true, "1", 1));
        assertThat(second).isEqualTo(new KvResult(true, "2", 2));
        assertThat(kv.get("a")).contains(new KvEntry("a", "2", 2));
        assertThat(kv.size()).isEqualTo(1);
    }

    @Test
    void deleteAnswersWhetherTheKeyExistedAndItsValue() {
        KvStateMachine kv = machine("n1");
        apply(kv, new KvCommand.Put("a", "1"));

        assertThat(apply(kv, new KvCommand.Delete("a"))).isEqualTo(new KvResult(true, "1", 2));
        assertThat(apply(kv, new KvCommand.Delete("a"))).isEqualTo(new KvResult(false, null, 3));
        assertThat(kv.get("a")).isEmpty();
    }

    @Test
    void compareAndSetComparesWithNullMeaningAbsent() {
        KvStateMachine kv = machine("n1");

        assertThat(apply(kv, new KvCommand.CompareAndSet("a", null, "1"))).isEqualTo(new KvResult(true, "1", 1));
        assertThat(apply(kv, new KvCommand.CompareAndSet("a", null, "2"))).isEqualTo(new KvResult(false, "1", 2));
        assertThat(apply(kv, new KvCommand.CompareAndSet("a", "0", "2"))).isEqualTo(new KvResult(false, "1", 3));
        assertThat(apply(kv, new KvCommand.CompareAndSet("a", "1", "2"))).isEqualTo(new KvResult(true, "2", 4));
        assertThat(apply(kv, new KvCommand.CompareAndSet("b", "x", "y"))).isEqualTo(new KvResult(false, null, 5));
        assertThat(kv.get("a")).contains(new KvEntry("a", "2", 4));
        assertThat(kv.get("b")).isEmpty();
    }

    @Test
    void aSnapshotRestoresEveryKeyValueAndIndexIntoAnotherMachine() throws IOException {
        KvStateMachine source = machine("n1");
        apply(source, new KvCommand.Put("plain", "v"));
        apply(source, new KvCommand.Put("it's 'quoted'", "line 1\nline 2; DROP TABLE KV; --"));
        apply(source, new KvCommand.Put("ключ ☃", "\u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \uD83D\uDE00"));
        apply(source, new KvCommand.Put("big", "x".repeat(KvCommand.MAX_VALUE_LENGTH)));
        apply(source, new KvCommand.Put("gone", "soon"));
        apply(source, new KvCommand.Delete("gone"));

        KvStateMachine target = machine("n2");
        apply(target, new KvCommand.Put("stale", "must disappear"));
        target.readSnapshot(new ByteArrayInputStream(snapshot(source)));

        assertThat(target.size()).isEqualTo(4);
        for (String key : List.of("plain", "it's 'quoted'", "ключ ☃", "big")) {
            assertThat(target.get(key)).isEqualTo(source.get(key));
        }
        assertThat(target.get("stale")).isEmpty();
        assertThat(target.get("gone")).isEmpty();
        // the restored machine goes on applying
        assertThat(apply(target, new KvCommand.CompareAndSet("plain", "v", "w")).succeeded()).isTrue();
        assertThat(target.get("plain").orElseThrow().value()).isEqualTo("w");
    }

    @Test
    void aSnapshotIsAnH2Script() throws IOException {
        KvStateMachine kv = machine("n1");
        apply(kv, new KvCommand.Put("a", "1"));

        String script = new String(snapshot(kv), StandardCharsets.UTF_8);

        assertThat(script).contains("CREATE").contains("KV").contains("INSERT");
    }

    @Test
    void anEmptySnapshotRestoresAnEmptyStore() throws IOException {
        KvStateMachine empty = machine("n1");
        KvStateMachine target = machine("n2");
        apply(target, new KvCommand.Put("a", "1"));

        target.readSnapshot(new ByteArrayInputStream(snapshot(empty)));

        assertThat(target.size()).isZero();
        apply(target, new KvCommand.Put("b", "2"));
        assertThat(target.get("b")).isPresent();
    }

    @Test
    void aCorruptSnapshotFailsWithIOException() {
        KvStateMachine kv = machine("n1");

        assertThatThrownBy(() -> kv.readSnapshot(new ByteArrayInputStream(
                "THIS IS NOT SQL;".getBytes(StandardCharsets.UTF_8)))).isInstanceOf(IOException.class);
    }

    @Test
    void twoMachinesOfTheSameNodeIdDoNotShareADatabase() {
        KvStateMachine one = machine("n1");
        KvStateMachine two = machine("n1");

        apply(one, new KvCommand.Put("a", "1"));

        assertThat(one.url()).isNotEqualTo(two.url());
        assertThat(two.get("a")).isEmpty();
    }

    @Test
    void commandsTravelAsJsonWithTheirKind() {
        JsonMapper json = JsonMapper.builder().build();
        List<KvCommand> commands = List.of(new KvCommand.Put("k", "v"), new KvCommand.Delete("k"),
                new KvCommand.CompareAndSet("k", null, "v"), new KvCommand.CompareAndSet("k", "a", "b"));

        for (KvCommand command : commands) {
            String text = json.writerFor(KvCommand.class).writeValueAsString(command);
            assertThat(json.readerFor(KvCommand.class).<KvCommand>readValue(text)).isEqualTo(command);
        }
        assertThat(json.writerFor(KvCommand.class).writeValueAsString(new KvCommand.Delete("k")))
                .isEqualTo("{\"op\":\"delete\",\"key\":\"k\"}");
    }

    @Test
    void aCommandOverItsLimitsCannotBeMadeNorDecoded() {
        String longKey = "k".repeat(KvCommand.MAX_KEY_LENGTH + 1);
        JsonMapper json = JsonMapper.builder().build();

        assertThatThrownBy(() -> new KvCommand.Put(longKey, "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCommand.Put("", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCommand.Put("k", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCommand.CompareAndSet("k", "x".repeat(KvCommand.MAX_VALUE_LENGTH + 1), "v"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> json.readerFor(KvCommand.class)
                .readValue("{\"op\":\"put\",\"key\":\"" + longKey + "\",\"value\":\"v\"}"))
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] snapshot(KvStateMachine machine) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        machine.writeSnapshot(out);
        return out.toByteArray();
    }
}
