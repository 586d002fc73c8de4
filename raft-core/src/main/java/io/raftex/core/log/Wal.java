package io.raftex.core.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The node's write-ahead log, shared by all its groups. One writer thread takes requests from every group,
 * writes as many as the batch limits allow, syncs once for all of them (group commit) and then hands the batch
 * to the {@link Listener}, which reports durability per group and feeds the segment writer.
 *
 * <p>Files are {@code wal-<seq>.log} with a 16-digit sequence number; the writer rolls to the next one once the
 * current file reaches the size limit. Any write or sync error fails the WAL for good: the error goes to the
 * listener and every later request is refused. A failed fsync is never retried, because after one the kernel
 * may have dropped the dirty pages and a retry could falsely succeed.
 */
final class Wal implements AutoCloseable {

    /** Hears of each durable batch, in order, and of a failure. Called on the writer thread. */
    interface Listener {
        /** A batch of {@code records} ({@code bytes} long) was written and synced in {@code nanos}. */
        default void batchSynced(int records, int bytes, long nanos) {
        }

        void batchDurable(List<WalRequest> batch);

        void failed(StorageException failure);
    }

    private static final Logger log = LoggerFactory.getLogger(Wal.class);
    private static final WalRequest CLOSE = new WalRequest(null, null, 0, 0, 0);

    private final Path dir;
    private final StorageOptions options;
    private final Listener listener;
    private final LinkedBlockingQueue<WalRequest> queue = new LinkedBlockingQueue<>();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final TreeSet<Long> files = new TreeSet<>();
    private final Thread writer;
    private FileIo.WalFile current;
    private long currentSeq;
    private long currentSize;
    private ByteBuffer buffer;
    private final CRC32C batchCrc = new CRC32C();
    /** Where the batch being written started (for the failure message); written and read on the writer thread. */
    private long writeOffset;
    private boolean closed;
    private StorageException failure;

    Wal(Path dir, long firstSeq, StorageOptions options, Listener listener) throws IOException {
        this.dir = dir;
        this.options = options;
        this.listener = listener;
        this.buffer = ByteBuffer.allocateDirect(Math.min(options.maxBatchBytes(), 16 << 20));
        for (long seq : listFiles(dir)) { // files kept from before this open, until a sealed segment covers them
            if (seq < firstSeq) {
                files.add(seq);
            }
        }
        openFile(firstSeq);
        this.writer = new Thread(this::run, "raft-wal-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** The file that holds WAL segment {@code seq}. */
    static Path fileFor(Path dir, long seq) {
        return dir.resolve(String.format("wal-%016d.log", seq));
    }

    /** Sequence numbers of the WAL files in {@code dir}, ascending. */
    static List<Long> listFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("wal-\\d{16}\\.log"))
                    .map(n -> Long.parseLong(n.substring(4, 20)))
                    .sorted().toList();
        }
    }

    /** Queues a write; throws if the WAL has failed or is closed. */
    synchronized void submit(WalRequest request) {
        if (failure != null) {
            throw new StorageException("the WAL has failed and refuses writes: " + failure.getMessage(), failure);
        }
        if (closed) {
            throw new StorageException("the WAL is closed");
        }
        submitted.incrementAndGet();
        queue.add(request);
    }

    /** Whether every submitted request has been written, synced and reported. */
    boolean isIdle() {
        return completed.get() == submitted.get();
    }

    /** Refuses every later write (another part of the storage failed). */
    synchronized void refuse(StorageException cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    /** Deletes the WAL files before {@code seq} (all their records are in the store of record). */
    void releaseBefore(long seq) {
        List<Long> doomed = new ArrayList<>();
        synchronized (files) {
            for (Long f : files.headSet(Math.min(seq, currentSeqSafe()), false)) {
                doomed.add(f);
            }
            files.removeAll(doomed);
        }
        if (doomed.isEmpty()) {
            return;
        }
        try {
            for (long f : doomed) {
                Files.deleteIfExists(fileFor(dir, f));
            }
            options.fileIo().syncDirectory(dir);
        } catch (IOException e) {
            // Not a safety problem: a leftover file is skipped on recovery because the checkpoint is past it.
            log.warn("could not delete WAL files {} in {}: {}", doomed, dir, e.toString());
        }
    }

    /** Number of WAL files on disk (for tests and metrics). */
    int fileCount() {
        synchronized (files) {
            return files.size();
        }
    }

    /** Writes everything queued, syncs, stops the writer and closes the file. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(CLOSE);
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeFileQuietly();
    }

    private long currentSeqSafe() {
        synchronized (files) {
            return files.isEmpty() ? Long.MAX_VALUE : files.last();
        }
    }

    private void run() {
        List<WalRequest> batch = new ArrayList<>();
        try {
            boolean stop = false;
            while (!stop) {
                WalRequest first = queue.take();
                if (first == CLOSE) {
                    break;
                }
                batch.add(first);
                long bytes = first.frame.length;
                WalRequest next;
                while (batch.size() < options.maxBatchRecords() && (next = queue.peek()) != null
                        && (next == CLOSE || bytes + next.frame.length <= options.maxBatchBytes())) {
                    queue.poll();
                    if (next == CLOSE) {
                        stop = true;
                        break;
                    }
                    batch.add(next);
                    bytes += next.frame.length;
                }
                long startNanos = System.nanoTime();
                writeBatch(batch, (int) bytes);
                listener.batchSynced(batch.size(), (int) bytes, System.nanoTime() - startNanos);
                List<WalRequest> done = batch;
                batch = new ArrayList<>();
                listener.batchDurable(done);
                completed.addAndGet(done.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException | Error e) {
            fail(e, batch);
        }
    }

    private void writeBatch(List<WalRequest> batch, int bytes) throws IOException {
        if (currentSize >= options.walFileBytes()) {
            roll();
        }
        int total = bytes + WalRecord.COMMIT_FRAME;
        if (buffer.capacity() < total) {
            buffer = ByteBuffer.allocateDirect(total);
        }
        buffer.clear();
        long start = currentSize;
        writeOffset = start;
        for (WalRequest r : batch) {
            buffer.put(r.frame);
        }
        // The batch-commit marker goes out in the same write, before the one sync: on recovery, a batch without
        // a valid marker was never synced (so never reported durable) and may be cut, garbage and all.
        ByteBuffer records = buffer.duplicate().flip();
        batchCrc.reset();
        batchCrc.update(records);
        buffer.put(WalRecord.commitFrame(start, batch.size(), (int) batchCrc.getValue()));
        long end = start + total;
        for (WalRequest r : batch) {
            r.fileSeq = currentSeq;
            r.endOffset = end; // whole batches only: the segment writer's checkpoint always lands after a marker
        }
        buffer.flip();
        current.write(buffer);
        currentSize = end;
        sync(current);
    }

    private void sync(FileIo.WalFile file) throws IOException {
        switch (options.syncMode()) {
            case FSYNC -> file.force(true);
            case DATASYNC -> file.force(false);
            case NONE -> { }
        }
    }

    private void roll() throws IOException {
        long next = currentSeq + 1;
        closeFileQuietly();
        openFile(next);
    }

    private void openFile(long seq) throws IOException {
        Path path = fileFor(dir, seq);
        current = options.fileIo().openForAppend(path);
        currentSeq = seq;
        currentSize = current.size();
        synchronized (files) {
            files.add(seq);
        }
        // The new file's directory entry must be durable before records in it are reported durable.
        options.fileIo().syncDirectory(dir);
    }

    private void closeFileQuietly() {
        try {
            if (current != null) {
                current.close();
            }
        } catch (IOException e) {
            log.warn("closing WAL file failed: {}", e.toString());
        }
    }

    private void fail(Throwable cause, List<WalRequest> unwritten) {
        StorageException ex = new StorageException("WAL write or sync failed on " + fileFor(dir, currentSeq)
                + " (batch at offset " + writeOffset + "): " + cause, cause);
        List<WalRequest> stranded = new ArrayList<>(unwritten);
        synchronized (this) {
            if (failure == null) {
                failure = ex;
            }
            // Nothing is queued after this (submit refuses from now on): release whoever waits for these.
            queue.drainTo(stranded);
        }
        // Not logged here: the listener (LogStorage.fail) logs the failure once, with its cause.
        closeFileQuietly();
        listener.failed(ex);
        for (WalRequest r : stranded) {
            if (r.synced != null) {
                r.synced.completeExceptionally(ex);
            }
        }
    }
}
