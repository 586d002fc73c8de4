package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child process of {@link CrashRecoveryTest}: opens the storage in {@code args[0]}, and on {@code args[1]}
 * threads, one group each, appends forever from where the recovered log ends, printing {@code ACK group index}
 * once an index is reported durable. The parent kills it with SIGKILL at a random moment. With a third argument
 * N it instead halts itself (no shutdown hooks, like a crash) right after the N-th segment seal, before the WAL
 * files it covers are released. With a third argument {@code compact} each thread also compacts its group to 100
 * behind the last entry whenever 300 have gathered, printing {@code COMPACT group index} before the call, and every
 * 1,500 entries resets it to 50 past its last entry, printing {@code RESETTING group index} before the call and
 * {@code RESET group index} once it returned (a reset is durable then).
 */
public final class CrashWriterMain {

    static final PersistentState INITIAL = new PersistentState(0, Optional.empty(),
            ClusterConfig.ofVoters(List.of(Member.voter("n1", "local"))));

    private CrashWriterMain() {
    }

    /** The entry every run writes at this index of this group, so the parent can check content. */
    static LogEntry expected(String group, long index) {
        byte[] payload = (group + ":" + index + ":" + "x".repeat((int) (index % 97))).getBytes(StandardCharsets.UTF_8);
        return new LogEntry(index, 1, EntryType.COMMAND, group.hashCode(), index, index - 1, index, payload);
    }

    /** Small files, chunks and segments so that rolls, segment moves, seals and WAL deletions happen all the time. */
    static StorageOptions options() {
        return StorageOptions.defaults().withSyncMode(SyncMode.DATASYNC).withWalFileBytes(64 << 10)
                .withChunk(16, 8192).withSegmentCommit(256, 2).withSegmentBytes(96 << 10)
                .withMaxUnmovedBytes(8 << 20);
    }

    private static void say(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int groups = Integer.parseInt(args[1]);
        boolean compact = args.length > 2 && args[2].equals("compact");
        int haltAfterCommits = args.length > 2 && !compact ? Integer.parseInt(args[2]) : -1;
        LogStorage storage = LogStorage.open(dir, options());
        if (haltAfterCommits > 0) {
            AtomicInteger commits = new AtomicInteger();
            storage.afterSegmentCommitHook = () -> {
                if (commits.incrementAndGet() == haltAfterCommits) {
                    System.out.println("HALT");
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            };
        }
        List<Thread> threads = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            String group = "g" + g;
            GroupLog log = storage.openGroup(group, INITIAL);
            log.setDurabilityListener(new GroupLog.DurabilityListener() {
                @Override
                public void onDurable(long index, long term, long truncations) {
                    say("ACK " + group + " " + index);
                }

                @Override
                public void onFailure(StorageException failure) {
                    System.out.println("FAIL " + failure);
                    System.out.flush();
                }
            });
            Thread t = new Thread(() -> {
                long next = log.lastIndex() + 1;
                long resetAt = next + 1_500;
                while (true) {
                    int n = 1 + (int) (next % 5);
                    List<LogEntry> batch = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        batch.add(expected(group, next++));
                    }
                    log.append(batch);
                    if (compact && next - 1 - log.snapshotIndex() >= 300) {
                        long at = next - 1 - 100;
                        say("COMPACT " + group + " " + at);
                        log.compact(at, 1);
                    }
                    if (compact && next >= resetAt) {
                        long at = next - 1 + 50;
                        say("RESETTING " + group + " " + at);
                        log.resetTo(at, 1);
                        say("RESET " + group + " " + at);
                        next = at + 1;
                        resetAt = next + 1_500;
                    }
                    if (next % 64 == 0) {
                        Thread.yield();
                    }
                }
            }, "writer-" + group);
            threads.add(t);
        }
        System.out.println("READY");
        System.out.flush();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
    }
}
