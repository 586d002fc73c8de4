package io.raftex.core.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * Where one group keeps its snapshots. A snapshot is held in one self-describing form (its "file"): a header with
 * its {@link SnapshotMeta}, the state's bytes, and a CRC32C over all of it. The same bytes travel between members
 * in chunks, so what a follower receives is verified exactly as what it wrote itself.
 *
 * <p>Writes become visible atomically: a snapshot being written or received is invisible to {@link #list()} until
 * {@link Sink#commit()} or {@link Incoming#complete()} has made it durable (temporary file, fsync, rename, directory
 * fsync). Every method is thread-safe; a snapshot may be written on one thread while another reads an older one.
 */
public interface SnapshotStore {

    /** The snapshots held, newest (highest index) first, as listed; not verified. */
    List<SnapshotMeta> list();

    /**
     * The newest snapshot whose whole form verifies (header and checksum), skipping and logging, with a clear line,
     * each newer one that does not. Empty if none verifies.
     */
    Optional<SnapshotMeta> latestValid();

    /**
     * Starts writing a snapshot with the given metadata: write the state to {@link Sink#stream()}, then
     * {@link Sink#commit()} it. Replaces a held snapshot of the same index when committed.
     */
    Sink create(SnapshotMeta meta) throws IOException;

    /**
     * Opens the state bytes of a held snapshot. The stream checks the checksum as it is read and throws
     * {@link SnapshotCorruptException} at the end (or earlier, on a broken header) if they do not match.
     *
     * @throws java.nio.file.NoSuchFileException (an {@link IOException}) if the snapshot is no longer held
     */
    InputStream openState(SnapshotMeta meta) throws IOException;

    /** Size in bytes of the snapshot's whole form, as sent to another member. */
    long size(SnapshotMeta meta) throws IOException;

    /** Up to {@code maxBytes} bytes of the snapshot's whole form from {@code offset}; empty at the end. */
    byte[] read(SnapshotMeta meta, long offset, int maxBytes) throws IOException;

    /**
     * Starts receiving the whole form of the snapshot at ({@code index}, {@code term}) from another member. Only one
     * incoming snapshot is kept: starting another aborts the previous one.
     */
    Incoming receive(long index, long term) throws IOException;

    /**
     * Deletes every held snapshot except the newest {@code keep} (at least 1) that are not known to be damaged. A
     * snapshot {@link #latestValid()} has found damaged is deleted and not counted, so an intact older one is kept in
     * its place.
     */
    void retain(int keep) throws IOException;

    /** Deletes one held snapshot (for example one that did not verify). */
    void delete(SnapshotMeta meta) throws IOException;

    /** A snapshot being written locally. */
    interface Sink extends AutoCloseable {

        /** Where to write the state's bytes; buffered; do not close it. */
        OutputStream stream();

        /** Finishes the form, makes it durable and visible; returns what it now holds. */
        SnapshotMeta commit() throws IOException;

        /** Drops what was written, unless committed; idempotent. */
        @Override
        void close();
    }

    /** A snapshot's whole form arriving in chunks, in order. */
    interface Incoming extends AutoCloseable {

        /** The index of the snapshot being received. */
        long index();

        /** The term of the snapshot being received. */
        long term();

        /** Bytes received so far: the offset the next chunk must start at. */
        long received();

        /**
         * Appends a chunk at {@code offset}. A chunk at an offset other than {@link #received()} is refused with an
         * {@link IllegalArgumentException} and changes nothing.
         */
        void write(long offset, byte[] chunk) throws IOException;

        /**
         * Verifies the whole form (header matches the index and term given to {@link #receive}, checksum), makes
         * it durable and visible, and returns its metadata.
         *
         * @throws SnapshotCorruptException if it does not verify; nothing becomes visible then
         */
        SnapshotMeta complete() throws IOException;

        /** Drops what was received, unless completed; idempotent. */
        @Override
        void close();
    }
}
