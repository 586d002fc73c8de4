package io.raftex.core.log;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.raftex.core.log.GroupLogContractTest.entries;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static org.assertj.core.api.Assertions.assertThat;

/** The ring behind a group's memory table: growth, identity eviction, truncation. */
class MemTableTest {

    @Test
    void growsMarksMovedByIdentityAndTruncates() {
        MemTable t = new MemTable();
        List<LogEntry> first = entries(1, 1000, 1);
        first.forEach(t::put);
        assertThat(t.size()).isEqualTo(1000);
        assertThat(t.get(0)).isNull();
        assertThat(t.get(1001)).isNull();
        assertThat(t.get(777)).isSameAs(first.get(776));

        t.evict(first.subList(0, 600));
        assertThat(t.size()).as("not yet in MapDB").isEqualTo(400);
        assertThat(t.get(600)).as("moved, but within the retained tail").isSameAs(first.get(599));

        t.truncateFrom(800); // 800..1000 replaced with term 2
        List<LogEntry> second = entries(800, 1500, 2);
        second.forEach(t::put);
        t.evict(first); // only the objects still held count: 601..799
        assertThat(t.size()).isEqualTo(701);
        assertThat(t.get(799)).isSameAs(first.get(798));
        assertThat(t.get(800)).isSameAs(second.get(0));
        assertThat(t.get(1500)).isSameAs(second.get(700));

        t.evict(second);
        assertThat(t.size()).isZero();
        t.truncateFrom(1200); // drops retained entries too
        assertThat(t.get(1200)).isNull();
        t.put(entry(1200, 3));
        assertThat(t.get(1200)).isEqualTo(entry(1200, 3));
        t.clear();
        assertThat(t.get(1200)).isNull();
        t.put(entry(7, 3)); // after a clear, any index may start the table
        assertThat(t.get(7)).isEqualTo(entry(7, 3));
    }

    @Test
    void dropBeforeForgetsACompactedPrefixMovedOrNot() {
        MemTable t = new MemTable();
        List<LogEntry> all = entries(1, 100, 1);
        all.forEach(t::put);
        t.evict(all.subList(0, 30)); // 1..30 in MapDB, 31..100 not yet
        assertThat(t.size()).isEqualTo(70);
        t.dropBefore(51);
        assertThat(t.get(50)).isNull();
        assertThat(t.get(30)).isNull();
        assertThat(t.get(51)).isSameAs(all.get(50));
        assertThat(t.size()).as("the 20 unmoved entries dropped no longer count").isEqualTo(50);
        t.evict(all); // the segment writer moves them all later: only those still held count
        assertThat(t.size()).isZero();
        t.put(entry(101, 1));
        assertThat(t.size()).isEqualTo(1);
        t.dropBefore(200); // past everything: empty, and any index may start it again
        assertThat(t.get(101)).isNull();
        assertThat(t.size()).isZero();
        t.put(entry(201, 2));
        assertThat(t.get(201)).isEqualTo(entry(201, 2));
    }

    @Test
    void keepsOnlyTheRetainedTailOfMovedEntries() {
        MemTable t = new MemTable();
        int n = MemTable.RETAINED_ENTRIES * 3;
        List<LogEntry> all = entries(1, n, 1);
        all.forEach(t::put);
        t.evict(all);
        assertThat(t.size()).isZero();
        assertThat(t.get(n)).isSameAs(all.get(n - 1));
        assertThat(t.get(n - MemTable.RETAINED_ENTRIES + 1)).isNotNull();
        assertThat(t.get(n - MemTable.RETAINED_ENTRIES)).as("older moved entries are freed").isNull();
        // entries not yet in MapDB are never freed, however many there are
        List<LogEntry> more = entries(n + 1, n + 2 * MemTable.RETAINED_ENTRIES, 1);
        more.forEach(t::put);
        assertThat(t.get(n + 1)).isSameAs(more.get(0));
        assertThat(t.size()).isEqualTo(2 * MemTable.RETAINED_ENTRIES);
    }
}
