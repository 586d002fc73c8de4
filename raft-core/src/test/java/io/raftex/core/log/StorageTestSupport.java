package io.raftex.core.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/** Helpers shared by the storage tests. */
final class StorageTestSupport {

    private StorageTestSupport() {
    }

    /** Waits until the WAL has written, synced and reported everything submitted. */
    static void awaitWal(LogStorage storage) {
        await().atMost(Duration.ofSeconds(30)).until(() -> storage.wal().isIdle());
    }

    /** Waits until the segment writer has moved everything the WAL reported. */
    static void awaitSegments(LogStorage storage) {
        awaitWal(storage);
        await().atMost(Duration.ofSeconds(30)).until(() -> storage.segmentWriter().isIdle());
    }

    /**
     * What a process killed now would leave on disk: a copy of every file of {@code dataDir} in {@code target}, taken
     * while the storage is open (written but unsynced data is in the page cache, so it survives a kill, as here). The
     * caller makes sure no file is being created or renamed meanwhile (the WAL and segment writer idle).
     */
    static void crashImage(Path dataDir, Path target) {
        try (java.util.stream.Stream<Path> files = Files.walk(dataDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(dataDir.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The WAL files in a data directory, oldest first. */
    static List<Path> walFiles(Path dataDir) {
        try {
            Path walDir = dataDir.resolve("wal");
            return Wal.listFiles(walDir).stream().map(seq -> Wal.fileFor(walDir, seq)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Offsets where each record frame of a WAL file starts (batch-commit markers are skipped). */
    static List<Integer> frameOffsets(Path file) throws IOException {
        byte[] data = Files.readAllBytes(file);
        java.util.ArrayList<Integer> offsets = new java.util.ArrayList<>();
        int at = 0;
        while (at < data.length) {
            if (WalRecord.parseCommit(data, at, data.length) != null) {
                at += WalRecord.COMMIT_FRAME;
            } else if (WalRecord.parse(data, at, data.length) != null) {
                offsets.add(at);
                at += WalRecord.frameLength(data, at);
            } else {
                break;
            }
        }
        return offsets;
    }

    /** Offsets where each batch-commit marker of a WAL file starts. */
    static List<Integer> commitOffsets(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        java.util.ArrayList<Integer> offsets = new java.util.ArrayList<>();
        for (int at = 0; at + WalRecord.COMMIT_FRAME <= data.length; at++) {
            if (WalRecord.parseCommit(data, at, data.length) != null) {
                offsets.add(at);
            }
        }
        return offsets;
    }
}
