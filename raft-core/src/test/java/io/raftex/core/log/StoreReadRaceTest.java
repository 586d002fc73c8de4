package io.raftex.core.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.GroupLogContractTest.entries;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A read of entries that falls through to MapDB races with the segment writer: between the read of a chunk from
 * MapDB and the look into the memory table, the writer can move a truncation and the entries appended after it into
 * MapDB and evict them from the table. The storage runs without its segment writer here; the test moves records
 * itself, exactly between the two reads, through {@link DurableGroupLog#afterStoreReadHook}.
 */
class StoreReadRaceTest {

    @TempDir
    Path dir;
    private LogStorage storage;
    private long walOffset;

    @AfterEach
    void close() {
        if (storage != null) {
            storage.close();
        }
    }

    @Test
    void aChunkReadBeforeTheWriterMovesATruncationNeverServesTheEntriesItReplaced() {
        storage = LogStorage.open(dir, StorageOptions.defaults().withChunk(32, 1 << 20), false);
        DurableGroupLog log = (DurableGroupLog) storage.openGroup("g", INITIAL);
        List<LogEntry> old = appendInSlices(log, entries(1, 5000, 1));
        move(log, List.of(WalRecord.append("g", old)), old); // MapDB holds 1..5000; the table keeps the last 4,096

        log.truncateFrom(3);
        List<LogEntry> fresh = appendInSlices(log, entries(3, 6000, 2)); // the table holds 3..6000, none moved yet
        int[] runs = {0};
        log.afterStoreReadHook = () -> {
            if (runs[0]++ == 0) { // the writer catches up once, right after the first chunk came from MapDB
                move(log, List.of(WalRecord.truncate("g", 3), WalRecord.append("g", fresh)), fresh);
            }
        };

        List<LogEntry> read = log.entries(1, 40, Long.MAX_VALUE);

        List<LogEntry> expected = new ArrayList<>(entries(1, 2, 1));
        expected.addAll(entries(3, 40, 2));
        assertThat(read).as("entries 1..40 after the truncation at 3").containsExactlyElementsOf(expected);
        assertThat(runs[0]).as("reads from MapDB").isGreaterThanOrEqualTo(1);
    }

    /** Appends in slices of 100 (one WAL record each); returns the entries as the memory table holds them. */
    private static List<LogEntry> appendInSlices(DurableGroupLog log, List<LogEntry> all) {
        for (int from = 0; from < all.size(); from += 100) {
            log.append(all.subList(from, Math.min(all.size(), from + 100)));
        }
        return all;
    }

    /** What the segment writer does for these records: apply, commit (readable in MapDB), then evict. */
    private void move(DurableGroupLog log, List<WalRecord> records, List<LogEntry> appended) {
        SegmentStore store = storage.store();
        store.lock.lock();
        try {
            records.forEach(store::apply);
            store.commit(1, ++walOffset);
        } finally {
            store.lock.unlock();
        }
        log.evict(appended);
    }
}
