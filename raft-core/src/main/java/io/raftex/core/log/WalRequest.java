package io.raftex.core.log;

import java.util.concurrent.CompletableFuture;

/**
 * One write handed to the WAL writer: a group's record, its encoded frame (built on the caller's thread so that
 * encoding and checksumming run in parallel across groups), the facts its durability report carries, and, once
 * written, where it ended up.
 */
final class WalRequest {

    final DurableGroupLog owner;
    final WalRecord record;
    final byte[] frame;
    /** Last index and term of the log after this write; reported when it is durable. */
    final long lastIndex;
    final long lastTerm;
    /** Truncations the group had seen when it issued this write. */
    final long truncations;
    /**
     * For a write whose issuer waits until it is durable ({@link GroupLog#resetTo}): completed once its batch is
     * synced, or exceptionally if the WAL fails before; null for every other write.
     */
    final CompletableFuture<Void> synced;
    /** Set by the writer thread: the WAL file and the offset just past this record. */
    long fileSeq;
    long endOffset;

    WalRequest(DurableGroupLog owner, WalRecord record, long lastIndex, long lastTerm, long truncations) {
        this(owner, record, lastIndex, lastTerm, truncations, false);
    }

    WalRequest(DurableGroupLog owner, WalRecord record, long lastIndex, long lastTerm, long truncations,
               boolean awaited) {
        this.owner = owner;
        this.record = record;
        this.frame = record == null ? new byte[0] : record.toFrame();
        this.lastIndex = lastIndex;
        this.lastTerm = lastTerm;
        this.truncations = truncations;
        this.synced = awaited ? new CompletableFuture<>() : null;
    }
}
