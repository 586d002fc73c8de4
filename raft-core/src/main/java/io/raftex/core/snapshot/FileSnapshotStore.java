package io.raftex.core.snapshot;

import io.raftex.core.log.FileIo;
import io.raftex.core.log.StorageException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A {@link SnapshotStore} in one directory (one per group): each snapshot is one file
 * {@code snapshot-<index, 20 digits>-<term>.snap} holding its whole form (see {@code docs/snapshots.md}).
 *
 * <p>A snapshot is written (or received) into a {@code .tmp} file, forced, renamed into place atomically, and the
 * directory is forced; {@code .tmp} files are never listed and are deleted by {@link #open}. Published files are
 * never changed, so reads need no lock: a snapshot can be written while another thread reads or sends an older one,
 * and a file deleted by {@link #retain} stays readable through a stream opened before. Publication, deletion and the
 * switch to a new incoming snapshot are serialized on one lock.
 *
 * <p>Forces go through a {@link FileIo} ({@link FileIo#forceFile} for the data, {@link FileIo#syncDirectory} for
 * the directory), so tests can inject their failures.
 */
public final class FileSnapshotStore implements SnapshotStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotStore.class);
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})-(\\d{1,19})\\.snap");
    static final String TMP_SUFFIX = ".tmp";
    private static final int BUFFER = 64 << 10;
    private static final Comparator<Named> NEWEST_FIRST =
            Comparator.comparingLong(Named::index).thenComparingLong(Named::term).reversed();

    private final Path dir;
    private final FileIo io;
    private final Object lock = new Object();
    /** Headers already read, by file name; published files are immutable, publication replaces the entry. */
    private final Map<String, SnapshotMeta> headers = new ConcurrentHashMap<>();
    private FileIncoming incoming; // guarded by lock
    /** Names of files found damaged (by {@link #latestValid} or {@link #list}); {@link #retain} deletes them. */
    private final Set<String> damaged = ConcurrentHashMap.newKeySet();

    private FileSnapshotStore(Path dir, FileIo io) {
        this.dir = dir;
        this.io = io;
    }

    /** {@link #open(Path, FileIo)} with plain NIO ({@link FileIo#standard()}). */
    public static FileSnapshotStore open(Path dir) throws IOException {
        return open(dir, FileIo.standard());
    }

    /**
     * Opens the store in {@code dir}, creating the directory (and durably recording it in its parent) if needed,
     * and deleting the {@code .tmp} files an earlier run left.
     *
     * @param io how files and the directory are forced
     * @throws IOException if the directory cannot be created or cleaned
     */
    public static FileSnapshotStore open(Path dir, FileIo io) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(io, "io");
        try {
            Deque<Path> created = new ArrayDeque<>();
            for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
                created.push(p);
            }
            Files.createDirectories(dir);
            for (Path p : created) { // top down: each new directory's entry made durable in its parent
                io.syncDirectory(p.getParent());
            }
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, "*" + TMP_SUFFIX)) {
                for (Path tmp : leftovers) {
                    Files.deleteIfExists(tmp);
                    LOG.info("deleted {}, a snapshot left unfinished by an earlier run", tmp);
                }
            }
        } catch (IOException e) {
            throw new IOException("cannot open the snapshot store in " + dir + ": " + e, e);
        }
        return new FileSnapshotStore(dir, io);
    }

    /** The directory of this store. */
    public Path directory() {
        return dir;
    }

    /** The file name of the snapshot at ({@code index}, {@code term}). */
    public static String fileName(long index, long term) {
        return String.format("snapshot-%020d-%d.snap", index, term);
    }

    /** The file of the snapshot at ({@code index}, {@code term}) in this store, whether held or not. */
    public Path file(long index, long term) {
        return dir.resolve(fileName(index, term));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Which snapshots are held and their order come from the file names; the configuration of each is read from
     * its header (once; remembered afterwards). A file whose header cannot be read is left out here;
     * {@link #latestValid()} reports it.
     *
     * @throws StorageException if the directory cannot be read
     */
    @Override
    public List<SnapshotMeta> list() {
        List<SnapshotMeta> metas = new ArrayList<>();
        for (Named f : files()) {
            String name = f.path().getFileName().toString();
            SnapshotMeta meta = headers.get(name);
            if (meta == null) {
                try {
                    meta = readHeader(f);
                } catch (NoSuchFileException gone) {
                    continue; // deleted meanwhile
                } catch (SnapshotCorruptException e) {
                    damaged.add(name);
                    LOG.debug("not listing {}: {}", f.path(), e.getMessage());
                    continue;
                } catch (IOException e) {
                    throw new StorageException("cannot read snapshot " + f.path() + ": " + e, e);
                }
                headers.putIfAbsent(name, meta);
            }
            metas.add(meta);
        }
        return metas;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads every candidate whole, newest first, and logs a WARN line for each one skipped.
     *
     * @throws StorageException if a file cannot be read for another reason than its content
     */
    @Override
    public Optional<SnapshotMeta> latestValid() {
        Set<Path> reported = new HashSet<>();
        for (int attempt = 1; ; attempt++) {
            boolean vanished = false;
            List<Named> candidates = files();
            for (int i = 0; i < candidates.size(); i++) {
                Named f = candidates.get(i);
                try {
                    SnapshotMeta meta = verifyFile(f);
                    headers.put(f.path().getFileName().toString(), meta);
                    return Optional.of(meta);
                } catch (SnapshotCorruptException e) {
                    damaged.add(f.path().getFileName().toString());
                    if (reported.add(f.path())) {
                        LOG.warn("{}; {}", e.getMessage(),
                                i + 1 < candidates.size() ? "trying an older one" : "no older snapshot left");
                    }
                } catch (NoSuchFileException gone) {
                    vanished = true; // retain or delete ran meanwhile
                } catch (IOException e) {
                    throw new StorageException("cannot read snapshot " + f.path() + ": " + e, e);
                }
            }
            if (!vanished || attempt == 10) {
                return Optional.empty();
            }
            // a snapshot was deleted while we looked: a newer one may have been published; look again
        }
    }

    @Override
    public Sink create(SnapshotMeta meta) throws IOException {
        Objects.requireNonNull(meta, "meta");
        Path tmp = Files.createTempFile(dir, fileName(meta.index(), meta.term()) + ".", TMP_SUFFIX);
        try {
            return new FileSink(meta, tmp);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    @Override
    public InputStream openState(SnapshotMeta meta) throws IOException {
        Path path = file(meta.index(), meta.term());
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        InputStream state;
        try {
            state = SnapshotFormat.stateStream(new BufferedInputStream(Channels.newInputStream(ch), BUFFER),
                    ch.size(), path.toString());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        SnapshotMeta header = SnapshotFormat.headerOf(state).meta();
        if (header.index() != meta.index() || header.term() != meta.term()) {
            state.close();
            throw SnapshotFormat.corrupt(path.toString(), mismatch(header, meta.index(), meta.term()));
        }
        return state;
    }

    @Override
    public long size(SnapshotMeta meta) throws IOException {
        return Files.size(file(meta.index(), meta.term()));
    }

    @Override
    public byte[] read(SnapshotMeta meta, long offset, int maxBytes) throws IOException {
        if (offset < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("offset and maxBytes must not be negative: " + offset + ", " + maxBytes);
        }
        Path path = file(meta.index(), meta.term());
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset > size) {
                throw new IllegalArgumentException("offset " + offset + " is past the end of " + path + " (" + size
                        + " bytes)");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(maxBytes, size - offset));
            long position = offset;
            while (buffer.hasRemaining()) {
                int n = ch.read(buffer, position);
                if (n < 0) {
                    break;
                }
                position += n;
            }
            return buffer.hasRemaining() ? Arrays.copyOf(buffer.array(), buffer.position()) : buffer.array();
        }
    }

    /** {@inheritDoc} The chunks go straight to a {@code .tmp} file, each written where the previous one ended. */
    @Override
    public Incoming receive(long index, long term) throws IOException {
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException("a snapshot covers index >= 1 in term >= 1: " + index + "/" + term);
        }
        Path tmp = Files.createTempFile(dir, fileName(index, term) + ".", TMP_SUFFIX);
        FileIncoming next;
        try {
            next = new FileIncoming(index, term, tmp);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        FileIncoming previous;
        synchronized (lock) {
            previous = incoming;
            incoming = next;
        }
        if (previous != null) {
            previous.close(); // outside the lock: close takes the incoming's monitor, which complete holds first
        }
        return next;
    }

    @Override
    public void retain(int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one snapshot: " + keep);
        }
        synchronized (lock) {
            boolean deleted = false;
            int kept = 0;
            for (Named f : files()) {
                // A file found damaged is no backup: it is deleted and does not count, so an intact older one stays.
                if (!damaged.contains(f.path().getFileName().toString()) && kept < keep) {
                    kept++;
                } else {
                    deleted |= deleteFile(f.path());
                }
            }
            if (deleted) {
                io.syncDirectory(dir);
            }
        }
    }

    @Override
    public void delete(SnapshotMeta meta) throws IOException {
        synchronized (lock) {
            if (deleteFile(file(meta.index(), meta.term()))) {
                io.syncDirectory(dir);
            }
        }
    }

    @Override
    public String toString() {
        return "FileSnapshotStore[" + dir + "]";
    }

    private boolean deleteFile(Path path) throws IOException {
        headers.remove(path.getFileName().toString());
        boolean deleted = Files.deleteIfExists(path);
        damaged.remove(path.getFileName().toString());
        if (deleted) {
            LOG.debug("deleted snapshot {}", path);
        }
        return deleted;
    }

    /** The snapshot files in the directory, newest first, from their names only. */
    private List<Named> files() {
        List<Named> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "snapshot-*.snap")) {
            for (Path p : entries) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    try {
                        files.add(new Named(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), p));
                    } catch (NumberFormatException tooLarge) {
                        LOG.warn("ignoring {}: its index or term does not fit a long", p);
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageException("cannot list snapshots in " + dir + ": " + e, e);
        }
        files.sort(NEWEST_FIRST);
        return files;
    }

    private SnapshotMeta readHeader(Named f) throws IOException {
        try (FileChannel ch = FileChannel.open(f.path(), StandardOpenOption.READ)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 4096));
            SnapshotMeta meta = SnapshotFormat.readHeader(in, ch.size(), f.path().toString()).meta();
            checkName(f, meta);
            return meta;
        }
    }

    private SnapshotMeta verifyFile(Named f) throws IOException {
        FileChannel ch = FileChannel.open(f.path(), StandardOpenOption.READ);
        SnapshotMeta meta = SnapshotFormat.verify(new BufferedInputStream(Channels.newInputStream(ch), BUFFER),
                ch.size(), f.path().toString()); // closes ch
        checkName(f, meta);
        return meta;
    }

    private static void checkName(Named f, SnapshotMeta meta) throws SnapshotCorruptException {
        if (meta.index() != f.index() || meta.term() != f.term()) {
            throw SnapshotFormat.corrupt(f.path().toString(), mismatch(meta, f.index(), f.term()) + " of its name");
        }
    }

    private static String mismatch(SnapshotMeta header, long index, long term) {
        return "its header is for index " + header.index() + " term " + header.term() + ", not index " + index
                + " term " + term;
    }

    /**
     * Makes a finished, forced {@code .tmp} file the snapshot {@code meta}: atomic rename, directory fsync. If the
     * directory fsync fails, the file is removed again, so a failed publication is never visible. Other files at
     * the same index (another term) are deleted afterwards.
     */
    private void publish(Path tmp, SnapshotMeta meta) throws IOException {
        Path target = file(meta.index(), meta.term());
        String name = target.getFileName().toString();
        synchronized (lock) {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            try {
                io.syncDirectory(dir);
            } catch (IOException e) {
                headers.remove(name);
                try {
                    Files.deleteIfExists(target);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw new IOException("snapshot " + target + " was renamed into place, but the directory fsync "
                        + "failed; it was removed again: " + e, e);
            }
            headers.put(name, meta);
            damaged.remove(name); // a new file under the name of a damaged one
            try {
                boolean replaced = false;
                for (Named f : files()) {
                    if (f.index() == meta.index() && f.term() != meta.term()) {
                        replaced |= deleteFile(f.path());
                    }
                }
                if (replaced) {
                    io.syncDirectory(dir);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("snapshot {} is in place, but removing the one it replaces at the same index failed: {}",
                        target, e.toString());
            }
        }
        LOG.debug("snapshot {} is in place", target);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += ch.write(buffer, position);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // dropping the file anyway
        }
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}; it goes when the store is next opened", tmp, e.toString());
        }
    }

    /** A snapshot file found by its name. */
    private record Named(long index, long term, Path path) {
    }

    private enum State { OPEN, DONE, DROPPED }

    /** A local snapshot being written into a {@code .tmp} file: header, then the state as it is streamed. */
    private final class FileSink extends SinkBase {
        private final Path tmp;
        private final FileChannel ch;
        private final int headerBytes;
        private final OutputStream buffered;

        FileSink(SnapshotMeta meta, Path tmp) throws IOException {
            super(meta);
            this.tmp = tmp;
            this.ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                byte[] header = SnapshotFormat.header(meta, 0); // the state length is filled in by commit
                headerBytes = header.length;
                buffered = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER);
                buffered.write(header);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        @Override
        protected OutputStream target() {
            return buffered;
        }

        /**
         * The header's state length is only known now, so the file is read back once to compute the CRC32C; then it
         * is forced, renamed into place, and the directory is forced.
         */
        @Override
        protected void publish() throws IOException {
            buffered.flush();
            long end = ch.position();
            ByteBuffer length = ByteBuffer.allocate(SnapshotFormat.STATE_LENGTH_BYTES);
            length.putLong(0, end - headerBytes);
            writeFully(ch, length, headerBytes - SnapshotFormat.STATE_LENGTH_BYTES);
            ByteBuffer crc = ByteBuffer.allocate(SnapshotFormat.TRAILER_BYTES);
            crc.putInt(0, crcOf(ch, end));
            writeFully(ch, crc, end);
            ch.close();
            io.forceFile(tmp);
            FileSnapshotStore.this.publish(tmp, meta);
        }

        @Override
        protected void discard() {
            closeQuietly(ch);
            deleteQuietly(tmp);
        }

        private int crcOf(FileChannel channel, long length) throws IOException {
            CRC32C crc = new CRC32C();
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
            long position = 0;
            while (position < length) {
                buffer.clear().limit((int) Math.min(BUFFER, length - position));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw new IOException(tmp + " is shorter than what was written to it");
                }
                position += n;
                crc.update(buffer.flip());
            }
            return (int) crc.getValue();
        }
    }

    /** A snapshot arriving in chunks into a {@code .tmp} file. */
    private final class FileIncoming implements Incoming {
        private final long index;
        private final long term;
        private final Path tmp;
        private final FileChannel ch;
        private long received;            // guarded by this
        private State state = State.OPEN; // guarded by this

        FileIncoming(long index, long term, Path tmp) throws IOException {
            this.index = index;
            this.term = term;
            this.tmp = tmp;
            this.ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
        }

        @Override
        public long index() {
            return index;
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public synchronized long received() {
            return received;
        }

        @Override
        public synchronized void write(long offset, byte[] chunk) throws IOException {
            Objects.requireNonNull(chunk, "chunk");
            checkOpen();
            if (offset != received) {
                throw new IllegalArgumentException("chunk of the snapshot at index " + index + " term " + term
                        + " starts at offset " + offset + ", expected " + received);
            }
            // positional: after a failed write, the same chunk can be written again at the same offset
            writeFully(ch, ByteBuffer.wrap(chunk), offset);
            received += chunk.length;
        }

        @Override
        public synchronized SnapshotMeta complete() throws IOException {
            checkOpen();
            state = State.DONE;
            String what = "received for index " + index + " term " + term + " (" + tmp + ")";
            try {
                ch.truncate(received); // drop what a failed write may have left past the last chunk
                ch.close();
                SnapshotMeta meta = SnapshotFormat.verify(new BufferedInputStream(Files.newInputStream(tmp), BUFFER),
                        received, what);
                if (meta.index() != index || meta.term() != term) {
                    throw SnapshotFormat.corrupt(what, mismatch(meta, index, term));
                }
                io.forceFile(tmp);
                publish(tmp, meta);
                return meta;
            } catch (IOException | RuntimeException e) {
                state = State.DROPPED;
                closeQuietly(ch);
                deleteQuietly(tmp);
                throw e;
            } finally {
                forget();
            }
        }

        @Override
        public synchronized void close() {
            if (state == State.OPEN) {
                state = State.DROPPED;
                closeQuietly(ch);
                deleteQuietly(tmp);
                forget();
            }
        }

        private void checkOpen() {
            if (state != State.OPEN) {
                throw new IllegalStateException("the snapshot at index " + index + " term " + term
                        + " being received was already completed or dropped (a newer receive drops it)");
            }
        }

        private void forget() {
            synchronized (lock) {
                if (incoming == this) {
                    incoming = null;
                }
            }
        }
    }
}
