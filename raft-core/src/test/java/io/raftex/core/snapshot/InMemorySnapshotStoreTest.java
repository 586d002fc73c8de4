package io.raftex.core.snapshot;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract in memory, plus the crash that drops unfinished writes and the test hooks. */
class InMemorySnapshotStoreTest extends SnapshotStoreContractTest {

    @Override
    SnapshotStore newStore() {
        return new InMemorySnapshotStore("test");
    }

    @Override
    void corrupt(SnapshotStore store, SnapshotMeta meta) {
        ((InMemorySnapshotStore) store).corrupt(meta.index());
    }

    @Override
    void truncate(SnapshotStore store, SnapshotMeta meta, int bytes) {
        ((InMemorySnapshotStore) store).truncate(meta.index(), bytes);
    }

    @Test
    void aCrashDropsWhatWasStillBeingWrittenOrReceived() throws IOException {
        InMemorySnapshotStore store = new InMemorySnapshotStore("g");
        SnapshotMeta held = write(store, 5, 1, state(100, 1));
        SnapshotStore.Sink sink = store.create(meta(9, 2));
        sink.stream().write(state(100, 2));
        InMemorySnapshotStore source = new InMemorySnapshotStore("source");
        SnapshotMeta sent = write(source, 8, 2, state(100, 3));
        SnapshotStore.Incoming in = store.receive(8, 2);
        in.write(0, form(source, sent, 1 << 20));

        store.crash();

        assertThatThrownBy(sink::commit).isInstanceOf(IOException.class).hasMessageContaining("crashed");
        assertThatThrownBy(in::complete).isInstanceOf(IOException.class).hasMessageContaining("crashed");
        assertThat(store.list()).containsExactly(held);
        assertThat(store.latestValid()).contains(held);
        assertThat(write(store, 9, 2, state(100, 2))).isEqualTo(meta(9, 2)); // new writes work
    }

    @Test
    void damageDoesNotChangeWhatAnOpenStreamReads() throws IOException {
        InMemorySnapshotStore store = new InMemorySnapshotStore("g");
        byte[] state = state(10_000, 1);
        SnapshotMeta meta = write(store, 5, 1, state);

        try (var in = store.openState(meta)) {
            store.corrupt(5);
            assertThat(in.readAllBytes()).isEqualTo(state);
        }
        assertThatThrownBy(() -> readState(store, meta)).isInstanceOf(SnapshotCorruptException.class);
    }

    @Test
    void damagingASnapshotThatIsNotHeldIsRefused() {
        InMemorySnapshotStore store = new InMemorySnapshotStore("g");
        assertThatThrownBy(() -> store.corrupt(5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.truncate(5, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
