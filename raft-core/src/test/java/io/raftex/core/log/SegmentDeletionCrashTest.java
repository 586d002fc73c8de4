package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deleting dead segments against a power loss: a deletion is durable only once its directory is synced, and until
 * then a crash may keep any subset of the deletions not yet synced. No such subset may bring back entries that a
 * deleted segment voided (a truncation or a reset in it) in an older segment that the crash kept.
 */
class SegmentDeletionCrashTest {

    @TempDir
    Path dir;

    /**
     * A disk on which a deleted file stays recoverable until the next sync of its directory: {@link #delete} moves it
     * aside, {@link #syncDirectory} makes the deletions so far final, and the sync numbered {@code crashAtSync}
     * (counted from {@link #arm}) fails instead, as the power going would.
     */
    private static final class UnsyncedDeletes implements FileIo {
        private final FileIo real = FileIo.standard();
        private final Path aside;
        private final List<Path[]> unsynced = new ArrayList<>(); // {original, aside}
        private int crashAtSync;
        private int syncs;
        private boolean armed;

        UnsyncedDeletes(Path aside) {
            this.aside = aside;
        }

        void arm(int crashAtSync) {
            this.crashAtSync = crashAtSync;
            this.syncs = 0;
            this.armed = true;
        }

        @Override
        public WalFile openForAppend(Path file) throws IOException {
            return real.openForAppend(file);
        }

        @Override
        public void delete(Path file) throws IOException {
            if (Files.exists(file)) {
                Path to = aside.resolve(unsynced.size() + "-" + file.getFileName());
                Files.move(file, to);
                unsynced.add(new Path[] {file, to});
            }
        }

        @Override
        public void syncDirectory(Path d) throws IOException {
            if (armed && ++syncs == crashAtSync) {
                throw new IOException("injected: power lost before the directory sync");
            }
            real.syncDirectory(d);
            unsynced.clear();
        }

        /** The crash keeps the deletions not in {@code undone} (a bit set over the unsynced deletions, oldest first). */
        void crash(int undone) throws IOException {
            for (int i = 0; i < unsynced.size(); i++) {
                if ((undone & (1 << i)) != 0) {
                    Files.move(unsynced.get(i)[1], unsynced.get(i)[0]);
                }
            }
        }
    }

    @Test
    void noCrashDuringDeletionBringsBackEntriesAVoidingSegmentRemoved() throws IOException {
        int cases = 0;
        for (int crashAt = 1; ; crashAt++) {
            int unsyncedAtCrash = -1;
            for (int undone = 0; unsyncedAtCrash < 0 || undone < (1 << unsyncedAtCrash); undone++) {
                Path data = dir.resolve("crash-" + crashAt + "-" + undone);
                Path aside = dir.resolve("aside-" + crashAt + "-" + undone);
                Files.createDirectories(data);
                Files.createDirectories(aside);
                UnsyncedDeletes io = new UnsyncedDeletes(aside);
                SegmentStore store = buildThreeSegments(data, io);
                io.arm(crashAt);
                store.lock.lock();
                try {
                    int deleted = store.deleteDeadSegments();
                    assertThat(deleted).as("segments 0 and 1 are dead once the start is past both").isEqualTo(2);
                    store.close();
                    assertThat(cases).as("crash points covered before the deletion ran through").isPositive();
                    return; // no sync left to crash at
                } catch (IOException crash) {
                    unsyncedAtCrash = io.unsynced.size();
                    assertThat(unsyncedAtCrash).as("deletions not yet synced at the crash (through FileIo.delete)")
                            .isPositive();
                } finally {
                    store.lock.unlock();
                }
                store.close();
                io.crash(undone);

                SegmentStore again = new SegmentStore(data, 4, 1 << 20, Long.MAX_VALUE, FileIo.standard());
                String context = "crash at directory sync " + crashAt + ", deletions undone " + undone;
                assertThat(again.start("g")).as(context).containsExactly(14, 2);
                assertThat(again.lastIndex("g")).as(context + ": last index").isEqualTo(14);
                assertThat(again.readFrom("g", 15)).as(context + ": entry 15, truncated away").isEmpty();
                again.close();
                cases++;
            }
        }
    }

    /**
     * Segment 0: entries 1..15 of term 1. Segment 1: a truncation from 12 (voiding 12..15 of segment 0) and 12..14 of
     * term 2. Segment 2: a compaction up to 14, so that segments 0 and 1 serve nothing above the start any more.
     */
    private static SegmentStore buildThreeSegments(Path data, FileIo io) throws IOException {
        SegmentStore store = new SegmentStore(data, 4, 1 << 20, Long.MAX_VALUE, io);
        store.lock.lock();
        try {
            store.apply(WalRecord.append("g", entries(1, 15, 1)));
            store.commit(1, 1);
            store.seal();
            store.apply(WalRecord.truncate("g", 12));
            store.apply(WalRecord.append("g", entries(12, 14, 2)));
            store.commit(1, 2);
            store.seal();
            assertThat(store.deleteDeadSegments()).as("segment 0 still serves 1..11").isZero();
            store.apply(WalRecord.compact("g", 14, 2));
            store.commit(1, 3);
            store.seal();
        } finally {
            store.lock.unlock();
        }
        return store;
    }

    private static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            byte[] payload = ("g" + i + "@" + term).getBytes(StandardCharsets.UTF_8);
            out.add(new LogEntry(i, term, EntryType.COMMAND, 1, i, i - 1, i, payload));
        }
        return out;
    }
}
