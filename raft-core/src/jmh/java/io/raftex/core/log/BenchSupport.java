package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/** Shared pieces of the storage benchmarks. */
final class BenchSupport {

    static final PersistentState INITIAL = new PersistentState(0, Optional.empty(),
            ClusterConfig.ofVoters(List.of(Member.voter("n1", "local"))));
    /** The benchmarks' entry payload: 100 bytes. */
    static final byte[] PAYLOAD = new byte[100];

    private BenchSupport() {
    }

    static LogEntry entry(long index) {
        return new LogEntry(index, 1, EntryType.COMMAND, 1, index, index - 1, index, PAYLOAD);
    }

    /** A fresh directory on the same disk as the working directory (not tmpfs). */
    static Path newDir(String prefix) {
        try {
            Path base = Path.of(System.getProperty("bench.dir", "target/bench"));
            Files.createDirectories(base);
            return Files.createTempDirectory(base.toAbsolutePath(), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A group's log plus the durability it has heard of; the appending thread parks until enough is durable. */
    static final class Appender implements GroupLog.DurabilityListener {
        final GroupLog log;
        private volatile long durable;
        private volatile Thread waiter;
        private volatile StorageException failure;
        long next;

        Appender(GroupLog log) {
            this.log = log;
            this.next = log.lastIndex() + 1;
            this.durable = log.lastIndex();
            log.setDurabilityListener(this);
        }

        /** Appends one entry and returns its index. */
        long appendOne() {
            while (log.backPressured()) {
                LockSupport.parkNanos(this, 100_000); // as a leader refuses new commands until the store catches up
            }
            long index = next++;
            log.append(List.of(entry(index)));
            return index;
        }

        /** Parks until {@code index} is durable. */
        void awaitDurable(long index) {
            waiter = Thread.currentThread();
            while (durable < index) {
                if (failure != null) {
                    throw failure;
                }
                LockSupport.parkNanos(this, 1_000_000);
            }
        }

        @Override
        public void onDurable(long index, long term, long truncations) {
            durable = index;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        @Override
        public void onFailure(StorageException f) {
            failure = f;
        }
    }
}
