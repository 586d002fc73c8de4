package io.raftex.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The few file operations the WAL and the sealing of MapDB files need, behind an interface so tests can inject write
 * and sync failures. {@link #standard()} is the real thing.
 */
public interface FileIo {

    /** Opens (creating if needed) a WAL file for appending at its end. */
    WalFile openForAppend(Path file) throws IOException;

    /** Makes a directory's entries (files created, deleted) durable. */
    void syncDirectory(Path dir) throws IOException;

    /**
     * Deletes a file if it exists (a sealed segment that is no longer needed). The deletion is durable only once its
     * directory is synced ({@link #syncDirectory}).
     */
    default void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    /** Makes a whole file written by someone else (MapDB) durable: {@code FileChannel.force(true)}. */
    default void forceFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** An open WAL file. */
    interface WalFile extends AutoCloseable {

        /** Writes the whole buffer at the end of the file. */
        void write(ByteBuffer buffer) throws IOException;

        /** {@code FileChannel.force(metadata)}. */
        void force(boolean metadata) throws IOException;

        /** Current size. */
        long size() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Plain {@link FileChannel}s; the directory sync opens the directory for reading and forces it. */
    static FileIo standard() {
        return new FileIo() {
            @Override
            public WalFile openForAppend(Path file) throws IOException {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                ch.position(ch.size());
                return new WalFile() {
                    @Override
                    public void write(ByteBuffer buffer) throws IOException {
                        while (buffer.hasRemaining()) {
                            ch.write(buffer);
                        }
                    }

                    @Override
                    public void force(boolean metadata) throws IOException {
                        ch.force(metadata);
                    }

                    @Override
                    public long size() throws IOException {
                        return ch.size();
                    }

                    @Override
                    public void close() throws IOException {
                        ch.close();
                    }
                };
            }

            @Override
            public void syncDirectory(Path dir) throws IOException {
                try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                    ch.force(true);
                }
            }
        };
    }
}
