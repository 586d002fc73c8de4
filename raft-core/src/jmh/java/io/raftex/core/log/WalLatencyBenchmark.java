package io.raftex.core.log;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Single-entry commit latency: one 100-byte entry appended and waited for until the WAL reports it durable,
 * side by side with the floor for the same disk, a raw {@code FileChannel} append of 100 bytes plus
 * {@code force(false)} per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class WalLatencyBenchmark {

    /** One storage with one group. */
    @State(Scope.Benchmark)
    public static class Wal {
        @Param({"DATASYNC"})
        public String sync;
        Path dir;
        LogStorage storage;
        BenchSupport.Appender appender;

        @Setup(Level.Trial)
        public void open() {
            dir = BenchSupport.newDir("wal-latency");
            storage = LogStorage.open(dir, StorageOptions.defaults().withSyncMode(SyncMode.valueOf(sync)));
            appender = new BenchSupport.Appender(storage.openGroup("g", BenchSupport.INITIAL));
        }

        @TearDown(Level.Trial)
        public void close() {
            storage.close();
            BenchSupport.delete(dir);
        }
    }

    /** A plain file in the same place. */
    @State(Scope.Benchmark)
    public static class Raw {
        Path dir;
        FileChannel channel;
        final ByteBuffer record = ByteBuffer.allocateDirect(100);

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = BenchSupport.newDir("raw-latency");
            channel = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            BenchSupport.delete(dir);
        }
    }

    @Benchmark
    public long walCommit(Wal wal) {
        long index = wal.appender.appendOne();
        wal.appender.awaitDurable(index);
        return index;
    }

    @Benchmark
    public int rawAppendForce(Raw raw) throws IOException {
        raw.record.clear();
        int n = raw.channel.write(raw.record);
        raw.channel.force(false);
        return n;
    }
}
