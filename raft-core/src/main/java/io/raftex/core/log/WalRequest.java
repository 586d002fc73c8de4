package io.raftex.core.log;

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
    /** Set by the writer thread: the WAL file and the offset just past this record. */
    long fileSeq;
    long endOffset;

    WalRequest(DurableGroupLog owner, WalRecord record, long lastIndex, long lastTerm, long truncations) {
        this.owner = owner;
        this.record = record;
        this.frame = record == null ? new byte[0] : record.toFrame();
        this.lastIndex = lastIndex;
        this.lastTerm = lastTerm;
        this.truncations = truncations;
    }
}
