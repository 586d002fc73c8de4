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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The segment writer's sustained rate into MapDB, isolated from the WAL: each operation applies one commit's
 * worth of WAL records (4 groups, 64 entries of 100 bytes per record, 4096 entries in all: the default commit
 * size) to the building segment, packed {@code chunkEntries} per MapDB record (at most 32 KiB for 256, the default,
 * 60 KiB for 1024), copying the encoded entries from the records' WAL frames as the segment writer does, and commits
 * them there; every 64 MiB the segment is sealed (closed, fsynced, renamed), as the segment writer does. Reported per
 * entry (the frames are encoded inside the measured loop, on the same thread).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class SegmentWriterBenchmark {

    static final int PER_COMMIT = 4096;

    /** The store of record. */
    @State(Scope.Benchmark)
    public static class Store {
        @Param({"256", "1024"})
        public int chunkEntries;
        Path dir;
        SegmentStore store;
        final long[] next = {1, 1, 1, 1};
        long commits;

        @Setup(Level.Trial)
        public void open() throws java.io.IOException {
            dir = BenchSupport.newDir("segments");
            store = new SegmentStore(dir, chunkEntries, chunkEntries <= 256 ? 32 << 10 : 60 << 10,
                    StorageOptions.defaults().segmentBytes(), FileIo.standard());
        }

        @TearDown(Level.Trial)
        public void close() {
            store.close();
            BenchSupport.delete(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(PER_COMMIT)
    public long moveAndCommit(Store s) throws java.io.IOException {
        s.store.lock.lock();
        try {
            for (int done = 0; done < PER_COMMIT; done += 64) {
                int g = (done / 64) % 4;
                List<LogEntry> entries = new ArrayList<>(64);
                for (int i = 0; i < 64; i++) {
                    entries.add(BenchSupport.entry(s.next[g]++));
                }
                WalRecord record = WalRecord.append("g" + g, entries);
                s.store.apply(record, record.toFrame());
            }
            s.store.commit(1, ++s.commits);
            if (s.store.wantsSeal()) { // as the segment writer does: the seal's close, fsync and rename count too
                s.store.seal();
            }
        } finally {
            s.store.lock.unlock();
        }
        return s.commits;
    }
}
