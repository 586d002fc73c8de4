package io.raftex.core.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Moves durable WAL batches into the MapDB store of record in the background. It gathers batches for a short
 * while (or up to an entry limit), applies them in WAL order to the building segment, commits once (the entries
 * are readable there from then on), and evicts them from the groups' memory tables. Once the building segment is
 * big enough it is sealed (fsynced, renamed, immutable), and only then does the WAL delete the files it covers, and
 * the store the segments that hold nothing above their groups' log starts any more.
 * Keeping this off the WAL writer's thread is what keeps MapDB off the append path.
 */
final class SegmentWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SegmentWriter.class);
    private static final List<WalRequest> CLOSE = List.of();

    private final LogStorage storage;
    private final SegmentStore store;
    private final StorageOptions options;
    private final LinkedBlockingQueue<List<WalRequest>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile long entriesMoved;
    private volatile long commits;
    private final AtomicLong pending = new AtomicLong();

    SegmentWriter(LogStorage storage, SegmentStore store, StorageOptions options) {
        this.storage = storage;
        this.store = store;
        this.options = options;
        this.thread = new Thread(this::run, "raft-segment-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a batch the WAL has made durable. */
    void enqueue(List<WalRequest> batch) {
        pending.incrementAndGet();
        queue.add(batch);
    }

    /** Entries moved into MapDB so far. */
    long entriesMoved() {
        return entriesMoved;
    }

    /** Moves into the building segment so far. */
    long commits() {
        return commits;
    }

    /** Whether every queued batch has been moved (for tests and benchmarks that wait for the writer). */
    boolean isIdle() {
        return pending.get() == 0;
    }

    /** Moves everything queued, then stops. */
    @Override
    public void close() {
        queue.add(CLOSE);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            boolean stop = false;
            while (!stop) {
                List<WalRequest> first = queue.take();
                if (first == CLOSE) {
                    break;
                }
                List<List<WalRequest>> gathered = new ArrayList<>();
                gathered.add(first);
                int entries = count(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.segmentFlushMillis());
                while (entries < options.segmentCommitEntries()) {
                    List<WalRequest> next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    if (next == CLOSE) {
                        stop = true;
                        break;
                    }
                    gathered.add(next);
                    entries += count(next);
                }
                move(gathered, entries);
                pending.addAndGet(-gathered.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            storage.fail(new StorageException("segment writer failed to move WAL records into MapDB: " + e, e));
        }
    }

    private void move(List<List<WalRequest>> batches, int entries) {
        Map<DurableGroupLog, List<LogEntry>> moved = new HashMap<>();
        Map<DurableGroupLog, int[]> requests = new HashMap<>();
        WalRequest last = null;
        long appendedBytes = 0;
        store.lock.lock();
        try {
            for (List<WalRequest> batch : batches) {
                for (WalRequest r : batch) {
                    store.apply(r.record, r.frame);
                    requests.computeIfAbsent(r.owner, o -> new int[1])[0]++;
                    if (r.record.isAppend()) {
                        moved.computeIfAbsent(r.owner, o -> new ArrayList<>()).addAll(r.record.entries());
                        appendedBytes += r.frame.length;
                    }
                    last = r;
                }
            }
            store.commit(last.fileSeq, last.endOffset);
            commits++;
            entriesMoved += entries;
            moved.forEach(DurableGroupLog::evict);
            requests.forEach((owner, n) -> owner.moved(n[0]));
            storage.release(appendedBytes);
            if (store.wantsSeal()) {
                long[] sealedUpTo = store.seal();
                storage.afterSegmentCommit();
                storage.wal().releaseBefore(sealedUpTo[0]);
                // The seal made the groups' starts durable: segments wholly below them can go now.
                int deleted = store.deleteDeadSegments();
                if (deleted > 0) {
                    log.debug("deleted {} sealed segments below every group's log start", deleted);
                }
            }
        } catch (IOException e) {
            throw new StorageException("cannot seal a MapDB segment: " + e, e);
        } finally {
            store.lock.unlock();
        }
        if (log.isTraceEnabled()) {
            log.trace("moved {} entries into MapDB up to WAL {}:{}", entries, last.fileSeq, last.endOffset);
        }
    }

    private static int count(List<WalRequest> batch) {
        int n = 0;
        for (WalRequest r : batch) {
            n += r.record.entries().size();
        }
        return Math.max(n, 1);
    }
}
