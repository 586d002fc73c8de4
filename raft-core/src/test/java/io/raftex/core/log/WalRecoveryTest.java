package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.GroupLogContractTest.entries;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static io.raftex.core.log.StorageTestSupport.awaitSegments;
import static io.raftex.core.log.StorageTestSupport.awaitWal;
import static io.raftex.core.log.StorageTestSupport.frameOffsets;
import static io.raftex.core.log.StorageTestSupport.walFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Recovery from the WAL: the segment writer is switched off while writing, so every record is still only in the
 * WAL when the directory is reopened, as after a crash before the segment writer ran.
 */
class WalRecoveryTest {

    @TempDir
    Path dir;

    private static final StorageOptions OPTIONS = StorageOptions.defaults().withSyncMode(SyncMode.NONE)
            .withChunk(16, 1 << 20);

    /**
     * Writes 100 single-entry records for g1 and 100 for g2 into the WAL only, each record in a batch of its own
     * (so each is followed by its batch-commit marker).
     */
    private void writeWalOnly() {
        LogStorage storage = LogStorage.open(dir, OPTIONS.withMaxBatch(1, 1 << 20), false);
        GroupLog g1 = storage.openGroup("g1", INITIAL);
        GroupLog g2 = storage.openGroup("g2", INITIAL);
        for (int i = 1; i <= 100; i++) {
            g1.append(List.of(entry(i, 1)));
            g2.append(List.of(entry(i, 2)));
        }
        awaitWal(storage);
        storage.close();
        assertThat(StorageTestSupport.commitOffsets(walFiles(dir).get(0))).hasSize(200);
        assertThat(walFiles(dir)).hasSize(1);
    }

    @Test
    void replaysTheWalIntoMapDbAndStartsAFreshFile() {
        writeWalOnly();
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.storedGroups()).containsExactly("g1", "g2");
            GroupLog g1 = storage.openGroup("g1", INITIAL);
            GroupLog g2 = storage.openGroup("g2", INITIAL);
            assertThat(g1.entries(1, 100, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, 100, 1));
            assertThat(g2.entries(1, 100, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, 100, 2));
        }
        // Reopening again replays nothing twice.
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g1", INITIAL).lastIndex()).isEqualTo(100);
        }
    }

    @Test
    void truncationRecordsReplayInOrder() {
        LogStorage storage = LogStorage.open(dir, OPTIONS, false);
        GroupLog g = storage.openGroup("g", INITIAL);
        g.append(entries(1, 50, 1));
        g.truncateFrom(20);
        g.append(entries(20, 30, 2));
        g.truncateFrom(25);
        g.append(entries(25, 26, 3));
        awaitWal(storage);
        storage.close();
        try (LogStorage again = LogStorage.open(dir, OPTIONS)) {
            GroupLog r = again.openGroup("g", INITIAL);
            assertThat(r.lastIndex()).isEqualTo(26);
            assertThat(r.entries(1, 26, Long.MAX_VALUE)).containsExactlyElementsOf(GroupLogContractTest.concat(
                    GroupLogContractTest.concat(entries(1, 19, 1), entries(20, 24, 2)), entries(25, 26, 3)));
        }
    }

    @Test
    void tornTailCutMidRecordIsDropped() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        long size = Files.size(wal);
        try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.WRITE)) {
            // the last batch (g2's entry 100) loses the end of its commit marker: never synced, so cut
            ch.truncate(size - 7);
        }
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g1", INITIAL).lastIndex()).isEqualTo(100);
            GroupLog g2 = storage.openGroup("g2", INITIAL);
            assertThat(g2.lastIndex()).isEqualTo(99);
            assertThat(g2.entry(99)).isEqualTo(entry(99, 2));
        }
    }

    @Test
    void zerosAndGarbageAfterTheLastRecordAreCutAway() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        List<Integer> offsets = frameOffsets(wal);
        try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8192), ch.size()); // zero-filled blocks, as a crash after extending leaves
            ByteBuffer partial = ByteBuffer.wrap(WalRecord.append("g1", List.of(entry(101, 1))).toFrame(), 0, 20);
            ch.write(partial, ch.size()); // and a header whose body never arrived
        }
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g1", INITIAL).lastIndex()).isEqualTo(100);
            assertThat(storage.openGroup("g2", INITIAL).entries(1, 100, Long.MAX_VALUE))
                    .containsExactlyElementsOf(entries(1, 100, 2));
        }
        assertThat(offsets).hasSize(200);
    }

    @Test
    void bitFlipFollowedByValidRecordsFailsTheOpenNamingFileAndOffset() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        int victim = frameOffsets(wal).get(100); // g1's entry 51
        flip(wal, victim + WalRecord.HEADER + 40);
        assertThatThrownBy(() -> LogStorage.open(dir, OPTIONS))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(wal.toString())
                .hasMessageContaining("offset " + victim)
                .hasMessageContaining("group g2 entries 50..50")
                .hasMessageContaining("not a torn tail");
        // The failed open released its files: the error repeats rather than turning into a lock error.
        assertThatThrownBy(() -> LogStorage.open(dir, OPTIONS)).hasMessageContaining("offset " + victim);
    }

    @Test
    void garbledLengthFieldIsStillCorruptionWhenValidRecordsFollow() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        int victim = frameOffsets(wal).get(10);
        flip(wal, victim + 9); // high byte of the length: the frame seems to run far past the end of the file
        assertThatThrownBy(() -> LogStorage.open(dir, OPTIONS))
                .isInstanceOf(StorageException.class).hasMessageContaining("offset " + victim);
    }

    @Test
    void crashBetweenSegmentSealAndWalDeletionRecoversWithoutReplayingTwice() {
        StorageOptions small = OPTIONS.withWalFileBytes(2048).withSegmentCommit(32, 0).withSegmentBytes(512);
        LogStorage storage = LogStorage.open(dir, small);
        java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
        storage.afterSegmentCommitHook = () -> {
            if (commits.incrementAndGet() == 4) { // after some WAL files have already been released
                throw new IllegalStateException("injected crash after the segment seal");
            }
        };
        GroupLog g = storage.openGroup("g", INITIAL);
        GroupLogContractTest.Recorder rec = new GroupLogContractTest.Recorder();
        g.setDurabilityListener(rec);
        for (int i = 1; i <= 300 && rec.failures.isEmpty(); i++) {
            try {
                g.append(List.of(entry(i, 1)));
            } catch (StorageException refused) {
                break; // the injected failure stops the storage, as it must
            }
            if (i % 25 == 0) { // one segment per 25 entries, so that several seals happen
                org.awaitility.Awaitility.await().until(() -> !rec.failures.isEmpty()
                        || storage.wal().isIdle() && storage.segmentWriter().isIdle());
            }
        }
        org.awaitility.Awaitility.await().until(() -> !rec.failures.isEmpty());
        long acknowledged = rec.reports.isEmpty() ? 0 : rec.last()[0];
        storage.close();
        try (LogStorage again = LogStorage.open(dir, small)) {
            GroupLog r = again.openGroup("g", INITIAL);
            assertThat(r.lastIndex()).isGreaterThanOrEqualTo(acknowledged);
            assertThat(r.entries(1, r.lastIndex(), Long.MAX_VALUE))
                    .containsExactlyElementsOf(entries(1, r.lastIndex(), 1));
        }
    }

    @Test
    void walFilesRollAndAreReleasedOnceInASealedSegment() {
        StorageOptions small = OPTIONS.withWalFileBytes(4096).withSegmentCommit(64, 0).withSegmentBytes(4096);
        try (LogStorage storage = LogStorage.open(dir, small)) {
            GroupLog g = storage.openGroup("g", INITIAL);
            for (int i = 1; i <= 500; i++) {
                g.append(List.of(entry(i, 1)));
            }
            awaitSegments(storage);
            g.append(List.of(entry(501, 1))); // a batch after the roll lets the older files go
            awaitSegments(storage);
            assertThat(storage.wal().fileCount()).isLessThanOrEqualTo(2);
            assertThat(walFiles(dir).size()).isLessThanOrEqualTo(2);
            assertThat(((DurableGroupLog) g).memTableSize()).isLessThan(501);
            assertThat(g.entries(1, 501, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, 501, 1));
        }
        try (LogStorage again = LogStorage.open(dir, small)) {
            assertThat(again.openGroup("g", INITIAL).entries(1, 501, Long.MAX_VALUE))
                    .containsExactlyElementsOf(entries(1, 501, 1));
        }
    }

    /** Appends a batch as the WAL writer writes it: record frames, then (optionally) the batch-commit marker. */
    private static void appendBatch(Path file, List<byte[]> frames, boolean marker) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long start = ch.size();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (byte[] f : frames) {
                out.write(f);
            }
            byte[] records = out.toByteArray();
            if (marker) {
                out.write(WalRecord.commitFrame(start, frames.size(), EntryCodec.crc(records, 0, records.length)));
            }
            ch.write(ByteBuffer.wrap(out.toByteArray()), start);
        }
    }

    private static byte[] frame(String group, long index, long term) {
        return WalRecord.append(group, List.of(entry(index, term))).toFrame();
    }

    private static void zero(Path file, long position, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(length), position);
        }
    }

    @Test
    void garbageInTheMiddleOfTheLastUnmarkedBatchIsCutNotCorruption() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        long committedEnd = Files.size(wal);
        // A power loss: of the unsynced last batch, the first and third records reached the disk, the second is zeros,
        // and the marker never arrived.
        appendBatch(wal, List.of(frame("g1", 101, 1), new byte[frame("g1", 102, 1).length], frame("g1", 103, 1)),
                false);
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g1", INITIAL).entries(1, 200, Long.MAX_VALUE))
                    .containsExactlyElementsOf(entries(1, 100, 1));
            assertThat(storage.openGroup("g2", INITIAL).lastIndex()).isEqualTo(100);
        }
        assertThat(Files.size(wal)).as("cut back to the last committed batch, kept until a sealed segment covers it")
                .isEqualTo(committedEnd);
    }

    @Test
    void restartsReplayTheWalInsteadOfLeavingSmallSegments() {
        for (int run = 0; run < 4; run++) {
            try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
                GroupLog g = storage.openGroup("g", INITIAL);
                assertThat(g.lastIndex()).isEqualTo(run * 50L);
                for (int i = 1; i <= 50; i++) {
                    g.append(List.of(entry(run * 50L + i, 1)));
                }
                awaitSegments(storage);
                assertThat(storage.store().segmentCount()).isZero();
            }
        }
        assertThat(dir.resolve("segments")).isEmptyDirectory();
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g", INITIAL).entries(1, 200, Long.MAX_VALUE))
                    .containsExactlyElementsOf(entries(1, 200, 1));
        }
    }

    @Test
    void lastBatchWhoseMarkerArrivedButARecordDidNotIsCut() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        long start = Files.size(wal);
        byte[] second = frame("g2", 101, 2);
        appendBatch(wal, List.of(frame("g1", 101, 1), second, frame("g1", 102, 1)), true);
        // out-of-order write-back: the marker (at the end) is on disk, the middle record's pages are not
        zero(wal, start + frame("g1", 101, 1).length, second.length);
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g1", INITIAL).lastIndex()).isEqualTo(100);
            assertThat(storage.openGroup("g2", INITIAL).lastIndex()).isEqualTo(100);
        }
    }

    @Test
    void completeRecordsWithoutTheirMarkerAreNotApplied() throws IOException {
        writeWalOnly();
        appendBatch(walFiles(dir).get(0), List.of(frame("g1", 101, 1), frame("g2", 101, 2)), false);
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g1", INITIAL).lastIndex()).isEqualTo(100);
            assertThat(storage.openGroup("g2", INITIAL).lastIndex()).isEqualTo(100);
        }
    }

    @Test
    void aBadRecordInAnEarlierCommittedBatchIsCorruptionNamingFileAndOffset() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        long batchStart = Files.size(wal);
        byte[] first = frame("g1", 101, 1);
        appendBatch(wal, List.of(first, frame("g1", 102, 1), frame("g1", 103, 1)), true);
        appendBatch(wal, List.of(frame("g2", 101, 2)), true); // a later batch: the one before was synced
        long victim = batchStart + first.length;
        flip(wal, victim + WalRecord.HEADER + 30);
        assertThatThrownBy(() -> LogStorage.open(dir, OPTIONS))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(wal.toString())
                .hasMessageContaining("at offset " + victim)
                .hasMessageContaining("group g1 entries 101..101")
                .hasMessageContaining("not a torn tail");
    }

    @Test
    void aDamagedMarkerFollowedByALaterBatchIsCorruption() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        int marker = StorageTestSupport.commitOffsets(wal).get(150);
        flip(wal, marker + WalRecord.HEADER + 5);
        assertThatThrownBy(() -> LogStorage.open(dir, OPTIONS))
                .isInstanceOf(StorageException.class).hasMessageContaining("at offset " + marker);
    }

    @Test
    void aBatchWithoutMarkerInAnEarlierFileIsCorruption() throws IOException {
        writeWalOnly();
        Path wal = walFiles(dir).get(0);
        appendBatch(wal, List.of(frame("g1", 101, 1)), false);
        long unmarked = Files.size(wal) - frame("g1", 101, 1).length;
        Path later = Wal.fileFor(dir.resolve("wal"), 2);
        Files.write(later, new byte[0]);
        appendBatch(later, List.of(frame("g1", 102, 1)), true);
        assertThatThrownBy(() -> LogStorage.open(dir, OPTIONS))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(wal.toString())
                .hasMessageContaining("at offset " + unmarked)
                .hasMessageContaining("later WAL files follow it");
    }

    private static void flip(Path file, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, position);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            b.rewind();
            ch.write(b, position);
        }
    }
}
