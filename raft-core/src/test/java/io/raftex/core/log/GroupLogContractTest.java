package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The storage contract every {@link GroupLog} must keep, run against each implementation by a subclass.
 * Subclasses say how to open a fresh log, how to wait until issued writes are durable, and how to "restart".
 */
abstract class GroupLogContractTest {

    /** A fresh, empty log with this initial state. */
    protected abstract GroupLog open(PersistentState initial);

    /** Returns once every write issued so far is durable and reported to the listener. */
    protected abstract void awaitDurable(GroupLog log);

    /** The log as a restarted process would find it, after {@link #awaitDurable}. */
    protected abstract GroupLog reopen(GroupLog log, PersistentState initial);

    static final PersistentState INITIAL = new PersistentState(0, Optional.empty(),
            ClusterConfig.ofVoters(List.of(Member.voter("n1", "http://a:1"), Member.voter("n2", "http://b:2"),
                    Member.voter("n3", "http://c:3"))));

    /** Records every report. */
    static class Recorder implements GroupLog.DurabilityListener {
        final List<long[]> reports = new CopyOnWriteArrayList<>();
        final List<StorageException> failures = new CopyOnWriteArrayList<>();

        @Override
        public void onDurable(long index, long term, long truncations) {
            reports.add(new long[] {index, term, truncations});
        }

        @Override
        public void onFailure(StorageException failure) {
            failures.add(failure);
        }

        long[] last() {
            return reports.isEmpty() ? null : reports.get(reports.size() - 1);
        }
    }

    static LogEntry entry(long index, long term) {
        return new LogEntry(index, term, EntryType.COMMAND, 7, index, index - 1, 1_700_000_000_000L + index,
                ("value-" + index + "-" + term).getBytes(StandardCharsets.UTF_8));
    }

    static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i, term));
        }
        return out;
    }

    private Recorder recorderOf(GroupLog log) {
        Recorder r = new Recorder();
        log.setDurabilityListener(r);
        return r;
    }

    @Test
    void emptyLog() {
        GroupLog log = open(INITIAL);
        assertThat(log.state()).isEqualTo(INITIAL);
        assertThat(log.firstIndex()).isEqualTo(1);
        assertThat(log.lastIndex()).isZero();
        assertThat(log.termAt(0)).isZero();
        assertThat(log.termAt(1)).isEqualTo(-1);
        assertThatThrownBy(() -> log.entry(1)).isInstanceOf(StorageException.class);
    }

    @Test
    void appendedEntriesAreReadableAtOnce() {
        GroupLog log = open(INITIAL);
        log.append(entries(1, 3, 1));
        log.append(List.of(entry(4, 2)));
        assertThat(log.lastIndex()).isEqualTo(4);
        assertThat(log.entry(2)).isEqualTo(entry(2, 1));
        assertThat(log.termAt(3)).isEqualTo(1);
        assertThat(log.termAt(4)).isEqualTo(2);
        assertThat(log.termAt(5)).isEqualTo(-1);
        assertThat(log.entries(1, 4, Long.MAX_VALUE)).containsExactlyElementsOf(
                List.of(entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 2)));
    }

    @Test
    void entriesStopAtMaxBytesButReturnAtLeastOne() {
        GroupLog log = open(INITIAL);
        log.append(entries(1, 10, 1));
        int one = entry(1, 1).sizeInBytes();
        assertThat(log.entries(1, 10, 0)).containsExactly(entry(1, 1));
        assertThat(log.entries(2, 10, one * 3L)).containsExactly(entry(2, 1), entry(3, 1), entry(4, 1));
        assertThat(log.entries(5, 6, Long.MAX_VALUE)).containsExactly(entry(5, 1), entry(6, 1));
        assertThat(log.entries(7, 6, Long.MAX_VALUE)).isEmpty();
        awaitDurable(log);
        assertThat(log.entries(1, 10, Long.MAX_VALUE)).hasSize(10);
    }

    @Test
    void durabilityIsReportedInOrderUpToTheLastEntry() {
        GroupLog log = open(INITIAL);
        Recorder rec = recorderOf(log);
        for (int i = 1; i <= 50; i++) {
            log.append(List.of(entry(i, 1)));
        }
        awaitDurable(log);
        assertThat(rec.failures).isEmpty();
        assertThat(rec.last()).containsExactly(50, 1, 0);
        long previous = 0;
        for (long[] r : rec.reports) {
            assertThat(r[0]).isGreaterThan(previous);
            assertThat(r[1]).isEqualTo(1);
            assertThat(r[2]).isZero();
            previous = r[0];
        }
    }

    @Test
    void truncationRemovesTheSuffixAndStampsLaterReports() {
        GroupLog log = open(INITIAL);
        Recorder rec = recorderOf(log);
        log.append(entries(1, 5, 1));
        log.truncateFrom(4);
        assertThat(log.lastIndex()).isEqualTo(3);
        assertThat(log.termAt(4)).isEqualTo(-1);
        log.append(entries(4, 6, 2));
        assertThat(log.entry(4)).isEqualTo(entry(4, 2));
        awaitDurable(log);
        assertThat(rec.last()).containsExactly(6, 2, 1);
        // Every report for the old suffix carries the old count, so the core can tell it apart.
        for (long[] r : rec.reports) {
            assertThat(r[1]).isEqualTo(r[2] == 0 ? 1 : 2);
        }
        log.truncateFrom(1);
        assertThat(log.lastIndex()).isZero();
        log.append(List.of(entry(1, 3)));
        awaitDurable(log);
        assertThat(rec.last()).containsExactly(1, 3, 2);
    }

    @Test
    void truncationOfDurableEntriesSurvivesReopen() {
        GroupLog log = open(INITIAL);
        log.append(entries(1, 200, 1));
        awaitDurable(log);
        log.truncateFrom(120);
        log.append(entries(120, 130, 2));
        awaitDurable(log);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.lastIndex()).isEqualTo(130);
        assertThat(again.entry(119)).isEqualTo(entry(119, 1));
        assertThat(again.entry(120)).isEqualTo(entry(120, 2));
        assertThat(again.entries(1, 130, Long.MAX_VALUE))
                .containsExactlyElementsOf(concat(entries(1, 119, 1), entries(120, 130, 2)));
    }

    @Test
    void persistedStateIsReturnedAndSurvivesReopen() {
        GroupLog log = open(INITIAL);
        PersistentState voted = new PersistentState(5, Optional.of(MemberId.of("n2")), new ClusterConfig(List.of(
                Member.voter("n1", "http://a:1"), new Member(MemberId.of("n4"), "http://d:4", Membership.NON_VOTER),
                new Member(MemberId.of("n5"), "http://e:5", Membership.PROMOTABLE))));
        log.persistState(voted);
        assertThat(log.state()).isEqualTo(voted);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.state()).isEqualTo(voted);
    }

    @Test
    void reopenRestoresEveryDurableEntry() {
        GroupLog log = open(INITIAL);
        List<LogEntry> all = new ArrayList<>();
        for (int i = 1; i <= 1000; i += 10) {
            List<LogEntry> batch = entries(i, i + 9, 1 + i / 100);
            all.addAll(batch);
            log.append(batch);
        }
        awaitDurable(log);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.lastIndex()).isEqualTo(1000);
        assertThat(again.entries(1, 1000, Long.MAX_VALUE)).containsExactlyElementsOf(all);
        assertThat(again.termAt(1000)).isEqualTo(all.get(999).term());
        again.append(List.of(entry(1001, 11)));
        awaitDurable(again);
        assertThat(again.entry(1001)).isEqualTo(entry(1001, 11));
    }

    @Test
    void emptyPayloadAndNoopEntriesRoundTrip() {
        GroupLog log = open(INITIAL);
        LogEntry noop = LogEntry.noop(1, 1, 123);
        LogEntry config = new LogEntry(2, 1, EntryType.CONFIG, 0, 0, 0, 456, new byte[] {1, 2, 3});
        log.append(List.of(noop, config));
        awaitDurable(log);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.entries(1, 2, Long.MAX_VALUE)).containsExactly(noop, config);
    }

    // ---- compaction and reset ----

    /** Entries 1..10 in term 1 and 11..20 in term 2. */
    private GroupLog twentyEntries() {
        GroupLog log = open(INITIAL);
        log.append(entries(1, 10, 1));
        log.append(entries(11, 20, 2));
        return log;
    }

    @Test
    void compactDropsThePrefixButAnswersTheTermOfItsLastEntry() {
        GroupLog log = twentyEntries();
        awaitDurable(log);
        log.compact(12, 2);
        assertThat(log.firstIndex()).isEqualTo(13);
        assertThat(log.snapshotIndex()).isEqualTo(12);
        assertThat(log.lastIndex()).isEqualTo(20);
        assertThat(log.termAt(12)).isEqualTo(2);
        assertThat(log.termAt(11)).isEqualTo(-1);
        assertThat(log.termAt(5)).isEqualTo(-1);
        assertThat(log.termAt(0)).isZero();
        assertThatThrownBy(() -> log.entry(12)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.entry(3)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.entries(10, 20, Long.MAX_VALUE)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.entries(12, 12, Long.MAX_VALUE)).isInstanceOf(StorageException.class);
        assertThat(log.entries(13, 20, Long.MAX_VALUE)).containsExactlyElementsOf(entries(13, 20, 2));
        assertThat(log.termAt(13)).isEqualTo(2);
        log.append(List.of(entry(21, 3)));
        assertThat(log.entry(21)).isEqualTo(entry(21, 3));
    }

    @Test
    void compactOfEntriesNotYetDurableKeepsWhatFollows() {
        GroupLog log = open(INITIAL);
        Recorder rec = recorderOf(log);
        log.append(entries(1, 10, 1));
        log.compact(6, 1);
        log.append(entries(11, 12, 1));
        assertThat(log.entries(7, 12, Long.MAX_VALUE)).containsExactlyElementsOf(entries(7, 12, 1));
        awaitDurable(log);
        assertThat(rec.failures).isEmpty();
        assertThat(rec.last()).containsExactly(12, 1, 0);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.firstIndex()).isEqualTo(7);
        assertThat(again.termAt(6)).isEqualTo(1);
        assertThat(again.lastIndex()).isEqualTo(12);
        assertThat(again.entries(7, 12, Long.MAX_VALUE)).containsExactlyElementsOf(entries(7, 12, 1));
    }

    @Test
    void compactRefusesAPointPastTheEndOrInAnotherTermAndIgnoresOneAtOrBelowTheSnapshot() {
        GroupLog log = twentyEntries();
        assertThatThrownBy(() -> log.compact(21, 2)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.compact(15, 1)).isInstanceOf(StorageException.class);
        assertThat(log.firstIndex()).isEqualTo(1);
        log.compact(10, 1);
        log.compact(10, 7); // at the snapshot index: nothing to do, whatever the term
        log.compact(4, 1);
        assertThat(log.snapshotIndex()).isEqualTo(10);
        assertThat(log.termAt(10)).isEqualTo(1);
        assertThat(log.entry(11)).isEqualTo(entry(11, 2));
    }

    @Test
    void compactUpToTheLastEntryLeavesAnEmptyLogThatGoesOn() {
        GroupLog log = twentyEntries();
        awaitDurable(log);
        log.compact(20, 2);
        assertThat(log.firstIndex()).isEqualTo(21);
        assertThat(log.lastIndex()).isEqualTo(20);
        assertThat(log.termAt(20)).isEqualTo(2);
        assertThat(log.entries(21, 20, Long.MAX_VALUE)).isEmpty();
        assertThatThrownBy(() -> log.entries(21, 30, Long.MAX_VALUE)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.append(List.of(entry(20, 3)))).isInstanceOf(StorageException.class);
        log.append(entries(21, 25, 3));
        awaitDurable(log);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.firstIndex()).isEqualTo(21);
        assertThat(again.termAt(20)).isEqualTo(2);
        assertThat(again.entries(21, 25, Long.MAX_VALUE)).containsExactlyElementsOf(entries(21, 25, 3));
    }

    @Test
    void truncationAtOrBelowTheSnapshotIsRefusedJustAboveItEmptiesTheLog() {
        GroupLog log = twentyEntries();
        log.compact(10, 1);
        assertThatThrownBy(() -> log.truncateFrom(10)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.truncateFrom(3)).isInstanceOf(StorageException.class);
        assertThat(log.lastIndex()).isEqualTo(20);
        log.truncateFrom(11);
        assertThat(log.lastIndex()).isEqualTo(10);
        assertThat(log.termAt(10)).isEqualTo(1);
        log.append(entries(11, 13, 4));
        awaitDurable(log);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.firstIndex()).isEqualTo(11);
        assertThat(again.entries(11, 13, Long.MAX_VALUE)).containsExactlyElementsOf(entries(11, 13, 4));
    }

    @Test
    void resetDropsEveryEntryAndTheNextAppendFollowsTheSnapshotPoint() {
        GroupLog log = twentyEntries();
        awaitDurable(log);
        log.resetTo(100, 5);
        assertThat(log.snapshotIndex()).isEqualTo(100);
        assertThat(log.firstIndex()).isEqualTo(101);
        assertThat(log.lastIndex()).isEqualTo(100);
        assertThat(log.termAt(100)).isEqualTo(5);
        assertThat(log.termAt(20)).isEqualTo(-1);
        assertThat(log.termAt(101)).isEqualTo(-1);
        assertThatThrownBy(() -> log.entry(20)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.entry(100)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.append(List.of(entry(21, 5)))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.append(List.of(entry(102, 5)))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> log.truncateFrom(100)).isInstanceOf(StorageException.class);
        log.compact(100, 5); // at the snapshot index: nothing to do
        assertThatThrownBy(() -> log.compact(101, 5)).isInstanceOf(StorageException.class);
        log.append(entries(101, 103, 6));
        assertThat(log.entries(101, 103, Long.MAX_VALUE)).containsExactlyElementsOf(entries(101, 103, 6));
    }

    @Test
    void resetBelowTheLastIndexVoidsTheEntriesAboveItToo() {
        GroupLog log = twentyEntries();
        awaitDurable(log);
        log.compact(5, 1);
        log.resetTo(8, 1);
        assertThat(log.firstIndex()).isEqualTo(9);
        assertThat(log.lastIndex()).isEqualTo(8);
        assertThat(log.termAt(9)).isEqualTo(-1);
        assertThatThrownBy(() -> log.entry(15)).isInstanceOf(StorageException.class);
        log.append(entries(9, 11, 7));
        assertThat(log.entries(9, 11, Long.MAX_VALUE)).containsExactlyElementsOf(entries(9, 11, 7));
        awaitDurable(log);
        GroupLog again = reopen(log, INITIAL);
        assertThat(again.firstIndex()).isEqualTo(9);
        assertThat(again.termAt(8)).isEqualTo(1);
        assertThat(again.lastIndex()).isEqualTo(11);
        assertThat(again.entries(9, 11, Long.MAX_VALUE)).containsExactlyElementsOf(entries(9, 11, 7));
    }

    @Test
    void resetCountsAsATruncationForDurabilityReports() {
        GroupLog log = open(INITIAL);
        Recorder rec = recorderOf(log);
        log.append(entries(1, 5, 1));
        log.truncateFrom(5);
        log.append(List.of(entry(5, 2)));
        log.resetTo(50, 3); // while entries before it may not be durable yet
        log.append(entries(51, 53, 3));
        awaitDurable(log);
        assertThat(rec.failures).isEmpty();
        assertThat(rec.last()).containsExactly(53, 3, 2);
        for (long[] r : rec.reports) {
            // a report stamped with the count after the reset is for an entry appended after it
            assertThat(r[0] > 50).as("report %s", java.util.Arrays.toString(r)).isEqualTo(r[2] == 2);
        }
    }

    @Test
    void resetIsDurableWhenItReturnsAndOnlyWhatFollowsItSurvives() {
        GroupLog log = open(INITIAL);
        log.append(entries(1, 200, 1));
        awaitDurable(log);
        log.append(entries(201, 210, 1)); // written before the reset at lower and higher indexes: must not come back
        log.resetTo(150, 4);
        GroupLog afterReset = reopen(log, INITIAL);
        assertThat(afterReset.snapshotIndex()).isEqualTo(150);
        assertThat(afterReset.lastIndex()).isEqualTo(150);
        assertThat(afterReset.termAt(150)).isEqualTo(4);
        assertThat(afterReset.termAt(149)).isEqualTo(-1);
        afterReset.append(entries(151, 160, 4));
        awaitDurable(afterReset);
        GroupLog again = reopen(afterReset, INITIAL);
        assertThat(again.firstIndex()).isEqualTo(151);
        assertThat(again.lastIndex()).isEqualTo(160);
        assertThat(again.entries(151, 160, Long.MAX_VALUE)).containsExactlyElementsOf(entries(151, 160, 4));
        assertThat(again.termAt(161)).isEqualTo(-1);
    }

    static List<LogEntry> concat(List<LogEntry> a, List<LogEntry> b) {
        List<LogEntry> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
