package io.raftex.core.runtime;

import io.raftex.core.log.FileIo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A disk that loses writes that were never forced, for the WAL files of one node (everything {@link FileIo} covers:
 * the WAL files, the directory syncs and the forces that seal MapDB files; MapDB's own writes do not go through it).
 *
 * <p>It remembers, per file, the length it had when it was last forced ({@code force(true)} and {@code force(false)}
 * both count: the WAL only writes record data, never metadata it depends on, besides the directory entries, which
 * {@link #syncDirectory} covers). {@link #crash} then models the moment power is cut:
 * <ol>
 *   <li>every later operation on this node's files throws (write, force, size, open, directory sync), so the WAL
 *       writer fails and the node's storage stops (fail-stop);</li>
 *   <li>each file is cut back to its last forced length;</li>
 *   <li>with {@code torn}, the file that was being written keeps a random prefix of its unforced bytes (writes reach
 *       the platter in order, but not all of them) followed by a few random bytes: a torn last record. Only the file
 *       being written gets this; earlier files were forced whole before the WAL moved on.</li>
 * </ol>
 *
 * <p>Writes, forces and the crash are serialized on one lock, so a write cannot slip in between the crash flag and
 * the truncation, and a force that returned before the crash is really kept.
 */
final class CrashableFileIo implements FileIo {

    /** What one crash did to one file. */
    record Damage(Path file, long forcedLength, long lengthBefore, long keptUnforced, int garbage) {
    }

    private final FileIo real = FileIo.standard();
    private final Random random;
    private final Object lock = new Object();
    private final Map<Path, Tracked> files = new LinkedHashMap<>(); // guarded by lock
    private final List<Damage> damage = new ArrayList<>();          // guarded by lock
    private Path lastOpened;                                          // guarded by lock
    private volatile boolean crashed;
    private volatile Boolean crashAfterNextWrite; // null: not armed; else torn or not

    private static final class Tracked {
        long forced;

        Tracked(long forced) {
            this.forced = forced;
        }
    }

    CrashableFileIo(Random random) {
        this.random = random;
    }

    boolean crashed() {
        return crashed;
    }

    /** What the crash did (empty before it). */
    List<Damage> damage() {
        synchronized (lock) {
            return List.copyOf(damage);
        }
    }

    private void checkAlive(Path file) throws IOException {
        if (crashed) {
            throw new IOException("injected: the disk of " + file + " is gone (node crashed)");
        }
    }

    @Override
    public WalFile openForAppend(Path file) throws IOException {
        synchronized (lock) {
            checkAlive(file);
            WalFile f = real.openForAppend(file);
            // what is there already was synced by recovery (or is empty); treat it as forced
            files.put(file, new Tracked(f.size()));
            lastOpened = file;
            return new WalFile() {
                @Override
                public void write(ByteBuffer buffer) throws IOException {
                    synchronized (lock) {
                        checkAlive(file);
                        f.write(buffer);
                        Boolean armed = crashAfterNextWrite;
                        if (armed != null) {
                            // the power goes after the bytes reached the page cache, before the force
                            crashLocked(armed);
                            throw new IOException("injected: the disk of " + file + " died mid-write");
                        }
                    }
                }

                @Override
                public void force(boolean metadata) throws IOException {
                    synchronized (lock) {
                        checkAlive(file);
                        f.force(metadata);
                        files.get(file).forced = f.size();
                    }
                }

                @Override
                public long size() throws IOException {
                    synchronized (lock) {
                        checkAlive(file);
                        return f.size();
                    }
                }

                @Override
                public void close() throws IOException {
                    // releases the descriptor also after a crash, so the directory can be opened again in this JVM
                    f.close();
                }
            };
        }
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        checkAlive(dir);
        real.syncDirectory(dir);
    }

    /** A MapDB file (segment or state) made durable before it is renamed into place; refused once crashed. */
    @Override
    public void forceFile(Path file) throws IOException {
        checkAlive(file);
        real.forceFile(file);
    }

    /**
     * Cuts the power: every later operation throws, every file loses what was not forced; with {@code torn} the file
     * being written keeps a random part of its unforced tail plus a few garbage bytes.
     */
    void crash(boolean torn) {
        synchronized (lock) {
            crashLocked(torn);
        }
    }

    /**
     * Arms a crash for the next WAL write: its bytes are written (not forced), then the disk crashes as in
     * {@link #crash}, so the file being written has an unforced tail, which the crash then tears.
     */
    void crashAfterNextWrite(boolean torn) {
        crashAfterNextWrite = torn;
    }

    /** The crash itself; the caller holds the lock. */
    private void crashLocked(boolean torn) {
        if (crashed) {
            return;
        }
        crashed = true;
        for (Map.Entry<Path, Tracked> e : files.entrySet()) {
            Path file = e.getKey();
            long forced = e.getValue().forced;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long before = ch.size();
                long keep = 0;
                int garbage = 0;
                if (torn && file.equals(lastOpened)) {
                    long unforced = before - forced;
                    keep = unforced > 0 ? (long) (random.nextDouble() * unforced) : 0;
                    garbage = 1 + random.nextInt(48);
                }
                ch.truncate(forced + keep);
                if (garbage > 0) {
                    byte[] junk = new byte[garbage];
                    random.nextBytes(junk);
                    ByteBuffer b = ByteBuffer.wrap(junk);
                    long at = forced + keep;
                    while (b.hasRemaining()) {
                        at += ch.write(b, at);
                    }
                }
                ch.force(true);
                damage.add(new Damage(file, forced, before, keep, garbage));
            } catch (NoSuchFileException gone) {
                // the WAL deleted it after MapDB took its records: nothing to lose
            } catch (IOException ex) {
                throw new IllegalStateException("could not damage " + file, ex);
            }
        }
    }
}
