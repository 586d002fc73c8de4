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

    static List<LogEntry> concat(List<LogEntry> a, List<LogEntry> b) {
        List<LogEntry> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
