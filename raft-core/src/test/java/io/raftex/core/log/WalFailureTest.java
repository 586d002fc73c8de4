package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** An fsync or write error fails the WAL for good: every group hears of it and later writes are refused. */
class WalFailureTest {

    @TempDir
    Path dir;

    /** Real files whose sync or write starts failing when a switch is thrown. */
    static final class FaultyIo implements FileIo {
        final AtomicBoolean failSync = new AtomicBoolean();
        final AtomicBoolean failWrite = new AtomicBoolean();
        final AtomicInteger syncsAfterFailure = new AtomicInteger();
        private final FileIo real = FileIo.standard();

        @Override
        public WalFile openForAppend(Path file) throws IOException {
            WalFile f = real.openForAppend(file);
            return new WalFile() {
                @Override
                public void write(ByteBuffer buffer) throws IOException {
                    if (failWrite.get()) {
                        throw new IOException("injected write error (ENOSPC)");
                    }
                    f.write(buffer);
                }

                @Override
                public void force(boolean metadata) throws IOException {
                    if (failSync.get()) {
                        syncsAfterFailure.incrementAndGet();
                        throw new IOException("injected fsync error (EIO)");
                    }
                    f.force(metadata);
                }

                @Override
                public long size() throws IOException {
                    return f.size();
                }

                @Override
                public void close() throws IOException {
                    f.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path d) throws IOException {
            real.syncDirectory(d);
        }
    }

    @Test
    void fsyncErrorFailsEveryGroupAndRefusesLaterWrites() {
        FaultyIo io = new FaultyIo();
        LogStorage storage = LogStorage.open(dir,
                StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withFileIo(io));
        GroupLog a = storage.openGroup("a", INITIAL);
        GroupLog b = storage.openGroup("b", INITIAL);
        GroupLogContractTest.Recorder ra = new GroupLogContractTest.Recorder();
        GroupLogContractTest.Recorder rb = new GroupLogContractTest.Recorder();
        a.setDurabilityListener(ra);
        b.setDurabilityListener(rb);
        a.append(List.of(entry(1, 1)));
        await().atMost(Duration.ofSeconds(20)).until(() -> ra.reports.size() == 1);

        io.failSync.set(true);
        a.append(List.of(entry(2, 1)));
        await().atMost(Duration.ofSeconds(20)).until(() -> !ra.failures.isEmpty() && !rb.failures.isEmpty());
        assertThat(ra.failures.get(0)).hasMessageContaining("injected fsync error").hasMessageContaining("wal-");
        assertThat(ra.reports).hasSize(1); // entry 2 was never reported durable
        assertThat(io.syncsAfterFailure.get()).isEqualTo(1); // never retried

        assertThatThrownBy(() -> a.append(List.of(entry(3, 1)))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> b.append(List.of(entry(1, 1)))).isInstanceOf(StorageException.class)
                .hasMessageContaining("failed");
        assertThatThrownBy(() -> b.truncateFrom(1)).isInstanceOf(StorageException.class);
        assertThat(storage.failure()).isNotNull();
        storage.close();

        try (LogStorage again = LogStorage.open(dir, StorageOptions.defaults())) {
            GroupLog r = again.openGroup("a", INITIAL);
            assertThat(r.lastIndex()).isGreaterThanOrEqualTo(1);
            assertThat(r.entry(1)).isEqualTo(entry(1, 1));
        }
    }

    @Test
    void writeErrorFailsTheWalToo() {
        FaultyIo io = new FaultyIo();
        LogStorage storage = LogStorage.open(dir, StorageOptions.defaults().withSyncMode(SyncMode.NONE).withFileIo(io));
        GroupLog a = storage.openGroup("a", INITIAL);
        GroupLogContractTest.Recorder ra = new GroupLogContractTest.Recorder();
        a.setDurabilityListener(ra);
        io.failWrite.set(true);
        a.append(List.of(entry(1, 1)));
        await().atMost(Duration.ofSeconds(20)).until(() -> !ra.failures.isEmpty());
        assertThat(ra.failures.get(0)).hasMessageContaining("injected write error");
        assertThatThrownBy(() -> a.append(List.of(entry(2, 1)))).isInstanceOf(StorageException.class);
        storage.close();
    }
}
