package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * One chunk of a snapshot a leader sends to a member whose next entry it no longer holds (Raft §7). The chunks carry
 * the snapshot's whole stored form (header, state, checksum) in order; the receiver verifies the whole before it
 * swaps its state in.
 *
 * @param lastIndex the last log index the snapshot covers
 * @param lastTerm  the term of that entry
 * @param offset    where {@code data} starts in the snapshot's whole form
 * @param totalSize the size of the whole form; the chunk that reaches it is the last
 * @param data      the chunk's bytes
 * @param crc       CRC32C of {@code data}
 */
public record InstallSnapshotRequest(String group, MemberId from, MemberId to, long term, long lastIndex,
                                     long lastTerm, long offset, long totalSize, byte[] data, int crc)
        implements RaftMessage {

    /** Whether this chunk ends the snapshot. */
    public boolean last() {
        return offset + data.length >= totalSize;
    }

    @Override
    public String toString() {
        return "InstallSnapshotRequest[group=" + group + ", from=" + from + ", to=" + to + ", term=" + term
                + ", lastIndex=" + lastIndex + ", lastTerm=" + lastTerm + ", offset=" + offset + ", totalSize="
                + totalSize + ", bytes=" + data.length + "]";
    }
}
