package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static io.raftex.core.log.GroupLogContractTest.INITIAL;
import static io.raftex.core.log.GroupLogContractTest.concat;
import static io.raftex.core.log.GroupLogContractTest.entries;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static io.raftex.core.log.StorageTestSupport.awaitWal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link LogStorage#closeGroup}: one group closes and reopens while the storage (and other groups) keep running. */
class GroupCloseTest {

    @TempDir
    Path dir;

    private static final StorageOptions OPTIONS = StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC)
            .withChunk(16, 1 << 20);

    @Test
    void aClosedGroupReopensWithEverythingWrittenDurableAndInMapDb() {
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            GroupLog g = storage.openGroup("g", INITIAL);
            GroupLog other = storage.openGroup("other", INITIAL);
            GroupLogContractTest.Recorder rec = new GroupLogContractTest.Recorder();
            g.setDurabilityListener(rec);
            g.append(entries(1, 60, 1));
            g.truncateFrom(41);
            g.append(entries(41, 70, 2));
            PersistentState voted = new PersistentState(2, Optional.of(new io.raftex.core.MemberId("n2")),
                    INITIAL.config());
            g.persistState(voted);
            other.append(entries(1, 5, 1));
            // no wait: closing must flush whatever is still queued

            storage.closeGroup("g");
            assertThatThrownBy(() -> g.append(List.of(entry(71, 2)))).isInstanceOf(StorageException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> storage.openGroup("other", INITIAL)).isInstanceOf(IllegalStateException.class);

            DurableGroupLog again = (DurableGroupLog) storage.openGroup("g", INITIAL);
            assertThat(again).isNotSameAs(g);
            assertThat(again.memTableSize()).as("recovered from MapDB, nothing in memory").isZero();
            assertThat(again.state()).isEqualTo(voted);
            assertThat(again.lastIndex()).isEqualTo(70);
            assertThat(again.entries(1, 70, Long.MAX_VALUE))
                    .containsExactlyElementsOf(concat(entries(1, 40, 1), entries(41, 70, 2)));

            // the reopened log works like any other, and the other group was not disturbed
            GroupLogContractTest.Recorder rec2 = new GroupLogContractTest.Recorder();
            again.setDurabilityListener(rec2);
            again.append(entries(71, 80, 2));
            other.append(entries(6, 10, 1));
            await().until(() -> !rec2.reports.isEmpty() && rec2.last()[0] == 80);
            assertThat(other.entries(1, 10, Long.MAX_VALUE)).containsExactlyElementsOf(entries(1, 10, 1));
            int heardBefore = rec.reports.size();
            awaitWal(storage);
            assertThat(rec.reports).as("the closed log's listener hears nothing more").hasSize(heardBefore);
        }
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            assertThat(storage.openGroup("g", INITIAL).entries(1, 80, Long.MAX_VALUE))
                    .containsExactlyElementsOf(concat(concat(entries(1, 40, 1), entries(41, 70, 2)),
                            entries(71, 80, 2)));
        }
    }

    @Test
    void closingAGroupThatIsNotOpenOrAfterAFailureDoesNotThrow() {
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            storage.closeGroup("never-opened");
            GroupLog g = storage.openGroup("g", INITIAL);
            g.append(entries(1, 3, 1));
            storage.fail(new StorageException("injected"));
            storage.closeGroup("g");
            storage.closeGroup("g");
        }
    }

    @Test
    void closeAndReopenManyTimesKeepsAppending() {
        try (LogStorage storage = LogStorage.open(dir, OPTIONS)) {
            for (int round = 0; round < 5; round++) {
                GroupLog g = storage.openGroup("g", INITIAL);
                assertThat(g.lastIndex()).isEqualTo(round * 20L);
                g.append(entries(round * 20L + 1, round * 20L + 20, 1));
                storage.closeGroup("g");
            }
            assertThat(storage.openGroup("g", INITIAL).entries(1, 100, Long.MAX_VALUE))
                    .containsExactlyElementsOf(entries(1, 100, 1));
        }
    }
}
