package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A segment writer that falls behind must not block the group threads: their heartbeats and votes would wait
 * behind it. Appends go through and the store reports back-pressure instead, which the protocol core turns into
 * refusing new commands and new entries for a while.
 */
class BackPressureTest {

    @TempDir
    Path dir;

    /** A segment writer that gathers for an hour before it moves anything: as stuck as it gets while alive. */
    private static StorageOptions stalledWriter(long maxUnmovedBytes) {
        return StorageOptions.defaults().withSyncMode(SyncMode.NONE).withSegmentCommit(1_000_000, 3_600_000)
                .withMaxUnmovedBytes(maxUnmovedBytes);
    }

    private static LogEntry bigEntry(long index) {
        return new LogEntry(index, 1, EntryType.COMMAND, 0, 0, 0, 0, new byte[2048]);
    }

    @Test
    void appendsOverTheBoundReturnAtOnceAndEveryGroupOfTheNodeSeesBackPressure() throws Exception {
        try (LogStorage storage = LogStorage.open(dir, stalledWriter(1024))) {
            GroupLog a = storage.openGroup("a", INITIAL);
            GroupLog b = storage.openGroup("b", INITIAL);
            assertThat(a.backPressured()).isFalse();
            a.append(List.of(bigEntry(1)));
            assertThat(a.backPressured()).as("2 KiB unmoved over a 1 KiB bound").isTrue();
            assertThat(b.backPressured()).as("the bound is the node's").isTrue();

            // on another thread, so that a blocking append fails the test instead of hanging it
            CompletableFuture<Void> appended = CompletableFuture.runAsync(() -> {
                b.append(List.of(bigEntry(1)));
                a.append(List.of(bigEntry(2)));
            });
            appended.get(10, TimeUnit.SECONDS);
            assertThat(b.lastIndex()).isEqualTo(1);
            assertThat(a.lastIndex()).isEqualTo(2);
        }
    }

    @Test
    void backPressureEndsOnceTheSegmentWriterHasMovedTheEntries() {
        StorageOptions options = StorageOptions.defaults().withSyncMode(SyncMode.NONE).withMaxUnmovedBytes(1024);
        try (LogStorage storage = LogStorage.open(dir, options)) {
            GroupLog a = storage.openGroup("a", INITIAL);
            a.append(List.of(bigEntry(1)));
            StorageTestSupport.awaitSegments(storage);
            assertThat(a.backPressured()).isFalse();
        }
    }
}
