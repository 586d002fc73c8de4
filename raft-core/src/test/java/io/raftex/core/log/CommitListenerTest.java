package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The commit listener hears of every group commit: each appended record once, with its sync time. */
class CommitListenerTest {

    @TempDir
    Path dir;

    @Test
    void everyBatchIsReportedOnceWithItsRecordsAndTime() {
        AtomicLong batches = new AtomicLong();
        AtomicLong records = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong nanos = new AtomicLong();
        try (LogStorage storage = LogStorage.open(dir, StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC))) {
            storage.setCommitListener((r, b, n) -> {
                batches.incrementAndGet();
                records.addAndGet(r);
                bytes.addAndGet(b);
                nanos.addAndGet(n);
            });
            GroupLog log = storage.openGroup("g", INITIAL);
            for (int i = 1; i <= 50; i++) {
                log.append(List.of(entry(i, 1)));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> records.get() == 50);
            assertThat(batches.get()).isBetween(1L, 50L);
            assertThat(bytes.get()).isPositive();
            assertThat(nanos.get()).isPositive();

            storage.setCommitListener(null);
            log.append(List.of(entry(51, 1)));
            StorageTestSupport.awaitWal(storage);
            assertThat(records.get()).isEqualTo(50);
        }
    }
}
