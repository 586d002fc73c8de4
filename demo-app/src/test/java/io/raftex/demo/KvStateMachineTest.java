package io.raftex.demo;

import io.raftex.core.ApplyContext;
import io.raftex.core.StateSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The state machine on its own: commands as SQL on H2; snapshots in the data-only format of docs/demo.md, written
 * from a capture and restored only once every byte has been checked.
 */
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


    // ---- snapshots ----

    @Test
    void aSnapshotRestoresEveryKeyValueAndIndexIntoAnotherMachine() throws IOException {
        KvStateMachine source = machine("n1");
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < 2_500; i++) { // more than one insert batch
            expected.put("key-" + i, "value " + i);
        }
        expected.put("it's 'quoted'", "line 1\nline 2; DROP TABLE KV; --");
        expected.put("ключ ☃", "\u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \uD83D\uDE00");
        expected.put("k".repeat(KvCommand.MAX_KEY_LENGTH), "longest key");
        expected.put("☃".repeat(KvCommand.MAX_KEY_LENGTH), "longest key, 3 bytes a character");
        expected.put("\uD83D\uDE00".repeat(KvCommand.MAX_KEY_LENGTH / 2), "longest key, 4 bytes a character pair");
        expected.put("big", "x".repeat(KvCommand.MAX_VALUE_LENGTH));
        expected.put("big snowmen", "☃".repeat(KvCommand.MAX_VALUE_LENGTH));
        expected.put("empty", "");
        expected.forEach((k, v) -> apply(source, new KvCommand.Put(k, v)));
        apply(source, new KvCommand.Put("gone", "soon"));
        apply(source, new KvCommand.Delete("gone"));

        KvStateMachine target = machine("n2");
        apply(target, new KvCommand.Put("stale", "must disappear"));
        target.restore(new ByteArrayInputStream(write(source.snapshot())));

        assertThat(target.size()).isEqualTo(expected.size());
        for (String key : expected.keySet()) {
            assertThat(target.get(key)).isEqualTo(source.get(key));
            assertThat(target.get(key).orElseThrow().value()).isEqualTo(expected.get(key));
        }
        assertThat(target.get("stale")).isEmpty();
        assertThat(target.get("gone")).isEmpty();
        // the restored machine goes on applying
        assertThat(apply(target, new KvCommand.CompareAndSet("key-7", "value 7", "w")).succeeded()).isTrue();
        assertThat(target.get("key-7").orElseThrow().value()).isEqualTo("w");
    }

    @Test
    void aCaptureIsTheStateAtTheLastAppliedCommandEvenIfWrittenAfterLaterApplies() throws IOException {
        KvStateMachine source = machine("n1");
        apply(source, new KvCommand.Put("a", "1"));
        apply(source, new KvCommand.Put("b", "2"));
        KvEntry a = source.get("a").orElseThrow();
        KvEntry b = source.get("b").orElseThrow();

        StateSnapshot capture = source.snapshot();
        apply(source, new KvCommand.Put("a", "changed"));
        apply(source, new KvCommand.Delete("b"));
        apply(source, new KvCommand.Put("c", "new"));
        byte[] bytes = write(capture);

        KvStateMachine target = machine("n2");
        target.restore(new ByteArrayInputStream(bytes));
        assertThat(target.size()).isEqualTo(2);
        assertThat(target.get("a")).contains(a);
        assertThat(target.get("b")).contains(b);
        assertThat(target.get("c")).isEmpty();
        // and the source kept its later applies
        assertThat(source.get("a").orElseThrow().value()).isEqualTo("changed");
        assertThat(source.get("b")).isEmpty();
    }

    @Test
    void aCaptureIsWrittenEvenAfterItsMachineIsClosedButNotAfterItIsReleased() throws IOException {
        KvStateMachine source = KvStateMachine.inMemory("n1");
        apply(source, new KvCommand.Put("a", "1"));
        StateSnapshot capture = source.snapshot();
        source.close();

        KvStateMachine target = machine("n2");
        target.restore(new ByteArrayInputStream(write(capture)));
        assertThat(target.get("a").orElseThrow().value()).isEqualTo("1");

        capture.release();
        assertThatThrownBy(() -> write(capture)).isInstanceOf(IOException.class).hasMessageContaining("released");
    }

    @Test
    void aSnapshotIsExactlyTheDocumentedFormat() throws IOException {
        KvStateMachine kv = machine("n1");
        index = 6;
        apply(kv, new KvCommand.Put("é", "v1")); // index 7
        apply(kv, new KvCommand.Put("a", ""));   // index 8; written first, rows are in key order

        byte[] expected = withCrc(header(0x52584B56, 1, 2, out -> {
            row(out, "a".getBytes(StandardCharsets.UTF_8), new byte[0], 8);
            row(out, new byte[] {(byte) 0xC3, (byte) 0xA9}, "v1".getBytes(StandardCharsets.UTF_8), 7);
        }));

        byte[] actual = write(kv.snapshot());
        assertThat(actual).isEqualTo(expected);
        assertThat(Arrays.copyOf(actual, 4)).isEqualTo("RXKV".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void sqlInKeysAndValuesIsRestoredAsPlainData() throws IOException {
        String drop = "'); DROP TABLE KV; --";
        String alias = "CREATE ALIAS EXEC AS 'String exec(String c) throws Exception { return c; }'; CALL EXEC('x')";
        String script = "RUNSCRIPT FROM '/etc/passwd'";
        // written by a machine ...
        KvStateMachine source = machine("n1");
        apply(source, new KvCommand.Put(drop, alias));
        apply(source, new KvCommand.Put(alias, drop));
        apply(source, new KvCommand.Put("script", script));
        // ... and crafted by hand
        byte[] crafted = withCrc(header(0x52584B56, 1, 2, out -> {
            row(out, utf8(drop), utf8(script), 1);
            row(out, utf8("DROP TABLE KV"), utf8(alias), 2);
        }));

        KvStateMachine target = machine("n2");
        target.restore(new ByteArrayInputStream(write(source.snapshot())));
        assertThat(target.size()).isEqualTo(3);
        assertThat(target.get(drop).orElseThrow().value()).isEqualTo(alias);
        assertThat(target.get(alias).orElseThrow().value()).isEqualTo(drop);
        assertThat(target.get("script").orElseThrow().value()).isEqualTo(script);

        target.restore(new ByteArrayInputStream(crafted));
        assertThat(target.size()).isEqualTo(2);
        assertThat(target.get(drop)).contains(new KvEntry(drop, script, 1));
        assertThat(target.get("DROP TABLE KV")).contains(new KvEntry("DROP TABLE KV", alias, 2));
        // the table is still there, and no alias was created
        apply(target, new KvCommand.Put("after", "ok"));
        assertThat(target.get("after")).isPresent();
        assertThatThrownBy(() -> query(target, "CALL EXEC('x')")).hasMessageContaining("EXEC");
    }

    @Test
    void anEmptySnapshotRestoresAnEmptyStore() throws IOException {
        KvStateMachine empty = machine("n1");
        KvStateMachine target = machine("n2");
        apply(target, new KvCommand.Put("a", "1"));

        byte[] bytes = write(empty.snapshot());
        assertThat(bytes).hasSize(16); // magic, version, count 0, checksum
        target.restore(new ByteArrayInputStream(bytes));

        assertThat(target.size()).isZero();
        apply(target, new KvCommand.Put("b", "2"));
        assertThat(target.get("b")).isPresent();
    }

    @Test
    void restoreRejectsABadMagicNumber() {
        assertRejected(withCrc(header(0x52584B57, 1, 0, out -> { })), "not a key-value snapshot");
        assertRejected("THIS IS NOT SQL;".getBytes(StandardCharsets.UTF_8), "not a key-value snapshot");
        assertRejected(new byte[0], "truncated");
    }

    @Test
    void restoreRejectsAnotherVersion() {
        assertRejected(withCrc(header(0x52584B56, 2, 0, out -> { })), "version 2");
        assertRejected(withCrc(header(0x52584B56, 0, 0, out -> { })), "version 0");
    }

    @Test
    void restoreRejectsEveryTruncation() throws IOException {
        byte[] valid = validSnapshot();
        for (int length = 0; length < valid.length; length++) {
            assertRejected(Arrays.copyOf(valid, length), "");
        }
        assertRejected(Arrays.copyOf(valid, valid.length - 2), "truncated");
    }

    @Test
    void restoreRejectsEveryFlippedByte() throws IOException {
        byte[] valid = validSnapshot();
        for (int i = 0; i < valid.length; i++) {
            byte[] damaged = valid.clone();
            damaged[i] ^= 0x10;
            assertRejected(damaged, "");
        }
        byte[] inValue = valid.clone();
        inValue[valid.length - 4 - 8 - 1] ^= 0x01; // last character of the last value: only the checksum can tell
        assertRejected(inValue, "checksum mismatch");
        byte[] inIndex = valid.clone();
        inIndex[valid.length - 4 - 1] ^= 0x01;
        assertRejected(inIndex, "checksum mismatch");
    }

    @Test
    void restoreRejectsKeysAndValuesOutsideTheCommandLimits() {
        byte[] longKey = utf8("k".repeat(KvCommand.MAX_KEY_LENGTH + 1));
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, longKey, utf8("v"), 1))),
                "key is 257 characters long");
        byte[] longKeyBytes = utf8("☃".repeat(KvCommand.MAX_KEY_LENGTH) + "k");
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, longKeyBytes, utf8("v"), 1))),
                "key of 769 bytes");
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, new byte[0], utf8("v"), 1))),
                "key of 0 bytes");
        byte[] longValue = utf8("x".repeat(KvCommand.MAX_VALUE_LENGTH + 1));
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, utf8("k"), longValue, 1))),
                "'value' is 65537 characters long");
        // a hostile length is refused before anything is allocated for it
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> out.writeInt(Integer.MAX_VALUE))), "key of 2147483647");
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> {
            out.writeInt(1);
            out.write('k');
            out.writeInt(-1);
        })), "value of -1 bytes");
        byte[] badUtf8 = {(byte) 0xC3, (byte) 0x28};
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, badUtf8, utf8("v"), 1))), "not valid UTF-8");
        byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80}; // an encoded lone surrogate is not UTF-8
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, utf8("k"), surrogate, 1))),
                "not valid UTF-8");
    }

    @Test
    void restoreRejectsADuplicateKeyAndANegativeIndex() {
        assertRejected(withCrc(header(0x52584B56, 1, 3, out -> {
            row(out, utf8("a"), utf8("1"), 1);
            row(out, utf8("b"), utf8("2"), 2);
            row(out, utf8("a"), utf8("3"), 3);
        })), "key 'a' appears twice");
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> row(out, utf8("a"), utf8("1"), -1))),
                "negative index -1");
    }

    @Test
    void restoreRejectsBytesAfterTheChecksum() throws IOException {
        byte[] valid = validSnapshot();
        byte[] longer = Arrays.copyOf(valid, valid.length + 1);
        assertRejected(longer, "bytes follow its checksum");
        byte[] twice = Arrays.copyOf(valid, valid.length * 2);
        System.arraycopy(valid, 0, twice, valid.length, valid.length);
        assertRejected(twice, "bytes follow its checksum");
    }

    @Test
    void restoreRejectsAHostileRowCountWithoutAllocatingForIt() {
        long before = System.nanoTime();
        assertRejected(withCrc(header(0x52584B56, 1, Integer.MAX_VALUE, out -> row(out, utf8("a"), utf8("1"), 1))),
                "in row 2 of 2147483647");
        assertThat(System.nanoTime() - before).isLessThan(5_000_000_000L);
        assertRejected(withCrc(header(0x52584B56, 1, -1, out -> { })), "negative row count");
        // fewer rows than claimed, but enough bytes after them to read on: the checksum is taken as a row
        assertRejected(withCrc(header(0x52584B56, 1, 2, out -> row(out, utf8("a"), utf8("1"), 1))), "");
        // more rows than claimed: what follows is not the checksum
        assertRejected(withCrc(header(0x52584B56, 1, 1, out -> {
            row(out, utf8("a"), utf8("1"), 1);
            row(out, utf8("b"), utf8("2"), 2);
        })), "");
    }

    @Test
    void aValueJavaHoldsButUtf8CannotIsNotACommand() {
        // no snapshot could encode it: it never reaches the store
        assertThatThrownBy(() -> new KvCommand.Put("k", "lone \uD800 surrogate"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> new KvCommand.Put("lone \uDC00", "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> new KvCommand.CompareAndSet("k", "x\uD800", "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'expected'");
        assertThat(new KvCommand.Put("k", "\uD83D\uDE00").value()).isEqualTo("\uD83D\uDE00");
    }

    // ---- helpers ----

    /** Restores {@code bytes} over a machine with known contents: it must fail and leave them as they were. */
    private void assertRejected(byte[] bytes, String message) {
        KvStateMachine kv = machine("victim");
        apply(kv, new KvCommand.Put("kept", "1"));
        apply(kv, new KvCommand.Put("also kept", "2"));
        KvEntry kept = kv.get("kept").orElseThrow();
        KvEntry alsoKept = kv.get("also kept").orElseThrow();

        assertThatThrownBy(() -> kv.restore(new ByteArrayInputStream(bytes)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(message);

        assertThat(kv.size()).isEqualTo(2);
        assertThat(kv.get("kept")).contains(kept);
        assertThat(kv.get("also kept")).contains(alsoKept);
        machines.remove(kv);
        kv.close();
    }

    /** A small snapshot of three rows, the last with a value of several bytes. */
    private byte[] validSnapshot() throws IOException {
        KvStateMachine kv = machine("valid");
        apply(kv, new KvCommand.Put("a", "1"));
        apply(kv, new KvCommand.Put("b", ""));
        apply(kv, new KvCommand.Put("c", "xyz"));
        byte[] bytes = write(kv.snapshot());
        KvStateMachine check = machine("check");
        check.restore(new ByteArrayInputStream(bytes));
        assertThat(check.size()).isEqualTo(3);
        return bytes;
    }

    private static byte[] write(StateSnapshot snapshot) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        snapshot.writeTo(out);
        return out.toByteArray();
    }

    private static Object query(KvStateMachine machine, String sql) throws Exception {
        try (var connection = java.sql.DriverManager.getConnection(machine.url(), "sa", "");
             var statement = connection.createStatement()) {
            return statement.execute(sql);
        }
    }

    private interface Rows {
        void write(DataOutputStream out) throws IOException;
    }

    /** A snapshot's content before its checksum, as docs/demo.md describes it. */
    private static byte[] header(int magic, int version, int count, Rows rows) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(magic);
            out.writeInt(version);
            out.writeInt(count);
            rows.write(out);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void row(DataOutputStream out, byte[] key, byte[] value, long index) throws IOException {
        out.writeInt(key.length);
        out.write(key);
        out.writeInt(value.length);
        out.write(value);
        out.writeLong(index);
    }

    /** The content followed by its CRC32C, big-endian. */
    private static byte[] withCrc(byte[] content) {
        CRC32C crc = new CRC32C();
        crc.update(content);
        int value = (int) crc.getValue();
        byte[] all = Arrays.copyOf(content, content.length + 4);
        all[content.length] = (byte) (value >>> 24);
        all[content.length + 1] = (byte) (value >>> 16);
        all[content.length + 2] = (byte) (value >>> 8);
        all[content.length + 3] = (byte) value;
        return all;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
