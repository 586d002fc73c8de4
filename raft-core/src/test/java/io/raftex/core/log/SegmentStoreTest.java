package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The segment store against a model: random appends and truncations (also reaching back into sealed segments) over
 * several groups, commits, seals, clean reopens and crashes (the building segment is lost, so the store must come
 * back exactly as of its last seal). After every step, every index of every group reads back as the model says.
 */
class SegmentStoreTest {

    private static final String[] GROUPS = {"a", "b", "c"};
    private static final PersistentState INITIAL = new PersistentState(0, Optional.empty(),
            ClusterConfig.ofVoters(List.of(Member.voter("n1", "local"))));

    @TempDir
    Path dir;

    @Test
    void readsMatchTheModelThroughSealsTruncationsReopensAndCrashes() throws IOException {
        for (long seed = 1; seed <= 5; seed++) {
            Path data = dir.resolve("seed-" + seed);
            Random random = new Random(seed);
            Map<String, List<LogEntry>> model = new HashMap<>();   // what the store holds after the last commit
            Map<String, List<LogEntry>> sealedModel = new HashMap<>(); // as of the last seal
            for (String g : GROUPS) {
                model.put(g, new ArrayList<>());
                sealedModel.put(g, new ArrayList<>());
            }
            SegmentStore store = open(data);
            long walOffset = 0;
            int seals = 0;
            for (int step = 0; step < 300; step++) {
                String g = GROUPS[random.nextInt(GROUPS.length)];
                List<LogEntry> log = model.get(g);
                store.lock.lock();
                try {
                    int op = random.nextInt(10);
                    if (op < 2 && !log.isEmpty()) {
                        long from = 1 + random.nextInt(log.size());
                        store.apply(WalRecord.truncate(g, from));
                        log.subList((int) from - 1, log.size()).clear();
                    } else {
                        int n = 1 + random.nextInt(40);
                        long term = 1 + step;
                        List<LogEntry> batch = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            batch.add(entry(g, log.size() + 1 + i, term));
                        }
                        store.apply(WalRecord.append(g, batch));
                        log.addAll(batch);
                    }
                    store.commit(1, ++walOffset);
                    int after = random.nextInt(20);
                    if (after < 3) {
                        assertThat(store.seal()).containsExactly(1, walOffset);
                        seals++;
                        copyInto(sealedModel, model);
                    }
                } finally {
                    store.lock.unlock();
                }
                assertMatches(store, model, "seed " + seed + " step " + step);
                int event = random.nextInt(40);
                if (event == 0) { // seal, then close: everything is in sealed segments
                    sealNow(store);
                    store.close();
                    copyInto(sealedModel, model);
                    store = open(data);
                    assertMatches(store, model, "seed " + seed + " after reopen at step " + step);
                } else if (event == 1) { // close or crash: the building segment is lost, the WAL would replay it
                    store.close();
                    copyInto(model, sealedModel);
                    store = open(data);
                    assertMatches(store, model, "seed " + seed + " after crash at step " + step);
                    assertThat(store.checkpoint()[1]).isLessThanOrEqualTo(walOffset);
                }
            }
            assertThat(seals).as("seed %d seals", seed).isPositive();
            sealNow(store);
            store.close();
            store = open(data);
            assertMatches(store, model, "seed " + seed + " at the end");
            store.close();
        }
    }

    /** A group as the store should hold it: its log start and the entries after it. */
    private static final class GroupModel {
        long start;
        long startTerm;
        final List<LogEntry> entries = new ArrayList<>(); // entries.get(0) has index start + 1

        long last() {
            return start + entries.size();
        }

        GroupModel copy() {
            GroupModel c = new GroupModel();
            c.start = start;
            c.startTerm = startTerm;
            c.entries.addAll(entries);
            return c;
        }
    }

    @Test
    void compactionsResetsAndSegmentDeletionsMatchTheModelThroughSealsReopensAndCrashes() throws IOException {
        int deleted = 0;
        for (long seed = 1; seed <= 6; seed++) {
            Path data = dir.resolve("compact-seed-" + seed);
            Random random = new Random(seed);
            Map<String, GroupModel> model = new HashMap<>();
            Map<String, GroupModel> sealedModel = new HashMap<>();
            for (String g : GROUPS) {
                model.put(g, new GroupModel());
                sealedModel.put(g, new GroupModel());
            }
            SegmentStore store = open(data);
            long walOffset = 0;
            for (int step = 0; step < 400; step++) {
                // "c" compacts and resets rarely, so its entries keep old segments alive among dead ones
                String g = GROUPS[random.nextInt(GROUPS.length)];
                GroupModel m = model.get(g);
                boolean rarely = g.equals("c");
                store.lock.lock();
                try {
                    int op = random.nextInt(20);
                    if (op < 3 && !m.entries.isEmpty()) {
                        long from = m.start + 1 + random.nextInt(m.entries.size());
                        store.apply(WalRecord.truncate(g, from));
                        m.entries.subList((int) (from - m.start - 1), m.entries.size()).clear();
                    } else if (op < (rarely ? 4 : 8) && !m.entries.isEmpty()) {
                        // mostly near the end, as a state machine compacts up to what it has applied
                        long index = Math.max(m.start + 1, m.last() - random.nextInt(10));
                        long term = m.entries.get((int) (index - m.start - 1)).term();
                        store.apply(WalRecord.compact(g, index, term));
                        m.entries.subList(0, (int) (index - m.start)).clear();
                        m.start = index;
                        m.startTerm = term;
                    } else if (op < (rarely ? 8 : 10) && random.nextInt(rarely ? 10 : 3) == 0) {
                        long index = Math.max(0, m.last() - 30 + random.nextInt(80)); // below or above the end
                        long term = 1 + random.nextInt(500);
                        store.apply(WalRecord.reset(g, index, term));
                        m.entries.clear();
                        m.start = index;
                        m.startTerm = term;
                    } else {
                        int n = 1 + random.nextInt(40);
                        long term = 1 + step;
                        List<LogEntry> batch = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            batch.add(entry(g, m.last() + 1 + i, term));
                        }
                        store.apply(WalRecord.append(g, batch));
                        m.entries.addAll(batch);
                    }
                    store.commit(1, ++walOffset);
                    if (random.nextInt(8) == 0) {
                        store.seal();
                        deleted += store.deleteDeadSegments();
                        copyModel(sealedModel, model);
                    }
                } finally {
                    store.lock.unlock();
                }
                assertModel(store, model, "seed " + seed + " step " + step);
                int event = random.nextInt(40);
                if (event == 0 || event == 1) { // close or crash: the building segment is lost, as of the last seal
                    List<Long> before = store.segmentSeqs();
                    store.close();
                    copyModel(model, sealedModel);
                    store = open(data);
                    assertThat(store.segmentSeqs()).as("seed %d step %d: the same files", seed, step)
                            .isEqualTo(before);
                    store.lock.lock();
                    try {
                        assertThat(store.deleteDeadSegments()).as("nothing left to delete after a reopen").isZero();
                    } finally {
                        store.lock.unlock();
                    }
                    assertModel(store, model, "seed " + seed + " after reopen at step " + step);
                }
            }
            try (Stream<Path> files = Files.list(data.resolve("segments"))) {
                assertThat(files.filter(f -> f.getFileName().toString().endsWith(".db")).count())
                        .as("seed %d: sealed files on disk are the sealed segments", seed)
                        .isEqualTo(store.segmentCount());
            }
            store.close();
        }
        assertThat(deleted).as("segments deleted over all seeds").isGreaterThan(20);
    }

    private static void copyModel(Map<String, GroupModel> to, Map<String, GroupModel> from) {
        for (String g : GROUPS) {
            to.put(g, from.get(g).copy());
        }
    }

    private static void assertModel(SegmentStore store, Map<String, GroupModel> model, String context) {
        for (String g : GROUPS) {
            GroupModel m = model.get(g);
            assertThat(store.start(g)).as("%s: start of %s", context, g).containsExactly(m.start, m.startTerm);
            assertThat(store.lastIndex(g)).as("%s: last index of %s", context, g).isEqualTo(m.last());
            List<LogEntry> read = new ArrayList<>();
            long i = m.start + 1;
            while (i <= m.last()) {
                List<LogEntry> run = store.readFrom(g, i);
                assertThat(run).as("%s: %s index %d", context, g, i).isNotEmpty();
                read.addAll(run);
                i += run.size();
            }
            assertThat(read).as("%s: group %s", context, g).isEqualTo(m.entries);
            assertThat(store.readFrom(g, m.last() + 1)).as("%s: %s past the end", context, g).isEmpty();
        }
    }

    @Test
    void aBuildingSegmentIsNeverReadAfterReopenAndALeftoverIsDeleted() throws IOException {
        SegmentStore store = open(dir);
        store.lock.lock();
        store.apply(WalRecord.append("a", List.of(entry("a", 1, 1), entry("a", 2, 1))));
        store.commit(1, 10);
        store.seal();
        store.apply(WalRecord.append("a", List.of(entry("a", 3, 1))));
        store.commit(1, 20);
        store.lock.unlock();
        assertThat(store.readFrom("a", 3)).containsExactly(entry("a", 3, 1));
        store.close(); // a close drops the building segment; a crash would leave its .tmp file behind, as below
        Files.writeString(dir.resolve("segments").resolve("seg-0000000000000009.db.tmp"), "half written");

        SegmentStore again = open(dir);
        assertThat(again.lastIndex("a")).isEqualTo(2);
        assertThat(again.checkpoint()).containsExactly(1, 10);
        try (Stream<Path> files = Files.list(dir.resolve("segments"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
        again.close();
    }

    @Test
    void stateIsReplacedWholeAndSurvivesReopen() throws IOException {
        SegmentStore store = open(dir);
        PersistentState voted = new PersistentState(7, Optional.of(MemberId.of("n2")), INITIAL.config());
        store.persistState("a", INITIAL);
        store.persistState("b", INITIAL);
        store.persistState("a", voted);
        store.close();
        Files.writeString(dir.resolve("state.db.tmp"), "a rewrite cut short by a crash");

        SegmentStore again = open(dir);
        assertThat(again.loadState("a")).isEqualTo(voted);
        assertThat(again.loadState("b")).isEqualTo(INITIAL);
        assertThat(again.groups()).containsExactly("a", "b");
        assertThat(dir.resolve("state.db.tmp")).doesNotExist();
        again.close();
    }

    @Test
    void aSealedSegmentThatDoesNotFollowOnIsRefusedWithItsName() throws IOException {
        SegmentStore store = open(dir);
        store.lock.lock();
        store.apply(WalRecord.append("a", List.of(entry("a", 1, 1))));
        store.commit(1, 1);
        store.seal();
        store.apply(WalRecord.append("a", List.of(entry("a", 2, 1))));
        store.commit(1, 2);
        store.seal();
        store.lock.unlock();
        store.close();
        Path first = dir.resolve("segments").resolve("seg-0000000000000000.db");
        Files.delete(first); // entry 1 is gone: segment 1 no longer follows on

        assertThatThrownBy(() -> open(dir)).isInstanceOf(StorageException.class)
                .hasMessageContaining("seg-0000000000000001.db").hasMessageContaining("group a");
    }

    @Test
    void aDirectoryOfTheEarlierSingleFileFormatIsRefused() throws IOException {
        Files.writeString(dir.resolve("store.db"), "x");
        assertThatThrownBy(() -> open(dir)).isInstanceOf(StorageException.class).hasMessageContaining("store.db");
    }

    /** Seals what is building, as the segment writer would (under the writer's lock). */
    private static void sealNow(SegmentStore store) throws IOException {
        store.lock.lock();
        try {
            store.seal();
        } finally {
            store.lock.unlock();
        }
    }

    private static SegmentStore open(Path data) throws IOException {
        Files.createDirectories(data);
        return new SegmentStore(data, 4, 1 << 20, Long.MAX_VALUE, FileIo.standard());
    }

    private static void copyInto(Map<String, List<LogEntry>> to, Map<String, List<LogEntry>> from) {
        for (String g : GROUPS) {
            to.put(g, new ArrayList<>(from.get(g)));
        }
    }

    private static void assertMatches(SegmentStore store, Map<String, List<LogEntry>> model, String context) {
        for (String g : GROUPS) {
            List<LogEntry> expected = model.get(g);
            assertThat(store.lastIndex(g)).as("%s: last index of %s", context, g).isEqualTo(expected.size());
            List<LogEntry> read = new ArrayList<>();
            long i = 1;
            while (i <= expected.size()) {
                List<LogEntry> run = store.readFrom(g, i);
                assertThat(run).as("%s: %s index %d", context, g, i).isNotEmpty();
                read.addAll(run);
                i += run.size();
            }
            assertThat(read).as("%s: group %s", context, g).isEqualTo(expected);
            assertThat(store.readFrom(g, expected.size() + 1)).as("%s: %s past the end", context, g).isEmpty();
        }
    }

    private static LogEntry entry(String group, long index, long term) {
        byte[] payload = (group + index + "@" + term).getBytes(StandardCharsets.UTF_8);
        return new LogEntry(index, term, EntryType.COMMAND, 1, index, index - 1, index, payload);
    }
}
