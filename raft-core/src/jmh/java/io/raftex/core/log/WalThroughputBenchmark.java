package io.raftex.core.log;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sustained group-commit throughput: 4 appender threads, one group each, each keeping up to {@code window}
 * 100-byte entries in flight (like a leader pipelining proposals), with the segment writer moving everything into
 * MapDB behind the WAL. The back-pressure bound (8 MiB not yet in MapDB, reached within the first second) makes
 * this the rate the whole pipeline sustains, not just the WAL.
 * Side by side: raw {@code FileChannel} loops on the same disk, 100 bytes + {@code force(false)} per entry, and
 * 64 entries (6.4 KB) per {@code force(false)}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class WalThroughputBenchmark {

    /** The node's storage. */
    @State(Scope.Benchmark)
    public static class Node {
        @Param({"DATASYNC"})
        public String sync;
        Path dir;
        LogStorage storage;
        final AtomicInteger groups = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() {
            dir = BenchSupport.newDir("wal-throughput");
            storage = LogStorage.open(dir, StorageOptions.defaults().withSyncMode(SyncMode.valueOf(sync))
                    .withMaxUnmovedBytes(8L << 20));
        }

        @TearDown(Level.Trial)
        public void close() {
            storage.close();
            BenchSupport.delete(dir);
        }
    }

    /** One group per benchmark thread. */
    @State(Scope.Thread)
    public static class Group {
        @Param({"2000"})
        public int window;
        BenchSupport.Appender appender;

        @Setup(Level.Trial)
        public void open(Node node) {
            appender = new BenchSupport.Appender(node.storage.openGroup("g" + node.groups.incrementAndGet(),
                    BenchSupport.INITIAL));
        }
    }

    /** Raw files, one per thread. */
    @State(Scope.Thread)
    public static class Raw {
        Path dir;
        FileChannel channel;
        final ByteBuffer one = ByteBuffer.allocateDirect(100);
        final ByteBuffer batch = ByteBuffer.allocateDirect(64 * 100);

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = BenchSupport.newDir("raw-throughput");
            channel = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            BenchSupport.delete(dir);
        }
    }

    /** One entry appended; waits only when the window of unreported entries is full. */
    @Benchmark
    @Threads(4)
    public long walPipelined(Group group) {
        BenchSupport.Appender a = group.appender;
        long index = a.appendOne();
        if (index - group.window > 0) {
            a.awaitDurable(index - group.window);
        }
        return index;
    }

    @Benchmark
    @Threads(4)
    public int rawForcePerEntry(Raw raw) throws IOException {
        raw.one.clear();
        int n = raw.channel.write(raw.one);
        raw.channel.force(false);
        return n;
    }

    @Benchmark
    @Threads(4)
    @OperationsPerInvocation(64)
    public int rawForcePer64Entries(Raw raw) throws IOException {
        raw.batch.clear();
        int n = raw.channel.write(raw.batch);
        raw.channel.force(false);
        return n;
    }
}
