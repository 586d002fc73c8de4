package io.raftex.core.log;

/** How the write-ahead log makes a batch durable ({@code raft.storage.sync}). */
public enum SyncMode {
    /** {@code FileChannel.force(true)}: data and all file metadata (fsync). */
    FSYNC,
    /** {@code FileChannel.force(false)}: data and the metadata needed to read it back (fdatasync). */
    DATASYNC,
    /** No sync: writes reach the page cache only and are reported durable at once. Survives a process
     * crash, not a power loss; for tests and benchmarks. */
    NONE
}
