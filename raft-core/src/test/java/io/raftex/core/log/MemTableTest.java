package io.raftex.core.log;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.raftex.core.log.GroupLogContractTest.entries;
import static io.raftex.core.log.GroupLogContractTest.entry;
import static org.assertj.core.api.Assertions.assertThat;

/** The ring behind a group's memory table: growth, identity eviction, truncation. */
class MemTableTest {

    @Test
    void growsEvictsByIdentityAndTruncates() {
        MemTable t = new MemTable();
        List<LogEntry> first = entries(1, 1000, 1);
        first.forEach(t::put);
        assertThat(t.size()).isEqualTo(1000);
        assertThat(t.get(0)).isNull();
        assertThat(t.get(1001)).isNull();
        assertThat(t.get(777)).isSameAs(first.get(776));

        t.evict(first.subList(0, 600));
        assertThat(t.size()).isEqualTo(400);
        assertThat(t.get(600)).isNull();
        assertThat(t.get(601)).isSameAs(first.get(600));

        t.truncateFrom(800); // 800..1000 replaced with term 2
        List<LogEntry> second = entries(800, 1500, 2);
        second.forEach(t::put);
        t.evict(first); // only the objects still held go: 601..799
        assertThat(t.size()).isEqualTo(701);
        assertThat(t.get(799)).isNull();
        assertThat(t.get(800)).isSameAs(second.get(0));
        assertThat(t.get(1500)).isSameAs(second.get(700));

        t.evict(second);
        assertThat(t.size()).isZero();
        t.truncateFrom(1200); // below nothing held: a no-op
        t.put(entry(1501, 2));
        assertThat(t.get(1501)).isEqualTo(entry(1501, 2));
        t.clear();
        assertThat(t.get(1501)).isNull();
        t.put(entry(7, 3)); // after a clear, any index may start the table
        assertThat(t.get(7)).isEqualTo(entry(7, 3));
    }
}
