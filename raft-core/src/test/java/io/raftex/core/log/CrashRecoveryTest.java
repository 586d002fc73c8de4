package io.raftex.core.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real crashes: a child JVM ({@link CrashWriterMain}) appends to several groups and prints what is acknowledged;
 * it is killed with SIGKILL at random moments (or halts itself between a segment seal and the WAL deletion), and
 * every acknowledged entry must then be found intact, and nothing else than the written content returned.
 */
class CrashRecoveryTest {

    private static final int GROUPS = 3;

    @TempDir
    Path dir;

    @Test
    void killedAtRandomMomentsLosesNothingAcknowledged() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long recovered = 0;
        for (int round = 0; round < 3; round++) {
            Child child = Child.start(dir, GROUPS, null);
            child.startIndexes = recovered;
            // Kill after a random number of acknowledged entries (reports cover whole batches, so count indexes).
            long target = 100 + random.nextInt(4000);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> child.ackedEntries() >= target || !child.process.isAlive());
            child.process.destroyForcibly(); // SIGKILL
            assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            child.drain();
            assertThat(child.failure).as("child failed (seed %d)", seed).isNull();
            recovered = verify(child, "round " + round + ", seed " + seed);
        }
    }

    @Test
    void killedWhileCompactingAndResettingKeepsEveryEntryAfterTheStart() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long recovered = 0;
        Map<String, Long> starts = Map.of();
        for (int round = 0; round < 3; round++) {
            Child child = Child.start(dir, GROUPS, "compact");
            child.startIndexes = recovered;
            child.startBefore.putAll(starts);
            long target = 1_000 + random.nextInt(6_000);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> child.ackedEntries() >= target || !child.process.isAlive());
            child.process.destroyForcibly(); // SIGKILL
            assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            child.drain();
            assertThat(child.failure).as("child failed (seed %d)", seed).isNull();
            assertThat(child.issuedStart).as("round %d compacted (seed %d)", round, seed).isNotEmpty();
            recovered = verify(child, "compacting round " + round + ", seed " + seed);
            starts = Map.copyOf(child.startAfter);
        }
    }

    @Test
    void crashBetweenSegmentSealAndWalDeletion() throws Exception {
        for (int commits : new int[] {1, 6}) {
            Child child = Child.start(dir, GROUPS, String.valueOf(commits));
            assertThat(child.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            child.drain();
            assertThat(child.halted).isTrue();
            verify(child, "halt after commit " + commits);
        }
    }

    /**
     * Checks every group against what was acknowledged: every acknowledged index is there, the log starts no later
     * than the last compaction or reset issued and no earlier than the last reset that returned, and every entry from
     * the start on is the one written. Returns the sum of the recovered last indexes.
     */
    private long verify(Child child, String context) {
        long sum = 0;
        try (LogStorage storage = LogStorage.open(dir, CrashWriterMain.options())) {
            for (int g = 0; g < GROUPS; g++) {
                String group = "g" + g;
                GroupLog log = storage.openGroup(group, CrashWriterMain.INITIAL);
                long ack = child.acked.getOrDefault(group, 0L);
                assertThat(log.lastIndex()).as("%s: %s acknowledged %d", context, group, ack)
                        .isGreaterThanOrEqualTo(ack);
                long issued = Math.max(child.issuedStart.getOrDefault(group, 0L),
                        child.startBefore.getOrDefault(group, 0L));
                assertThat(log.snapshotIndex()).as("%s: %s start, last compaction or reset issued at %d", context,
                        group, issued).isLessThanOrEqualTo(issued);
                long reset = child.durableReset.getOrDefault(group, 0L);
                assertThat(log.snapshotIndex()).as("%s: %s start, a reset to %d returned", context, group, reset)
                        .isGreaterThanOrEqualTo(reset);
                if (log.snapshotIndex() > 0) {
                    assertThat(log.termAt(log.snapshotIndex())).isEqualTo(1);
                }
                child.startAfter.put(group, log.snapshotIndex());
                sum += log.lastIndex();
                long i = log.firstIndex();
                while (i <= log.lastIndex()) {
                    for (LogEntry e : log.entries(i, log.lastIndex(), 1 << 20)) {
                        assertThat(e).as("%s: %s entry %d", context, group, e.index())
                                .isEqualTo(CrashWriterMain.expected(group, i));
                        i++;
                    }
                }
            }
        }
        return sum;
    }

    /** A running child and what it has printed. */
    private static final class Child {
        final Process process;
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        /** The highest log start a COMPACT or RESETTING line announced, and the highest RESET that returned. */
        final Map<String, Long> issuedStart = new ConcurrentHashMap<>();
        final Map<String, Long> durableReset = new ConcurrentHashMap<>();
        /** Log starts recovered before this child ran (a later one may only be higher), and after it. */
        final Map<String, Long> startBefore = new ConcurrentHashMap<>();
        final Map<String, Long> startAfter = new ConcurrentHashMap<>();
        volatile long startIndexes;
        final Thread reader;
        volatile String failure;
        volatile boolean halted;

        private Child(Process process) {
            this.process = process;
            this.reader = new Thread(this::read, "crash-child-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** Starts a child; {@code mode} is null, a number of seals to halt after, or {@code compact}. */
        static Child start(Path dir, int groups, String mode) throws IOException {
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java,
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, CrashWriterMain.class.getName(),
                    dir.toString(), String.valueOf(groups)));
            if (mode != null) {
                cmd.add(mode);
            }
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("child-stderr.txt").toFile()));
            return new Child(pb.start());
        }

        long ackedEntries() {
            return acked.values().stream().mapToLong(Long::longValue).sum() - startIndexes;
        }

        void drain() throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(30));
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("ACK ")) {
                        String[] parts = line.split(" ");
                        acked.merge(parts[1], Long.parseLong(parts[2]), Math::max);
                    } else if (line.startsWith("COMPACT ") || line.startsWith("RESETTING ")) {
                        String[] parts = line.split(" ");
                        issuedStart.merge(parts[1], Long.parseLong(parts[2]), Math::max);
                    } else if (line.startsWith("RESET ")) {
                        String[] parts = line.split(" ");
                        durableReset.merge(parts[1], Long.parseLong(parts[2]), Math::max);
                    } else if (line.startsWith("FAIL ")) {
                        failure = line;
                    } else if (line.equals("HALT")) {
                        halted = true;
                    }
                }
            } catch (IOException e) {
                // the child died; what was read is what counts
            }
        }
    }
}
