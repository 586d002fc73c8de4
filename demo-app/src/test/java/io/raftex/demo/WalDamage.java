package io.raftex.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Damages the write-ahead log of a stopped node the way a crash or a bad disk would, after the layout in
 * docs/storage.md ("File layout", "Record formats"): WAL files {@code wal-<16 digits>.log}, each a sequence of batches,
 * each batch record frames followed by a batch-commit marker; a frame is {@code magic:i32 ("RFXW") crc32c:i32
 * length:i32 body}, a marker's body starts with kind 3.
 *
 * <ul>
 *   <li>{@link #cutTail}: cuts bytes off the end of the newest WAL file, as a crash in the middle of a write leaves it.
 *       Recovery must take it for a torn tail, cut it back to the last whole batch and start (safety
 *       rule 6 of docs/contracts.md).</li>
 *   <li>{@link #flipByte}: flips one byte of a batch that a later, valid batch follows (in the same file, or in a later
 *       file). Recovery must refuse to start, naming the file and offset: that batch was synced, and may hold
 *       acknowledged entries.</li>
 * </ul>
 * Neither knows entries or groups: it works on frames only, so it stays valid whatever the records hold.
 */
final class WalDamage {

    private static final int MAGIC = 0x52465857;
    private static final int HEADER = 12;
    private static final byte COMMIT = 3;

    /** What was done: to which file, where, and what recovery must do about it. */
    record Damage(String kind, Path file, long offset, long bytes, boolean mustRefuse) {
        @Override
        public String toString() {
            return kind.equals("flipped-byte")
                    ? "flipped the byte at offset " + offset + " of " + file.getFileName() + " (" + bytes
                    + " bytes long; valid batches follow it)"
                    : "cut " + bytes + " bytes off the end of " + file.getFileName() + " (now " + offset + " bytes)";
        }
    }

    private WalDamage() {
    }

    /** The WAL files under {@code dataDir}, oldest first (names sort by sequence number). */
    static List<Path> walFiles(Path dataDir) throws IOException {
        if (!Files.isDirectory(dataDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dataDir)) {
            return s.filter(p -> p.getFileName().toString().matches("wal-\\d{16}\\.log"))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        }
    }

    /** Whether a sealed MapDB segment exists: then the WAL is no longer replayed from its start. */
    static boolean hasSealedSegment(Path dataDir) throws IOException {
        if (!Files.isDirectory(dataDir)) {
            return false;
        }
        try (Stream<Path> s = Files.walk(dataDir)) {
            return s.anyMatch(p -> p.getFileName().toString().matches("seg-\\d+\\.db"));
        }
    }

    /**
     * Cuts between 1 and 4 KiB (at most the whole file) off the newest WAL file; empty if it is empty, because cutting
     * an older file would not be a torn tail.
     */
    static Optional<Damage> cutTail(Path dataDir, Random random) throws IOException {
        List<Path> files = walFiles(dataDir);
        if (files.isEmpty()) {
            return Optional.empty();
        }
        Path newest = files.get(files.size() - 1);
        long size = Files.size(newest);
        if (size == 0) {
            return Optional.empty();
        }
        long cut = 1 + random.nextInt((int) Math.min(size, 4096));
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            ch.truncate(size - cut);
            ch.force(true);
        }
        return Optional.of(new Damage("torn-tail", newest, size - cut, cut, false));
    }

    /**
     * Flips one byte of a batch that valid data follows: in the newest file before the start of its last batch if it
     * has two batches or more, else anywhere in the frames of an older file. Empty if there is no such byte.
     */
    static Optional<Damage> flipByte(Path dataDir, Random random) throws IOException {
        List<Path> files = walFiles(dataDir);
        if (files.isEmpty()) {
            return Optional.empty();
        }
        Path newest = files.get(files.size() - 1);
        List<Long> ends = batchEnds(Files.readAllBytes(newest));
        if (ends.size() >= 2) {
            long lastBatchStart = ends.get(ends.size() - 2);
            return Optional.of(flip(newest, (long) (random.nextDouble() * lastBatchStart)));
        }
        List<Path> older = new ArrayList<>();
        for (Path f : files.subList(0, files.size() - 1)) {
            if (!batchEnds(Files.readAllBytes(f)).isEmpty()) {
                older.add(f);
            }
        }
        if (older.isEmpty()) {
            return Optional.empty();
        }
        Path file = older.get(random.nextInt(older.size()));
        List<Long> fileEnds = batchEnds(Files.readAllBytes(file));
        return Optional.of(flip(file, (long) (random.nextDouble() * fileEnds.get(fileEnds.size() - 1))));
    }

    private static Damage flip(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) ~b.get(0));
            b.rewind();
            ch.write(b, offset);
            ch.force(true);
            return new Damage("flipped-byte", file, offset, ch.size(), true);
        }
    }

    /** The offset just after each batch-commit marker, walking frames from the start until one does not parse. */
    static List<Long> batchEnds(byte[] data) {
        List<Long> ends = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(data);
        int offset = 0;
        while (offset + HEADER < data.length && in.getInt(offset) == MAGIC) {
            int length = in.getInt(offset + 8);
            if (length <= 0 || (long) offset + HEADER + length > data.length) {
                break;
            }
            boolean commit = data[offset + HEADER] == COMMIT;
            offset += HEADER + length;
            if (commit) {
                ends.add((long) offset);
            }
        }
        return ends;
    }
}
