package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.StorageTestSupport.awaitSegments;
import static io.raftex.core.log.StorageTestSupport.awaitWal;
import static io.raftex.core.log.StorageTestSupport.crashImage;
import static io.raftex.core.log.StorageTestSupport.walFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Compaction, reset and segment deletion in the durable store: what survives a reopen and a crash (a crash image is a
 * copy of the data directory taken while the storage is open, see {@link StorageTestSupport#crashImage}), which
 * segment files go, how big the directory stays, and back-pressure accounting.
 */
class DurableCompactionTest {

    @TempDir
    Path dir;

    private static LogEntry small(long index, long term) {
        return new LogEntry(index, term, EntryType.COMMAND, 1, index, index - 1, index, new byte[100]);
    }

    private static List<LogEntry> smalls(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(small(i, term));
        }
        return out;
    }

    /** Bytes of every file under {@code root} (files deleted while it looks are skipped). */
    static long sizeOf(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            long total = 0;
            for (Path f : (Iterable<Path>) files::iterator) {
                try {
                    if (Files.isRegularFile(f)) {
                        total += Files.size(f);
                    }
                } catch (NoSuchFileException gone) {
                    // deleted meanwhile
                }
            }
            return total;
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return sizeOf(root);
            }
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Small WAL files and segments, so that 200,000 entries roll and seal many times in a few seconds. */
    static StorageOptions boundedOptions() {
        return StorageOptions.defaults().withSyncMode(SyncMode.NONE).withWalFileBytes(256 << 10)
                .withSegmentBytes(512 << 10).withSegmentCommit(4096, 2).withMaxUnmovedBytes(1 << 20);
    }

    /**
     * Appends 200,000 entries of 100 B payload (153 B encoded) to one group, 100 per append, compacting (if asked) every
     * 5,000 entries up to 5,000 behind the last, as a state machine snapshotting at its applied index would. Takes no
     * new entries while the store is back-pressured, as the protocol core does. Returns the largest size the data
     * directory had at any compaction point and at the end.
     */
    private long appendTwoHundredThousand(Path data, boolean compact) {
        long largest = 0;
        try (LogStorage storage = LogStorage.open(data, boundedOptions())) {
            GroupLog log = storage.openGroup("g", INITIAL);
            for (long next = 1; next <= 200_000; next += 100) {
                if (log.backPressured()) {
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1))
                            .until(() -> !log.backPressured());
                }
                log.append(smalls(next, next + 99, 1));
                long last = log.lastIndex();
                if (last % 5_000 == 0) {
                    if (compact && last > 5_000) {
                        log.compact(last - 5_000, 1);
                    }
                    largest = Math.max(largest, sizeOf(data));
                }
            }
            awaitSegments(storage);
            largest = Math.max(largest, sizeOf(data));
            assertThat(log.lastIndex()).isEqualTo(200_000);
            assertThat(log.firstIndex()).isEqualTo(compact ? 195_001 : 1);
            assertThat(log.entries(199_990, 200_000, Long.MAX_VALUE)).containsExactlyElementsOf(
                    smalls(199_990, 200_000, 1));
        }
        return largest;
    }

    /**
     * The bound for {@link #compactionKeepsTheDataDirectoryBounded}. Measured with compaction: largest 11.7 to 13.7 MB
     * over seven runs (two to four sealed segments of 2 to 3 MiB each for 512 KiB of entries, the building segment, a
     * segment's worth of WAL plus what back-pressure lets through, state.db at MapDB's 2 MiB minimum); without
     * compaction the directory reaches 89.9 to 93.8 MB. 24 MiB (25.2 MB) leaves 1.8 times the measured largest.
     */
    static final long BOUND = 24L << 20;

    @Test
    void compactionKeepsTheDataDirectoryBounded() {
        long compacted = appendTwoHundredThousand(dir.resolve("compacted"), true);
        long whole = appendTwoHundredThousand(dir.resolve("whole"), false);
        assertThat(compacted).as("largest size with compaction every 5,000 entries").isLessThanOrEqualTo(BOUND);
        assertThat(whole).as("size without compaction").isGreaterThan(BOUND);
    }

    // ---- persistence of compaction and reset ----

    /**
     * Small WAL files and segments so that rolls, seals and deletions happen after a few hundred entries. The segment
     * writer seals at most once per move, so WAL batches of one record keep its moves small (about 64 entries).
     */
    static StorageOptions smallOptions() {
        return StorageOptions.defaults().withSyncMode(SyncMode.NONE).withMaxBatch(1, 1 << 20)
                .withWalFileBytes(8 << 10).withSegmentBytes(16 << 10).withSegmentCommit(64, 1);
    }

    private static void appendInBatches(GroupLog log, long from, long to, long term) {
        for (long i = from; i <= to; i += 20) {
            log.append(smalls(i, Math.min(to, i + 19), term));
        }
    }

    private static void assertEntries(GroupLog log, long from, long to, long term) {
        long i = from;
        while (i <= to) {
            List<LogEntry> run = log.entries(i, to, 64 << 10);
            assertThat(run).as("entries from %d", i).containsExactlyElementsOf(smalls(i, i + run.size() - 1, term));
            i += run.size();
        }
    }

    @Test
    void compactionSurvivesReopenOnceTheWalFileThatHeldItIsGone() {
        long compactedIn;
        try (LogStorage storage = LogStorage.open(dir, smallOptions())) {
            GroupLog log = storage.openGroup("g", INITIAL);
            appendInBatches(log, 1, 300, 1);
            log.compact(250, 1);
            awaitWal(storage);
            List<Path> wal = walFiles(dir);
            Path holder = wal.get(wal.size() - 1);
            appendInBatches(log, 301, 1500, 1);
            awaitSegments(storage);
            assertThat(holder).as("the WAL file with the compact record, released after a seal").doesNotExist();
            assertThat(storage.store().segmentSeqs()).as("the first segment held only compacted entries")
                    .doesNotContain(0L);
        }
        try (LogStorage storage = LogStorage.open(dir, smallOptions())) {
            GroupLog log = storage.openGroup("g", INITIAL);
            assertThat(log.firstIndex()).isEqualTo(251);
            assertThat(log.termAt(250)).isEqualTo(1);
            assertThat(log.lastIndex()).isEqualTo(1500);
            assertEntries(log, 251, 1500, 1);
        }
    }

    @Test
    void aCrashAfterResetsReplaysTheWalInOrder() {
        Path live = dir.resolve("live");
        LogStorage storage = LogStorage.open(live, smallOptions(), false); // everything stays in the WAL
        GroupLog g = storage.openGroup("g", INITIAL);
        GroupLog other = storage.openGroup("o", INITIAL);
        g.append(smalls(1, 100, 1));
        other.append(smalls(1, 10, 1));
        g.compact(50, 1);
        g.append(smalls(101, 120, 1));
        g.resetTo(80, 3); // below the last index: 81..120 of term 1 must not come back
        crashImage(live, dir.resolve("right-after-reset")); // durable when it returns: no wait for the WAL
        g.append(smalls(81, 90, 3));
        other.append(smalls(11, 20, 1));
        g.resetTo(1000, 4); // above it
        g.append(smalls(1001, 1010, 4));
        awaitWal(storage);
        crashImage(live, dir.resolve("at-the-end"));
        storage.close();

        try (LogStorage again = LogStorage.open(dir.resolve("right-after-reset"), smallOptions())) {
            GroupLog r = again.openGroup("g", INITIAL);
            assertThat(r.snapshotIndex()).isEqualTo(80);
            assertThat(r.lastIndex()).isEqualTo(80);
            assertThat(r.termAt(80)).isEqualTo(3);
            assertThat(r.termAt(100)).isEqualTo(-1);
            r.append(smalls(81, 82, 3));
            assertEntries(r, 81, 82, 3);
        }
        for (String image : new String[] {"at-the-end", "live"}) {
            try (LogStorage again = LogStorage.open(dir.resolve(image), smallOptions())) {
                GroupLog r = again.openGroup("g", INITIAL);
                assertThat(r.firstIndex()).as(image).isEqualTo(1001);
                assertThat(r.termAt(1000)).isEqualTo(4);
                assertThat(r.termAt(90)).isEqualTo(-1);
                assertThat(r.lastIndex()).isEqualTo(1010);
                assertEntries(r, 1001, 1010, 4);
                GroupLog o = again.openGroup("o", INITIAL);
                assertThat(o.firstIndex()).isEqualTo(1);
                assertEntries(o, 1, 20, 1);
            }
        }
    }

    @Test
    void aResetOverSealedSegmentsAndTheAppendsAfterItRecoverExactly() {
        Path live = dir.resolve("live");
        LogStorage storage = LogStorage.open(live, smallOptions());
        GroupLog g = storage.openGroup("g", INITIAL);
        appendInBatches(g, 1, 2000, 1);
        awaitSegments(storage);
        assertThat(storage.store().segmentCount()).as("entries 1..2000 in sealed segments").isGreaterThan(5);

        g.resetTo(500, 2); // 501..2000 of term 1 are in sealed segments and in the WAL
        awaitSegments(storage);
        crashImage(live, dir.resolve("after-reset"));
        appendInBatches(g, 501, 3000, 2);
        awaitSegments(storage);
        crashImage(live, dir.resolve("after-appends"));
        assertThat(storage.store().segmentSeqs()).as("segments with only entries from before the reset are deleted")
                .doesNotContain(0L, 1L, 2L);
        storage.close();

        try (LogStorage again = LogStorage.open(dir.resolve("after-reset"), smallOptions())) {
            GroupLog r = again.openGroup("g", INITIAL);
            assertThat(r.firstIndex()).isEqualTo(501);
            assertThat(r.lastIndex()).isEqualTo(500);
            assertThat(r.termAt(500)).isEqualTo(2);
            assertThat(r.termAt(1000)).isEqualTo(-1);
        }
        for (String image : new String[] {"after-appends", "live"}) {
            try (LogStorage again = LogStorage.open(dir.resolve(image), smallOptions())) {
                GroupLog r = again.openGroup("g", INITIAL);
                assertThat(r.firstIndex()).as(image).isEqualTo(501);
                assertThat(r.termAt(500)).isEqualTo(2);
                assertThat(r.lastIndex()).isEqualTo(3000);
                assertEntries(r, 501, 3000, 2);
            }
        }
    }

    // ---- space ----

    @Test
    void segmentsBelowEveryStartAreDeletedAndUnmappedWhileAGroupThatNeverCompactsKeepsItsOwn() throws IOException {
        Path segments = dir.resolve("segments");
        try (LogStorage storage = LogStorage.open(dir, smallOptions())) {
            GroupLog keeper = storage.openGroup("keeper", INITIAL); // never compacts
            GroupLog g = storage.openGroup("g", INITIAL);
            keeper.append(smalls(1, 40, 7));
            awaitSegments(storage);
            for (long next = 1; next <= 3000; next += 20) {
                g.append(smalls(next, next + 19, 1));
                if (g.lastIndex() % 200 == 0) {
                    g.compact(g.lastIndex() - 100, 1);
                }
            }
            awaitSegments(storage);
            List<Long> seqs = storage.store().segmentSeqs();
            long newest = seqs.get(seqs.size() - 1);
            assertThat(newest).as("segments sealed").isGreaterThan(10);
            assertThat(seqs.get(0)).as("the first segment holds the keeper's entries").isZero();
            assertThat(seqs).as("the keeper's, those with entries after g's start, the newest").hasSizeLessThan(8);
            List<String> expected = seqs.stream().map(q -> String.format("seg-%016d.db", q)).toList();
            try (Stream<Path> files = Files.list(segments)) {
                assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".db")))
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
            Path maps = Path.of("/proc/self/maps");
            if (Files.isReadable(maps)) { // Linux: a deleted segment is no longer mapped either
                List<String> mapped = Files.readAllLines(maps).stream().filter(l -> l.contains(segments.toString()))
                        .toList();
                for (long q = 1; q < newest; q++) {
                    if (!seqs.contains(q)) {
                        String name = String.format("seg-%016d.db", q);
                        assertThat(mapped).as("mappings of deleted %s", name).noneMatch(l -> l.contains(name));
                    }
                }
            }
            assertEntries(keeper, 1, 40, 7);
            assertEntries(g, g.firstIndex(), 3000, 1);
        }
        try (LogStorage storage = LogStorage.open(dir, smallOptions())) {
            assertEntries(storage.openGroup("keeper", INITIAL), 1, 40, 7);
            GroupLog g = storage.openGroup("g", INITIAL);
            assertThat(g.firstIndex()).isEqualTo(2901);
            assertEntries(g, 2901, 3000, 1);
        }
    }

    // ---- back-pressure and failures ----

    private static LogEntry big(long index, long term) {
        return new LogEntry(index, term, EntryType.COMMAND, 0, 0, 0, 0, new byte[2048]);
    }

    @Test
    void entriesDroppedBeforeTheyMoveStillCountUntilTheSegmentWriterHasAppliedTheirRecords() {
        // A segment writer that gathers for an hour: nothing moves while the test looks.
        StorageOptions stalled = StorageOptions.defaults().withSyncMode(SyncMode.NONE)
                .withSegmentCommit(1_000_000, 3_600_000).withMaxUnmovedBytes(4096);
        try (LogStorage storage = LogStorage.open(dir.resolve("stalled"), stalled)) {
            DurableGroupLog g = (DurableGroupLog) storage.openGroup("g", INITIAL);
            g.append(List.of(big(1, 1), big(2, 1), big(3, 1)));
            long written = storage.unmovedBytes();
            assertThat(written).isPositive();
            assertThat(g.backPressured()).isTrue();
            g.compact(2, 1);
            assertThat(g.memTableSize()).as("the table dropped the compacted entries").isEqualTo(1);
            g.resetTo(10, 2);
            assertThat(g.memTableSize()).isZero();
            // The records are in the WAL and still to be applied: the bytes still count, back-pressure holds.
            assertThat(storage.unmovedBytes()).isEqualTo(written);
            assertThat(g.backPressured()).isTrue();
        }
        StorageOptions moving = StorageOptions.defaults().withSyncMode(SyncMode.NONE).withMaxUnmovedBytes(4096);
        try (LogStorage storage = LogStorage.open(dir.resolve("moving"), moving)) {
            DurableGroupLog g = (DurableGroupLog) storage.openGroup("g", INITIAL);
            g.append(List.of(big(1, 1), big(2, 1), big(3, 1)));
            g.compact(2, 1);
            g.append(List.of(big(4, 1)));
            g.resetTo(10, 2);
            g.append(List.of(big(11, 2)));
            awaitSegments(storage);
            assertThat(storage.unmovedBytes()).isZero();
            assertThat(g.backPressured()).isFalse();
            assertThat(g.memTableSize()).isZero();
            assertThat(g.allMoved()).isTrue();
            storage.closeGroup("g"); // waits for every request of the group, compactions and resets included
            GroupLog again = storage.openGroup("g", INITIAL);
            assertThat(again.firstIndex()).isEqualTo(11);
            assertThat(again.entry(11)).isEqualTo(big(11, 2));
        }
    }

    @Test
    void aResetWhoseSyncFailsThrowsInsteadOfWaitingForever() throws Exception {
        WalFailureTest.FaultyIo io = new WalFailureTest.FaultyIo();
        try (LogStorage storage = LogStorage.open(dir, StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC)
                .withFileIo(io))) {
            GroupLog g = storage.openGroup("g", INITIAL);
            g.append(smalls(1, 5, 1));
            awaitWal(storage);
            io.failSync.set(true);
            CompletableFuture<Void> reset = CompletableFuture.runAsync(() -> g.resetTo(3, 1));
            assertThatThrownBy(() -> reset.get(20, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(StorageException.class).hasMessageContaining("injected fsync error");
            assertThatThrownBy(() -> g.resetTo(4, 1)).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> g.append(smalls(4, 4, 1))).isInstanceOf(StorageException.class);
        }
    }
}
