package io.raftex.core.snapshot;

import io.raftex.core.LogCapture;
import io.raftex.core.log.FileIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract on files, plus the file layout, temporary files and the order of forces and renames. */
class FileSnapshotStoreTest extends SnapshotStoreContractTest {

    @TempDir
    Path tmp;

    private int stores;

    @Override
    SnapshotStore newStore() throws IOException {
        return FileSnapshotStore.open(tmp.resolve("store-" + ++stores));
    }

    private static Path fileOf(SnapshotStore store, SnapshotMeta meta) {
        return ((FileSnapshotStore) store).file(meta.index(), meta.term());
    }

    @Override
    void corrupt(SnapshotStore store, SnapshotMeta meta) throws IOException {
        try (FileChannel ch = FileChannel.open(fileOf(store, meta), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long at = ch.size() / 2;
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0xff)).rewind();
            ch.write(b, at);
        }
    }

    @Override
    void truncate(SnapshotStore store, SnapshotMeta meta, int bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(fileOf(store, meta), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - bytes);
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theFileHoldsTheDocumentedFormat() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(tmp.resolve("g"));
        byte[] state = state(1000, 1);
        write(store, 12, 3, state);

        assertThat(names(tmp.resolve("g"))).containsExactly("snapshot-00000000000000000012-3.snap");
        byte[] file = Files.readAllBytes(store.file(12, 3));
        ByteBuffer b = ByteBuffer.wrap(file); // big-endian
        byte[] magic = new byte[4];
        b.get(magic);
        assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("RFXS");
        assertThat(b.get()).isEqualTo((byte) 1);
        assertThat(b.getLong()).isEqualTo(12);
        assertThat(b.getLong()).isEqualTo(3);
        assertThat(b.getInt()).isEqualTo(3);
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = string(b);
            String address = string(b);
            members.add(id + " " + address + " " + b.get());
        }
        assertThat(members).containsExactly("n1 http://n1:8080/12 0", "n2 http://n2:8080 1",
                "n3 http://nœud-3:8080 2");
        assertThat(b.getLong()).isEqualTo(state.length);
        byte[] body = new byte[state.length];
        b.get(body);
        assertThat(body).isEqualTo(state);
        CRC32C crc = new CRC32C();
        crc.update(file, 0, file.length - 4);
        assertThat(b.getInt()).isEqualTo((int) crc.getValue());
        assertThat(b.hasRemaining()).isFalse();
        assertThat(store.size(meta(12, 3))).isEqualTo(file.length);
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[b.getInt()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    @Test
    void temporaryFilesAreNotListedAndAreDeletedOnOpen() throws IOException {
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        write(store, 5, 1, state(100, 1));
        SnapshotStore.Sink unfinished = store.create(meta(9, 2));
        unfinished.stream().write(state(5000, 2));
        unfinished.stream().flush();
        SnapshotStore.Incoming receiving = store.receive(8, 2);
        receiving.write(0, state(100, 3));
        Files.write(dir.resolve("snapshot-00000000000000000007-2.snap.123.tmp"), new byte[10]);

        assertThat(names(dir)).filteredOn(n -> n.endsWith(".tmp")).hasSize(3);
        assertThat(store.list()).containsExactly(meta(5, 1));

        FileSnapshotStore reopened = FileSnapshotStore.open(dir); // as after a crash

        assertThat(names(dir)).containsExactly("snapshot-00000000000000000005-1.snap");
        assertThat(reopened.list()).containsExactly(meta(5, 1));
        assertThat(reopened.latestValid()).contains(meta(5, 1));
    }

    @Test
    void closeWithoutCommitDeletesTheTemporaryFile() throws IOException {
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        try (SnapshotStore.Sink sink = store.create(meta(9, 2))) {
            sink.stream().write(state(5000, 2));
            assertThat(names(dir)).hasSize(1);
        }
        try (SnapshotStore.Incoming in = store.receive(9, 2)) {
            in.write(0, new byte[10]);
            assertThat(names(dir)).hasSize(1);
        }
        assertThat(names(dir)).isEmpty();
    }

    @Test
    void foreignFilesAreIgnored() throws IOException {
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        Files.write(dir.resolve("README"), new byte[1]);
        Files.write(dir.resolve("snapshot-12-3.snap"), new byte[1]);
        Files.write(dir.resolve("snapshot-00000000000000000012-x.snap"), new byte[1]);
        write(store, 5, 1, state(100, 1));

        assertThat(store.list()).containsExactly(meta(5, 1));
        store.retain(1);
        assertThat(names(dir)).contains("README", "snapshot-12-3.snap");
    }

    @Test
    void aFileWhoseHeaderDoesNotMatchItsNameIsSkipped() throws IOException {
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        write(store, 5, 1, state(100, 1));
        write(store, 6, 1, state(100, 2));
        Files.move(store.file(6, 1), store.file(99, 1));

        try (LogCapture logs = new LogCapture("io.raftex.core.snapshot")) {
            assertThat(store.latestValid()).contains(meta(5, 1));
            assertThat(logs.warnings()).singleElement().asString()
                    .contains("snapshot-00000000000000000099-1.snap", "header is for index 6 term 1",
                            "trying an older one");
        }
        assertThat(store.list()).containsExactly(meta(5, 1)); // its header cannot describe it: not listed
        assertThatThrownBy(() -> store.openState(meta(99, 1))).isInstanceOf(SnapshotCorruptException.class);
    }

    @Test
    void theWarningNamesTheFileAndTheReason() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(tmp.resolve("g"));
        write(store, 5, 1, state(1000, 1));
        SnapshotMeta newer = write(store, 6, 3, state(1000, 2));
        corrupt(store, newer);

        try (LogCapture logs = new LogCapture("io.raftex.core.snapshot")) {
            store.latestValid();
            assertThat(logs.warnings()).containsExactly("snapshot " + store.file(6, 3)
                    + " is corrupt (CRC32C mismatch); trying an older one");
        }
    }

    /** Records the forces and directory syncs, checking at each what is on disk. */
    private static final class RecordingFileIo implements FileIo {
        final FileIo real = FileIo.standard();
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        volatile Path expectedTarget;
        volatile IOException failForce;
        volatile IOException failSync;

        @Override
        public WalFile openForAppend(Path file) {
            throw new AssertionError("snapshots do not append");
        }

        @Override
        public void forceFile(Path file) throws IOException {
            events.add("force " + kind(file));
            if (expectedTarget != null) {
                // the data is forced while it is still in the temporary file, before the rename
                assertThat(file.getFileName().toString()).endsWith(".tmp");
                assertThat(expectedTarget).doesNotExist();
            }
            if (failForce != null) {
                throw failForce;
            }
            real.forceFile(file);
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            events.add("sync " + dir.getFileName());
            if (expectedTarget != null) {
                // the directory is forced after the rename
                assertThat(expectedTarget).exists();
            }
            if (failSync != null) {
                throw failSync;
            }
            real.syncDirectory(dir);
        }

        private static String kind(Path file) {
            return file.getFileName().toString().endsWith(".tmp") ? "tmp" : file.getFileName().toString();
        }
    }

    @Test
    void theDataIsForcedBeforeTheRenameAndTheDirectoryAfterIt() throws IOException {
        RecordingFileIo io = new RecordingFileIo();
        Path dir = tmp.resolve("a").resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir, io);
        assertThat(io.events).containsExactly("sync " + tmp.getFileName(), "sync a"); // the new directories
        io.events.clear();

        io.expectedTarget = store.file(5, 1);
        write(store, 5, 1, state(10_000, 1));
        assertThat(io.events).containsExactly("force tmp", "sync g");
        io.events.clear();

        FileSnapshotStore other = FileSnapshotStore.open(tmp.resolve("other"));
        SnapshotMeta sent = write(other, 7, 2, state(10_000, 2));
        io.expectedTarget = store.file(7, 2);
        try (SnapshotStore.Incoming in = store.receive(7, 2)) {
            in.write(0, form(other, sent, 1 << 20));
            in.complete();
        }
        assertThat(io.events).containsExactly("force tmp", "sync g");
        io.events.clear();

        io.expectedTarget = null;
        store.retain(1);
        assertThat(io.events).containsExactly("sync g");
    }

    @Test
    void aFailedForceLeavesNothing() throws IOException {
        RecordingFileIo io = new RecordingFileIo();
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir, io);
        io.failForce = new IOException("injected: fsync failed");

        assertThatThrownBy(() -> write(store, 5, 1, state(1000, 1))).hasMessageContaining("injected");

        assertThat(names(dir)).isEmpty();
        assertThat(store.list()).isEmpty();
    }

    @Test
    void aFailedDirectorySyncTakesThePublicationBack() throws IOException {
        RecordingFileIo io = new RecordingFileIo();
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir, io);
        write(store, 4, 1, state(1000, 1));
        io.failSync = new IOException("injected: directory fsync failed");

        assertThatThrownBy(() -> write(store, 5, 1, state(1000, 2)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("directory fsync failed");

        assertThat(names(dir)).containsExactly("snapshot-00000000000000000004-1.snap");
        assertThat(store.list()).containsExactly(meta(4, 1));
    }

    @Test
    void aFailedForceOfAReceivedSnapshotLeavesNothing() throws IOException {
        RecordingFileIo io = new RecordingFileIo();
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir, io);
        FileSnapshotStore other = FileSnapshotStore.open(tmp.resolve("other"));
        SnapshotMeta sent = write(other, 7, 2, state(10_000, 2));
        io.failForce = new IOException("injected: fsync failed");

        SnapshotStore.Incoming in = store.receive(7, 2);
        in.write(0, form(other, sent, 1 << 20));
        assertThatThrownBy(in::complete).hasMessageContaining("injected");

        assertThat(names(dir)).isEmpty();
        assertThat(store.list()).isEmpty();
    }

    @Test
    void afterARestartThatSkippedADamagedNewestSnapshotRetainKeepsTheIntactOlderOne() throws IOException {
        Path dir = tmp.resolve("restarted");
        FileSnapshotStore before = FileSnapshotStore.open(dir);
        SnapshotMeta older = write(before, 10, 1, state(1000, 1));
        SnapshotMeta damaged = write(before, 20, 2, state(1000, 2));
        corrupt(before, damaged);

        FileSnapshotStore store = FileSnapshotStore.open(dir); // the restart
        assertThat(store.latestValid()).contains(older);
        SnapshotMeta newer = write(store, 30, 3, state(1000, 3));
        store.retain(2);

        assertThat(names(dir)).containsExactly("snapshot-00000000000000000010-1.snap",
                "snapshot-00000000000000000030-3.snap");
        assertThat(FileSnapshotStore.open(dir).latestValid()).contains(newer);
    }

    @Test
    void snapshotsSurviveReopening() throws IOException {
        Path dir = tmp.resolve("g");
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        write(store, 5, 1, state(1000, 1));
        write(store, 9, 2, state(1000, 2));

        FileSnapshotStore reopened = FileSnapshotStore.open(dir);

        assertThat(reopened.list()).containsExactly(meta(9, 2), meta(5, 1));
        assertThat(reopened.latestValid()).contains(meta(9, 2));
        assertThat(readState(reopened, meta(9, 2))).isEqualTo(state(1000, 2));
    }
}
