package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.GroupLogContractTest.entries;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static org.assertj.core.api.Assertions.assertThat;

/** Many groups on their own threads share one WAL; each hears of its own writes, in order, and batches form. */
class WalGroupCommitTest {

    @TempDir
    Path dir;

    @Test
    void concurrentGroupsShareSyncsAndKeepTheirOrder() throws Exception {
        int groups = 6;
        int perGroup = 2000;
        StorageOptions options = StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC)
                .withWalFileBytes(256 << 10).withChunk(32, 1 << 20).withSegmentCommit(2048, 5);
        List<GroupLogContractTest.Recorder> recorders = new ArrayList<>();
        try (LogStorage storage = LogStorage.open(dir, options)) {
            ExecutorService pool = Executors.newFixedThreadPool(groups);
            CountDownLatch allDurable = new CountDownLatch(groups);
            List<Future<?>> done = new ArrayList<>();
            for (int g = 0; g < groups; g++) {
                GroupLog log = storage.openGroup("g" + g, INITIAL);
                GroupLogContractTest.Recorder rec = new GroupLogContractTest.Recorder() {
                    @Override
                    public void onDurable(long index, long term, long truncations) {
                        super.onDurable(index, term, truncations);
                        if (index == perGroup) {
                            allDurable.countDown();
                        }
                    }
                };
                recorders.add(rec);
                log.setDurabilityListener(rec);
                done.add(pool.submit(() -> {
                    for (int i = 1; i <= perGroup; i++) {
                        log.append(List.of(entry(i, 1)));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(allDurable.await(60, TimeUnit.SECONDS)).isTrue();
            pool.shutdown();
            long reports = 0;
            for (GroupLogContractTest.Recorder rec : recorders) {
                long previous = 0;
                for (long[] r : rec.reports) {
                    assertThat(r[0]).isGreaterThan(previous);
                    previous = r[0];
                }
                reports += rec.reports.size();
            }
            // Group commit coalesces: far fewer reports (one per group per batch) than appends.
            assertThat(reports).isLessThan((long) groups * perGroup);
        }
        try (LogStorage again = LogStorage.open(dir, options)) {
            for (int g = 0; g < groups; g++) {
                GroupLog log = again.openGroup("g" + g, INITIAL);
                assertThat(log.entries(1, perGroup, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, perGroup, 1));
            }
        }
    }
}
