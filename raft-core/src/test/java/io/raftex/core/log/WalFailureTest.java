package io.raftex.core.log;

import io.raftex.core.MemberId;
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

/**
 * An fsync or write error fails the storage for good (WAL, segment seal or state write): every group hears of it,
 * later writes are refused, and nothing reported durable is lost on reopen.
 */
class WalFailureTest {

    @TempDir
    Path dir;

    /** Real files whose sync or write starts failing when a switch is thrown. */
    static final class FaultyIo implements FileIo {
        final AtomicBoolean failSync = new AtomicBoolean();
        final AtomicBoolean failWrite = new AtomicBoolean();
        final AtomicBoolean failFileForce = new AtomicBoolean(); // MapDB files: segment seals and state rewrites
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

        @Override
        public void forceFile(Path file) throws IOException {
            if (failFileForce.get()) {
                throw new IOException("injected fsync error (EIO) on " + file.getFileName());
            }
            real.forceFile(file);
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

    @Test
    void aFailedSegmentSealStopsTheStorageAndLosesNothingDurable() {
        FaultyIo io = new FaultyIo();
        StorageOptions options = StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withSegmentCommit(8, 0)
                .withSegmentBytes(1024);
        LogStorage storage = LogStorage.open(dir, options.withFileIo(io));
        GroupLog a = storage.openGroup("a", INITIAL);
        GroupLogContractTest.Recorder ra = new GroupLogContractTest.Recorder();
        a.setDurabilityListener(ra);
        io.failFileForce.set(true);
        long appended = 0;
        for (int i = 1; i <= 200 && ra.failures.isEmpty(); i++) {
            try {
                a.append(List.of(entry(i, 1)));
                appended = i;
            } catch (StorageException refused) {
                break;
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> !ra.failures.isEmpty());
        assertThat(ra.failures.get(0)).hasMessageContaining("injected fsync error").hasMessageContaining("seg-");
        long durable = ra.reports.isEmpty() ? 0 : ra.last()[0];
        storage.close(); // must not throw, and must release every file

        try (LogStorage again = LogStorage.open(dir, options)) {
            GroupLog r = again.openGroup("a", INITIAL);
            assertThat(r.lastIndex()).isGreaterThanOrEqualTo(durable).isLessThanOrEqualTo(appended);
            assertThat(r.entries(1, r.lastIndex(), Long.MAX_VALUE))
                    .containsExactlyElementsOf(GroupLogContractTest.entries(1, r.lastIndex(), 1));
        }
    }

    @Test
    void closeWhoseSealFailsStillReleasesEveryFileAndTheWalKeepsTheEntries() {
        FaultyIo io = new FaultyIo();
        StorageOptions options = StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withSegmentCommit(8, 0);
        LogStorage storage = LogStorage.open(dir, options.withFileIo(io));
        GroupLog a = storage.openGroup("a", INITIAL);
        for (int i = 1; i <= 50; i++) {
            a.append(List.of(entry(i, 1)));
        }
        StorageTestSupport.awaitSegments(storage);
        io.failFileForce.set(true);
        storage.close(); // the seal at close fails: no exception, every file released

        try (LogStorage again = LogStorage.open(dir, options)) {
            GroupLog r = again.openGroup("a", INITIAL);
            assertThat(r.entries(1, 50, Long.MAX_VALUE)).containsExactlyElementsOf(GroupLogContractTest.entries(1, 50, 1));
        }
    }

    @Test
    void aFailedStateWriteStopsTheStorage() {
        FaultyIo io = new FaultyIo();
        LogStorage storage = LogStorage.open(dir,
                StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withFileIo(io));
        GroupLog a = storage.openGroup("a", INITIAL);
        GroupLog b = storage.openGroup("b", INITIAL);
        io.failFileForce.set(true);
        PersistentState voted = new PersistentState(5, java.util.Optional.of(MemberId.of("n1")),
                INITIAL.config());
        assertThatThrownBy(() -> a.persistState(voted)).isInstanceOf(StorageException.class)
                .hasMessageContaining("state.db");
        assertThat(a.state()).isEqualTo(INITIAL); // never acted on
        assertThat(storage.store().loadState("a")).as("the state the store shows").isEqualTo(INITIAL);
        assertThat(storage.failure()).isNotNull();
        assertThatThrownBy(() -> b.append(List.of(entry(1, 1)))).isInstanceOf(StorageException.class);
        storage.close();
        try (LogStorage again = LogStorage.open(dir, StorageOptions.defaults())) {
            assertThat(again.openGroup("a", INITIAL).state()).isEqualTo(INITIAL);
        }
    }

    @Test
    void aFailedFirstStateWriteStopsTheStorageAndShowsNoStateThatWasNeverDurable() {
        FaultyIo io = new FaultyIo();
        LogStorage storage = LogStorage.open(dir,
                StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withFileIo(io));
        io.failFileForce.set(true);
        assertThatThrownBy(() -> storage.openGroup("a", INITIAL)).isInstanceOf(StorageException.class)
                .hasMessageContaining("state.db");
        assertThat(storage.failure()).as("the storage failed").isNotNull();
        assertThat(storage.storedGroups()).isEmpty();
        assertThat(storage.store().loadState("a")).isNull();

        io.failFileForce.set(false); // a disk that works again changes nothing: the storage stays failed
        assertThatThrownBy(() -> storage.openGroup("a", INITIAL)).isInstanceOf(StorageException.class)
                .hasMessageContaining("failed");
        storage.close();
        try (LogStorage again = LogStorage.open(dir, StorageOptions.defaults())) {
            assertThat(again.storedGroups()).isEmpty();
        }
    }
}
