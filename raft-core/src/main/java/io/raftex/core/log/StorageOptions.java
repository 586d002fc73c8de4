package io.raftex.core.log;

import java.util.Objects;

/**
 * Settings of a node's {@link LogStorage}. Build from {@link #defaults()} and the {@code with...} methods.
 *
 * @param syncMode               how each WAL batch is made durable
 * @param maxBatchRecords        most WAL records (one per append or truncate call) written per sync
 * @param maxBatchBytes          most bytes written per sync (a single larger record still goes alone)
 * @param walFileBytes           the WAL rolls to a new file once the current one reaches this size
 * @param chunkEntries           most entries packed into one MapDB record
 * @param chunkBytes             most bytes packed into one MapDB record
 * @param segmentCommitEntries   the segment writer moves at most this many entries into MapDB at a time
 * @param segmentFlushMillis     how long the segment writer gathers WAL batches before moving them into MapDB
 * @param segmentBytes           a MapDB segment is sealed (fsynced, made immutable) once it holds this many bytes of
 *                               entries; the WAL files it covers are deleted only then
 * @param maxUnmovedBytes        once this many bytes are in the WAL but not yet in MapDB, the groups take no new
 *                               entries until the segment writer catches up ({@link GroupLog#backPressured()}), so
 *                               a writer that falls behind slows clients down instead of filling memory
 * @param fileIo                 how WAL files are opened and synced (a seam for fault-injection tests)
 */
public record StorageOptions(SyncMode syncMode, int maxBatchRecords, int maxBatchBytes, long walFileBytes,
                             int chunkEntries, int chunkBytes, int segmentCommitEntries, long segmentFlushMillis,
                             long segmentBytes, long maxUnmovedBytes, FileIo fileIo) {

    public StorageOptions {
        Objects.requireNonNull(syncMode, "syncMode");
        Objects.requireNonNull(fileIo, "fileIo");
        if (maxBatchRecords < 1 || maxBatchBytes < 1 || walFileBytes < 1 || chunkEntries < 1 || chunkBytes < 1
                || segmentCommitEntries < 1 || segmentFlushMillis < 0 || segmentBytes < 1 || maxUnmovedBytes < 1) {
            throw new IllegalArgumentException("storage limits must be positive: " + this);
        }
    }

    /**
     * fsync, batches of up to 4096 records / 4 MiB, 64 MiB WAL files, chunks of up to 256 entries / 32 KiB, moves
     * into MapDB every 4096 entries or 20 ms, segments sealed at 64 MiB, at most 64 MiB not yet moved into MapDB.
     */
    public static StorageOptions defaults() {
        return new StorageOptions(SyncMode.FSYNC, 4096, 4 << 20, 64L << 20, 256, 32 << 10, 4096, 20,
                64L << 20, 64L << 20, FileIo.standard());
    }

    /** With another sync mode. */
    public StorageOptions withSyncMode(SyncMode mode) {
        return new StorageOptions(mode, maxBatchRecords, maxBatchBytes, walFileBytes, chunkEntries, chunkBytes,
                segmentCommitEntries, segmentFlushMillis, segmentBytes, maxUnmovedBytes, fileIo);
    }

    /** With other WAL batch limits. */
    public StorageOptions withMaxBatch(int records, int bytes) {
        return new StorageOptions(syncMode, records, bytes, walFileBytes, chunkEntries, chunkBytes,
                segmentCommitEntries, segmentFlushMillis, segmentBytes, maxUnmovedBytes, fileIo);
    }

    /** With another WAL file size limit. */
    public StorageOptions withWalFileBytes(long bytes) {
        return new StorageOptions(syncMode, maxBatchRecords, maxBatchBytes, bytes, chunkEntries, chunkBytes,
                segmentCommitEntries, segmentFlushMillis, segmentBytes, maxUnmovedBytes, fileIo);
    }

    /** With other MapDB packing limits. */
    public StorageOptions withChunk(int entries, int bytes) {
        return new StorageOptions(syncMode, maxBatchRecords, maxBatchBytes, walFileBytes, entries, bytes,
                segmentCommitEntries, segmentFlushMillis, segmentBytes, maxUnmovedBytes, fileIo);
    }

    /** With other segment writer pacing. */
    public StorageOptions withSegmentCommit(int entries, long flushMillis) {
        return new StorageOptions(syncMode, maxBatchRecords, maxBatchBytes, walFileBytes, chunkEntries, chunkBytes,
                entries, flushMillis, segmentBytes, maxUnmovedBytes, fileIo);
    }

    /** With another size at which a MapDB segment is sealed. */
    public StorageOptions withSegmentBytes(long bytes) {
        return new StorageOptions(syncMode, maxBatchRecords, maxBatchBytes, walFileBytes, chunkEntries, chunkBytes,
                segmentCommitEntries, segmentFlushMillis, bytes, maxUnmovedBytes, fileIo);
    }

    /** With another bound on bytes written but not yet moved into MapDB. */
    public StorageOptions withMaxUnmovedBytes(long bytes) {
        return new StorageOptions(syncMode, maxBatchRecords, maxBatchBytes, walFileBytes, chunkEntries, chunkBytes,
                segmentCommitEntries, segmentFlushMillis, segmentBytes, bytes, fileIo);
    }

    /** With another file layer (tests inject failures through it). */
    public StorageOptions withFileIo(FileIo io) {
        return new StorageOptions(syncMode, maxBatchRecords, maxBatchBytes, walFileBytes, chunkEntries, chunkBytes,
                segmentCommitEntries, segmentFlushMillis, segmentBytes, maxUnmovedBytes, io);
    }
}
