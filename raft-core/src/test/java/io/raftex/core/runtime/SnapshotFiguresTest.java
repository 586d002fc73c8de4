package io.raftex.core.runtime;

import io.raftex.core.ApplyContext;
import io.raftex.core.ClusterConfig;
import io.raftex.core.Codec;
import io.raftex.core.Member;
import io.raftex.core.RaftGroup;
import io.raftex.core.RaftNode;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.log.StorageOptions;
import io.raftex.core.log.SyncMode;
import io.raftex.core.transport.InMemoryNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Figures for docs/snapshots.md, not a test of speed: data-dir size and restart time of a node with 1,000,000 small
 * entries applied, with and without snapshots, and the heap a node with 10 groups holding 1,000,000 entries between
 * them retains. Runs only with {@code -Draft.figures=true}:
 * <pre>./mvnw -B -pl raft-core test -Dtest=SnapshotFiguresTest -Draft.figures=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "raft.figures", matches = "true")
class SnapshotFiguresTest {

    private static final int ENTRIES = Integer.getInteger("raft.figures.entries", 1_000_000);
    private static final int WINDOW = 2_000;

    @TempDir
    Path dir;

    @Test
    void restartTimeAndDataDirSizeWithAndWithoutSnapshots() throws Exception {
        for (long interval : new long[]{0, 10_000}) {
            Path data = dir.resolve("interval-" + interval);
            long start = System.nanoTime();
            try (RaftNode node = node(data, interval)) {
                RaftGroup<byte[], Long> g = startGroup(node, "g");
                fill(g, ENTRIES);
                double writeSeconds = (System.nanoTime() - start) / 1e9;
                awaitApplied(g, ENTRIES);
                System.out.printf("figures: interval %d: %,d entries applied in %.1f s (%,.0f/s)%n", interval, ENTRIES,
                        writeSeconds, ENTRIES / writeSeconds);
            }
            long bytes = size(data);
            long restart = System.nanoTime();
            try (RaftNode node = node(data, interval)) {
                RaftGroup<byte[], Long> g = startGroup(node, "g");
                long started = System.nanoTime();
                awaitApplied(g, ENTRIES);
                System.out.printf("figures: interval %d: data dir %.1f MiB; restart: group running after %d ms, "
                                + "state back (all %,d entries applied) after %d ms; snapshot index %d%n", interval,
                        bytes / 1048576.0, (started - restart) / 1_000_000, ENTRIES,
                        (System.nanoTime() - restart) / 1_000_000, g.metrics().snapshotIndex());
            }
        }
    }

    @Test
    void heapOfTenGroupsWithAMillionEntriesBetweenThem() throws Exception {
        try (RaftNode node = node(dir.resolve("ten"), 10_000)) {
            List<RaftGroup<byte[], Long>> groups = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                groups.add(startGroup(node, "g" + i));
            }
            List<CompletableFuture<Void>> fills = new ArrayList<>();
            for (RaftGroup<byte[], Long> g : groups) {
                fills.add(CompletableFuture.runAsync(() -> fill(g, ENTRIES / 10)));
            }
            fills.forEach(CompletableFuture::join);
            for (RaftGroup<byte[], Long> g : groups) {
                awaitApplied(g, ENTRIES / 10);
            }
            long used = usedHeapAfterGc();
            System.out.printf("figures: 10 groups, %,d entries applied in all: heap used after GC %.1f MiB (max heap"
                    + " %.0f MiB)%n", ENTRIES, used / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
            assertThat(used).isPositive();
        }
    }

    private static RaftNode node(Path data, long interval) {
        RaftNode node = RaftNode.builder()
                .nodeId("n1")
                .transport(new InMemoryNetwork().transport("n1"))
                .storage(DurableStorageProvider.open(data, StorageOptions.defaults().withSyncMode(SyncMode.NONE)))
                .tickInterval(Duration.ofMillis(10))
                .electionTimeout(Duration.ofMillis(100))
                .commandTimeout(Duration.ofSeconds(60))
                .snapshotInterval(interval)
                .build();
        node.start();
        return node;
    }

    private static RaftGroup<byte[], Long> startGroup(RaftNode node, String name) {
        return node.startGroup(name, ClusterConfig.ofVoters(List.of(Member.voter("n1", "mem:n1"))),
                new Counters(), BYTES, LONGS);
    }

    /** {@code n} commands of 16 bytes each, {@link #WINDOW} in flight. */
    private static void fill(RaftGroup<byte[], Long> g, int n) {
        List<CompletableFuture<Long>> window = new ArrayList<>(WINDOW);
        for (int i = 0; i < n; i++) {
            window.add(g.command(ByteBuffer.allocate(16).putInt(i % 1000).putInt(i).putLong(i).array()));
            if (window.size() == WINDOW || i == n - 1) {
                window.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());
                window.clear();
            }
        }
    }

    private static void awaitApplied(RaftGroup<?, ?> g, long index) {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> g.metrics().lastApplied() >= index);
    }

    private static long size(Path data) throws IOException {
        try (Stream<Path> files = Files.walk(data)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** 1,000 counters; a command adds to one of them. */
    static final class Counters implements StateMachine<byte[], Long> {
        private final long[] counters = new long[1000];

        @Override
        public Long apply(byte[] command, ApplyContext context) {
            int key = ByteBuffer.wrap(command).getInt();
            return ++counters[Math.floorMod(key, counters.length)];
        }

        @Override
        public StateSnapshot snapshot() {
            long[] copy = counters.clone();
            return out -> {
                DataOutputStream data = new DataOutputStream(out);
                for (long c : copy) {
                    data.writeLong(c);
                }
                data.flush();
            };
        }

        @Override
        public void restore(InputStream in) throws IOException {
            DataInputStream data = new DataInputStream(in);
            long[] read = new long[counters.length];
            for (int i = 0; i < read.length; i++) {
                read[i] = data.readLong();
            }
            if (data.read() != -1) {
                throw new IOException("bytes after the counters");
            }
            System.arraycopy(read, 0, counters, 0, read.length);
        }
    }

    static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    static final Codec<Long> LONGS = new Codec<>() {
        @Override
        public byte[] encode(Long value) {
            return ByteBuffer.allocate(8).putLong(value).array();
        }

        @Override
        public Long decode(byte[] bytes) {
            return ByteBuffer.wrap(bytes).getLong();
        }
    };
}
