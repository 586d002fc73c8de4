package io.raftex.core.snapshot;

import io.raftex.core.LogCapture;
import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link SnapshotStore} contract, run against each implementation: visibility only after commit, verification
 * of the whole form, chunked transfer between two stores, retention, and reads alongside writes.
 */
abstract class SnapshotStoreContractTest {

    private final ExecutorService executor = Executors.newFixedThreadPool(2);

    /** A new, empty store (each call a different one). */
    abstract SnapshotStore newStore() throws IOException;

    /** Flips one byte in the middle of the held form of {@code meta}. */
    abstract void corrupt(SnapshotStore store, SnapshotMeta meta) throws IOException;

    /** Drops the last {@code bytes} bytes of the held form of {@code meta}. */
    abstract void truncate(SnapshotStore store, SnapshotMeta meta, int bytes) throws IOException;

    @AfterEach
    void stopExecutor() {
        executor.shutdownNow();
    }

    @Test
    void retainKeepsTheNewestIntactSnapshotsAndDeletesOnesFoundDamaged() throws IOException {
        SnapshotStore store = newStore();
        SnapshotMeta older = write(store, 10, 1, state(1000, 1));
        SnapshotMeta damaged = write(store, 20, 2, state(1000, 2));
        corrupt(store, damaged);
        assertThat(store.latestValid()).contains(older); // as a restart finds them: the newest is skipped
        SnapshotMeta newer = write(store, 30, 3, state(1000, 3));

        store.retain(2);

        assertThat(store.list()).containsExactly(newer, older);
        assertThat(readState(store, older)).isEqualTo(state(1000, 1));
        assertThat(store.latestValid()).contains(newer);
    }

    static ClusterConfig config(long index) {
        return new ClusterConfig(List.of(
                Member.voter("n1", "http://n1:8080/" + index),
                new Member(MemberId.of("n2"), "http://n2:8080", Membership.PROMOTABLE),
                new Member(MemberId.of("n3"), "http://nœud-3:8080", Membership.NON_VOTER)));
    }

    static SnapshotMeta meta(long index, long term) {
        return new SnapshotMeta(index, term, config(index));
    }

    static byte[] state(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static SnapshotMeta write(SnapshotStore store, long index, long term, byte[] state) throws IOException {
        try (SnapshotStore.Sink sink = store.create(meta(index, term))) {
            OutputStream out = sink.stream();
            // in a few writes of different sizes, as a state machine would
            int half = state.length / 2;
            out.write(state, 0, half);
            if (half < state.length) {
                out.write(state[half]);
                out.write(state, half + 1, state.length - half - 1);
            }
            return sink.commit();
        }
    }

    static byte[] readState(SnapshotStore store, SnapshotMeta meta) throws IOException {
        try (InputStream in = store.openState(meta)) {
            return in.readAllBytes();
        }
    }

    /** The whole form of {@code meta}, read in chunks of {@code chunk} bytes. */
    static byte[] form(SnapshotStore store, SnapshotMeta meta, int chunk) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] b = store.read(meta, 0, chunk); b.length > 0; b = store.read(meta, all.size(), chunk)) {
            all.writeBytes(b);
        }
        return all.toByteArray();
    }

    @Test
    void aCommittedSnapshotIsListedVerifiedAndReadBack() throws IOException {
        SnapshotStore store = newStore();
        byte[] state = state(100_000, 1);

        SnapshotMeta meta = write(store, 42, 7, state);

        assertThat(meta).isEqualTo(meta(42, 7));
        assertThat(store.list()).containsExactly(meta(42, 7));
        assertThat(store.latestValid()).contains(meta(42, 7));
        assertThat(readState(store, meta)).isEqualTo(state);
    }

    @Test
    void anEmptyStateRoundTrips() throws IOException {
        SnapshotStore store = newStore();
        SnapshotMeta meta = write(store, 1, 1, new byte[0]);

        assertThat(store.latestValid()).contains(meta);
        assertThat(readState(store, meta)).isEmpty();
    }

    @Test
    void aSnapshotIsInvisibleUntilCommitted() throws IOException {
        SnapshotStore store = newStore();
        try (SnapshotStore.Sink sink = store.create(meta(5, 1))) {
            sink.stream().write(state(10_000, 2));
            sink.stream().flush();

            assertThat(store.list()).isEmpty();
            assertThat(store.latestValid()).isEmpty();
            assertThatThrownBy(() -> store.openState(meta(5, 1))).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> store.size(meta(5, 1))).isInstanceOf(NoSuchFileException.class);

            sink.commit();
        }
        assertThat(store.list()).containsExactly(meta(5, 1));
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws IOException {
        SnapshotStore store = newStore();
        SnapshotStore.Sink sink = store.create(meta(5, 1));
        sink.stream().write(state(10_000, 3));

        sink.close();
        sink.close(); // idempotent

        assertThat(store.list()).isEmpty();
        assertThat(store.latestValid()).isEmpty();
        assertThatThrownBy(sink::commit).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> sink.stream().write(1)).isInstanceOf(IOException.class);
        assertThat(store.list()).isEmpty();
    }

    @Test
    void closingTheSinkStreamOnlyFlushesIt() throws IOException {
        SnapshotStore store = newStore();
        byte[] state = state(1000, 4);
        SnapshotMeta meta;
        try (SnapshotStore.Sink sink = store.create(meta(3, 1))) {
            try (OutputStream out = sink.stream()) { // e.g. a compressing wrapper that closes what it wraps
                out.write(state);
            }
            meta = sink.commit();
        }
        assertThat(readState(store, meta)).isEqualTo(state);
    }

    @Test
    void snapshotsAreListedNewestFirstAndSameIndexIsReplaced() throws IOException {
        SnapshotStore store = newStore();
        write(store, 10, 1, state(10, 1));
        write(store, 30, 2, state(10, 2));
        write(store, 20, 2, state(10, 3));

        assertThat(store.list()).containsExactly(meta(30, 2), meta(20, 2), meta(10, 1));

        byte[] replacement = state(20, 4);
        write(store, 20, 3, replacement);

        assertThat(store.list()).containsExactly(meta(30, 2), meta(20, 3), meta(10, 1));
        assertThat(readState(store, meta(20, 3))).isEqualTo(replacement);
        assertThatThrownBy(() -> store.openState(meta(20, 2))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aCorruptNewestSnapshotIsSkippedWithAWarningForTheOlderOne() throws IOException {
        SnapshotStore store = newStore();
        SnapshotMeta older = write(store, 10, 1, state(5000, 1));
        SnapshotMeta newer = write(store, 20, 3, state(5000, 2));
        corrupt(store, newer);

        try (LogCapture logs = new LogCapture("io.raftex.core.snapshot")) {
            assertThat(store.latestValid()).contains(older);

            assertThat(logs.warnings()).hasSize(1);
            assertThat(logs.warnings().get(0))
                    .contains("20", "3", "is corrupt (CRC32C mismatch)", "trying an older one");
        }
        assertThat(store.list()).containsExactly(newer, older); // listed, not verified, not deleted
    }

    @Test
    void noSnapshotVerifiesThenLatestValidIsEmpty() throws IOException {
        SnapshotStore store = newStore();
        SnapshotMeta only = write(store, 10, 1, state(5000, 1));
        corrupt(store, only);

        try (LogCapture logs = new LogCapture("io.raftex.core.snapshot")) {
            assertThat(store.latestValid()).isEmpty();
            assertThat(logs.warnings()).singleElement().asString().contains("no older snapshot left");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 100, 4000})
    void aTruncatedSnapshotIsDetected(int dropped) throws IOException {
        SnapshotStore store = newStore();
        SnapshotMeta older = write(store, 10, 1, state(5000, 1));
        SnapshotMeta newer = write(store, 20, 3, state(5000, 2));
        long size = store.size(newer);
        truncate(store, newer, dropped);

        assertThat(store.size(newer)).isEqualTo(size - dropped);
        try (LogCapture logs = new LogCapture("io.raftex.core.snapshot")) {
            assertThat(store.latestValid()).contains(older);
            assertThat(logs.warnings()).singleElement().asString().contains("is corrupt", "trying an older one");
        }
        assertThatThrownBy(() -> readState(store, newer)).isInstanceOf(SnapshotCorruptException.class);
    }

    @Test
    void openStateOfACorruptSnapshotThrowsAtTheEnd() throws IOException {
        SnapshotStore store = newStore();
        byte[] state = state(100_000, 5);
        SnapshotMeta meta = write(store, 10, 1, state);
        corrupt(store, meta); // in the middle of the form: inside the state

        try (InputStream in = store.openState(meta)) {
            byte[] first = in.readNBytes(1000);
            assertThat(first).isEqualTo(Arrays.copyOf(state, 1000));
            assertThatThrownBy(in::readAllBytes)
                    .isInstanceOf(SnapshotCorruptException.class)
                    .hasMessageContaining("CRC32C mismatch");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 1 << 20})
    void aSnapshotTransfersInChunksToAnotherStore(int chunk) throws IOException {
        SnapshotStore source = newStore();
        SnapshotStore target = newStore();
        byte[] state = state(300_000, 6);
        SnapshotMeta meta = write(source, 77, 4, state);
        long size = source.size(meta);

        SnapshotMeta received;
        try (SnapshotStore.Incoming in = target.receive(77, 4)) {
            assertThat(in.index()).isEqualTo(77);
            assertThat(in.term()).isEqualTo(4);
            long offset = 0;
            for (byte[] b = source.read(meta, 0, chunk); b.length > 0; b = source.read(meta, offset, chunk)) {
                assertThat(b.length).isLessThanOrEqualTo(chunk);
                in.write(offset, b);
                offset += b.length;
                assertThat(in.received()).isEqualTo(offset);
                assertThat(target.list()).isEmpty(); // nothing visible before complete
            }
            assertThat(offset).isEqualTo(size);
            received = in.complete();
        }

        assertThat(received).isEqualTo(meta);
        assertThat(target.list()).containsExactly(meta);
        assertThat(target.latestValid()).contains(meta);
        assertThat(target.size(meta)).isEqualTo(size);
        assertThat(readState(target, meta)).isEqualTo(state);
        assertThat(form(target, meta, 4096)).isEqualTo(form(source, meta, 1000));
    }

    @Test
    void readingPastTheEndIsEmptyThenRefused() throws IOException {
        SnapshotStore store = newStore();
        SnapshotMeta meta = write(store, 3, 1, state(100, 1));
        long size = store.size(meta);

        assertThat(store.read(meta, size - 1, 10)).hasSize(1);
        assertThat(store.read(meta, size, 10)).isEmpty();
        assertThatThrownBy(() -> store.read(meta, size + 1, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anOutOfOrderChunkIsRefusedAndChangesNothing() throws IOException {
        SnapshotStore source = newStore();
        SnapshotStore target = newStore();
        SnapshotMeta meta = write(source, 12, 2, state(1000, 7));
        byte[] form = form(source, meta, 1 << 20);

        try (SnapshotStore.Incoming in = target.receive(12, 2)) {
            in.write(0, Arrays.copyOfRange(form, 0, 100));

            assertThatThrownBy(() -> in.write(0, Arrays.copyOfRange(form, 0, 100)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 100");
            assertThatThrownBy(() -> in.write(150, Arrays.copyOfRange(form, 150, 200)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(in.received()).isEqualTo(100);

            in.write(100, Arrays.copyOfRange(form, 100, form.length));
            assertThat(in.complete()).isEqualTo(meta);
        }
        assertThat(readState(target, meta)).isEqualTo(state(1000, 7));
    }

    @Test
    void aFlippedByteInTransferFailsCompleteAndNothingBecomesVisible() throws IOException {
        SnapshotStore source = newStore();
        SnapshotStore target = newStore();
        SnapshotMeta meta = write(source, 12, 2, state(10_000, 8));
        byte[] form = form(source, meta, 1 << 20);
        form[form.length - 100] ^= 0x01;

        SnapshotStore.Incoming in = target.receive(12, 2);
        in.write(0, form);
        assertThatThrownBy(in::complete)
                .isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("CRC32C mismatch");

        assertThat(target.list()).isEmpty();
        assertThat(target.latestValid()).isEmpty();
        assertThatThrownBy(() -> in.write(form.length, new byte[1])).isInstanceOf(IllegalStateException.class);
        in.close(); // still fine
    }

    @Test
    void aHeaderForAnotherIndexOrTermIsRefused() throws IOException {
        SnapshotStore source = newStore();
        SnapshotStore target = newStore();
        SnapshotMeta meta = write(source, 12, 2, state(1000, 9));
        byte[] form = form(source, meta, 1 << 20);

        for (long[] expected : new long[][] {{13, 2}, {12, 3}}) {
            try (SnapshotStore.Incoming in = target.receive(expected[0], expected[1])) {
                in.write(0, form);
                assertThatThrownBy(in::complete)
                        .isInstanceOf(SnapshotCorruptException.class)
                        .hasMessageContaining("header is for index 12 term 2");
            }
        }
        assertThat(target.list()).isEmpty();
    }

    @Test
    void aTruncatedTransferIsRefused() throws IOException {
        SnapshotStore source = newStore();
        SnapshotStore target = newStore();
        SnapshotMeta meta = write(source, 12, 2, state(1000, 10));
        byte[] form = form(source, meta, 1 << 20);

        try (SnapshotStore.Incoming in = target.receive(12, 2)) {
            in.write(0, Arrays.copyOf(form, form.length - 1));
            assertThatThrownBy(in::complete).isInstanceOf(SnapshotCorruptException.class);
        }
        try (SnapshotStore.Incoming in = target.receive(12, 2)) {
            assertThatThrownBy(in::complete).isInstanceOf(SnapshotCorruptException.class); // nothing at all
        }
        assertThat(target.list()).isEmpty();
    }

    @Test
    void aNewReceiveDropsThePreviousOne() throws IOException {
        SnapshotStore source = newStore();
        SnapshotStore target = newStore();
        SnapshotMeta meta = write(source, 12, 2, state(1000, 11));
        byte[] form = form(source, meta, 1 << 20);

        SnapshotStore.Incoming first = target.receive(12, 2);
        first.write(0, Arrays.copyOf(form, 10));
        SnapshotStore.Incoming second = target.receive(12, 2);

        assertThatThrownBy(() -> first.write(10, new byte[1])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(first::complete).isInstanceOf(IllegalStateException.class);
        second.write(0, form);
        assertThat(second.complete()).isEqualTo(meta);
        assertThat(target.list()).containsExactly(meta);
    }

    @Test
    void retainKeepsTheNewest() throws IOException {
        SnapshotStore store = newStore();
        for (int i = 1; i <= 5; i++) {
            write(store, i * 10L, i, state(100, i));
        }

        store.retain(2);
        assertThat(store.list()).containsExactly(meta(50, 5), meta(40, 4));
        store.retain(5);
        assertThat(store.list()).containsExactly(meta(50, 5), meta(40, 4));
        store.retain(1);
        assertThat(store.list()).containsExactly(meta(50, 5));
        assertThat(readState(store, meta(50, 5))).isEqualTo(state(100, 5));
        assertThatThrownBy(() -> store.retain(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deleteRemovesOneSnapshot() throws IOException {
        SnapshotStore store = newStore();
        write(store, 10, 1, state(100, 1));
        write(store, 20, 1, state(100, 2));

        store.delete(meta(20, 1));
        store.delete(meta(20, 1)); // already gone: nothing happens

        assertThat(store.list()).containsExactly(meta(10, 1));
        assertThat(store.latestValid()).contains(meta(10, 1));
    }

    @Test
    void twoSnapshotsCanBeWrittenAtOnce() throws IOException {
        SnapshotStore store = newStore();
        SnapshotStore.Sink a = store.create(meta(10, 1));
        SnapshotStore.Sink b = store.create(meta(20, 1));
        a.stream().write(state(1000, 1));
        b.stream().write(state(1000, 2));

        b.commit();
        a.commit();

        assertThat(store.list()).containsExactly(meta(20, 1), meta(10, 1));
        assertThat(readState(store, meta(10, 1))).isEqualTo(state(1000, 1));
        assertThat(readState(store, meta(20, 1))).isEqualTo(state(1000, 2));
    }

    @Test
    void aNewSnapshotIsWrittenAndTheOldOneRetainedAwayWhileItIsRead() throws Exception {
        SnapshotStore store = newStore();
        byte[] old = state(1 << 20, 12);
        SnapshotMeta oldMeta = write(store, 10, 1, old);
        byte[] fresh = state(1 << 20, 13);

        ByteArrayOutputStream read = new ByteArrayOutputStream();
        try (InputStream in = store.openState(oldMeta)) {
            read.writeBytes(in.readNBytes(old.length / 2));

            Future<SnapshotMeta> writer = executor.submit(() -> {
                SnapshotMeta m = write(store, 20, 2, fresh);
                store.retain(1);
                return m;
            });
            assertThat(writer.get(60, TimeUnit.SECONDS)).isEqualTo(meta(20, 2));
            assertThat(store.list()).containsExactly(meta(20, 2));

            read.writeBytes(in.readAllBytes()); // still the old bytes, still verified at the end
        }
        assertThat(read.toByteArray()).isEqualTo(old);
        assertThat(readState(store, meta(20, 2))).isEqualTo(fresh);
    }

    @Test
    void readersSeeOnlyWholeVerifiedSnapshotsWhileAWriterPublishesAndRetains() throws Exception {
        SnapshotStore store = newStore();
        write(store, 1, 1, stateAt(1));
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch readerStarted = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();

        Future<?> reader = executor.submit(() -> {
            readerStarted.countDown();
            // at least a few reads, and keep reading until the writer is done
            while (writing.get() || reads.get() < 3) {
                SnapshotMeta latest = store.latestValid().orElseThrow();
                try {
                    assertThat(readState(store, latest)).isEqualTo(stateAt(latest.index()));
                    reads.incrementAndGet();
                } catch (NoSuchFileException retained) {
                    // retain removed it between latestValid and openState: allowed
                }
                for (SnapshotMeta m : store.list()) {
                    assertThat(m).isEqualTo(meta(m.index(), 1));
                }
            }
            return null;
        });
        Future<?> writer = executor.submit(() -> {
            readerStarted.await();
            try {
                for (long i = 2; i <= 40; i++) {
                    write(store, i, 1, stateAt(i));
                    store.retain(3);
                }
            } finally {
                writing.set(false);
            }
            return null;
        });

        writer.get(120, TimeUnit.SECONDS);
        reader.get(120, TimeUnit.SECONDS);
        assertThat(reads.get()).isGreaterThanOrEqualTo(3);
        assertThat(store.list()).extracting(SnapshotMeta::index).containsExactly(40L, 39L, 38L);
    }

    private static byte[] stateAt(long index) {
        return state(20_000 + (int) index, index);
    }
}
