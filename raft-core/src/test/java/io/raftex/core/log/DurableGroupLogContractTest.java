package io.raftex.core.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * The storage contract against {@link DurableGroupLog}. Reopen closes the node storage and opens the directory
 * again; small chunks and a short flush interval make the reads cross the memory table / MapDB boundary.
 */
class DurableGroupLogContractTest extends GroupLogContractTest {

    @TempDir
    Path dir;
    private final List<LogStorage> open = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();

    static StorageOptions options() {
        return StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withChunk(8, 4096).withSegmentCommit(64, 1);
    }

    @AfterEach
    void closeAll() {
        open.forEach(LogStorage::close);
    }

    @Override
    protected GroupLog open(PersistentState initial) {
        LogStorage storage = LogStorage.open(dir, options());
        open.add(storage);
        return storage.openGroup("g1", initial);
    }

    @Override
    protected void awaitDurable(GroupLog log) {
        // The WAL reports a batch before it counts it done, so idle means every report has been delivered.
        LogStorage storage = open.get(open.size() - 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> storage.wal().isIdle());
    }

    @Override
    protected GroupLog reopen(GroupLog log, PersistentState initial) {
        LogStorage storage = open.remove(open.size() - 1);
        storage.close();
        return open(initial);
    }
}
