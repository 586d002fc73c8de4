package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;
import io.raftex.core.log.GroupLog;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.snapshot.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The snapshots of one group's shell (docs/snapshots.md), on the group thread: recovers the state from the newest
 * snapshot that verifies at start; takes one every interval of applied entries (not while one is written, not once
 * the machine refused, not during a {@link SnapshotBackoff} wait), when asked, or for a follower that needs one;
 * captures the state on the group thread and writes it out on the background executor; on completion tells the core,
 * which compacts the log up to the older of the previous snapshot and the new one, keeps the two newest files and
 * answers the requests it covers; and installs a snapshot received from the leader. A snapshot that cannot be taken
 * or written leaves the log whole and backs off; a failure of the store or the core while handling one propagates,
 * so that the shell stops the group.
 *
 * <p>It sees the core, the counters and the other collaborators only through its {@link Host}.
 */
final class Snapshots {

    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);

    /** How many snapshot files are kept: the newest and the one before, which backs it up. */
    static final int RETAINED = 2;

    /** What snapshots need from the shell around them: the core's reports, the group thread, the counters. */
    interface Host {
        long nowMillis();

        long nanoTime();

        /** The configuration in force at {@code index}, which a snapshot up to there records. */
        ClusterConfig configAt(long index);

        /** Queues {@code task} on the group thread (a throw stops the group); false if the group takes no tasks. */
        boolean submit(String what, Runnable task);

        /** The newest snapshot held is now at {@code index}. */
        void newestAt(long index);

        /** A snapshot was written: tell the core, which compacts the log up to {@code compactTo}. */
        void taken(SnapshotMeta meta, long compactTo, long tookNanos);

        /** Taking a snapshot failed; the counts are the back-off's. */
        void failed(long failures, int failuresInARow);

        /** A snapshot taken for {@code to} is written ({@code failure} null) or could not be. */
        void takenFor(MemberId to, Throwable failure);

        /** The state was restored from a leader's snapshot up to {@code index}. */
        void restored(long index, long tookNanos);

        /** The state machine refused a leader's snapshot (which is then deleted). */
        void restoreRefused();

        /** Tells the core how much of the leader's snapshot, of which {@code last} is part, is stored (0: none). */
        void chunkStored(InstallSnapshotRequest last, long received);

        /** The leader's snapshot is held (and restored, if it was ahead of the state): tell the core. */
        void installed(SnapshotMeta meta, MemberId from);
    }

    private final String group;
    private final MemberId self;
    private final SnapshotStore store;
    private final Applier<?, ?> applier;
    private final Answers answers;
    private final Executor background;
    private final long interval;
    private final Host host;
    private final SnapshotBackoff backoff = new SnapshotBackoff();
    /** The newest snapshot held, written here or installed from a leader; null if none. */
    private SnapshotMeta newest;
    private boolean writing;
    /** Requests for a snapshot that the one being written (taken before they came) does not answer. */
    private final List<CompletableFuture<SnapshotMeta>> requests = new ArrayList<>();
    /** Requests the snapshot being written answers. */
    private final List<CompletableFuture<SnapshotMeta>> waiters = new ArrayList<>();

    /**
     * @param interval   applied entries between the snapshots taken by themselves; 0 for none
     * @param background where captures are written out, off the group thread
     */
    Snapshots(String group, MemberId self, SnapshotStore store, Applier<?, ?> applier, Answers answers,
              Executor background, long interval, Host host) {
        this.group = group;
        this.self = self;
        this.store = store;
        this.applier = applier;
        this.answers = answers;
        this.background = background;
        this.interval = interval;
        this.host = host;
    }

    /** The newest snapshot held, or null. */
    SnapshotMeta newest() {
        return newest;
    }

    // ------------------------------------------------------------------ recovery

    /**
     * At start: restores the state machine from the newest snapshot that verifies, and makes the log start where
     * it ends if the log does not hold its last entry. Returns the index restored to (0 if none).
     */
    long recover(GroupLog log) throws IOException {
        Optional<SnapshotMeta> latest = store.latestValid();
        long logStart = log.snapshotIndex();
        if (latest.isPresent() && latest.get().index() >= logStart) {
            SnapshotMeta meta = latest.get();
            if (meta.index() > log.lastIndex() || log.termAt(meta.index()) != meta.term()) {
                LOG.info("[{}@{}] the log does not hold the last entry of snapshot {}/{}: it starts after it",
                        group, self, meta.index(), meta.term());
                log.resetTo(meta.index(), meta.term());
            }
            try (InputStream in = store.openState(meta)) {
                applier.restore(meta.index(), meta.term(), in);
            }
            newest = meta;
            host.newestAt(meta.index());
            return meta.index();
        }
        if (logStart > 0) {
            // the log starts after a snapshot this member no longer has intact: its entries cannot rebuild the
            // state. The log stays (it still counts for votes and acknowledgements: dropping it could lose committed
            // entries); the state machine waits for the leader's snapshot, and this member stands for no election
            LOG.error("[{}@{}] no intact snapshot covers the log, which starts after index {}{}: the state machine"
                            + " waits for the leader's snapshot; this member votes but does not stand for election"
                            + " until then", group, self, logStart,
                    latest.map(m -> " (newest intact snapshot: " + m.index() + ")").orElse(""));
        }
        return 0;
    }

    // ------------------------------------------------------------------ taking

    /** Asks for a snapshot of the state applied now (or later, if one is being written); answered through it. */
    void request(CompletableFuture<SnapshotMeta> future) {
        requests.add(future);
        if (!writing) {
            take();
        }
    }

    /** Takes a snapshot when one interval of entries has been applied since the last. */
    void maybeTake() {
        if (interval > 0 && !writing && !applier.snapshotsRefused() && backoff.mayTry(host.nowMillis())
                && applier.lastApplied() - (newest == null ? 0 : newest.index()) >= interval) {
            take();
        }
    }

    /**
     * Takes a snapshot covering {@code atLeast} for a follower that needs it, and tells the host once it is written
     * (or could not be); false if it cannot (nothing applied that far).
     */
    boolean takeFor(MemberId to, long atLeast) {
        if (applier.lastApplied() < atLeast) {
            return false;
        }
        CompletableFuture<SnapshotMeta> taken = new CompletableFuture<>();
        request(taken);
        taken.whenComplete((meta, failure) -> host.submit("snapshot for " + to, () -> host.takenFor(to, failure)));
        return true;
    }

    /**
     * Captures the state on this thread and writes it out in the background; the requests waiting now are answered
     * by this snapshot.
     */
    private void take() {
        List<CompletableFuture<SnapshotMeta>> answered = new ArrayList<>(requests);
        requests.clear();
        if (newest != null && newest.index() == applier.lastApplied()) {
            SnapshotMeta same = newest;
            answered.forEach(f -> answers.complete(f, same));
            return; // nothing new to capture
        }
        if (applier.lastApplied() == 0) {
            answered.forEach(f -> answers.fail(f, new IllegalStateException("group '" + group
                    + "' has applied nothing yet: there is no state to snapshot")));
            return;
        }
        Applier.Capture capture;
        try {
            capture = applier.capture();
        } catch (RuntimeException e) {
            failed(e);
            answered.forEach(f -> answers.fail(f, e));
            return;
        }
        if (capture == null) {
            LOG.info("[{}@{}] the state machine takes no snapshots: the log is kept whole", group, self);
            answered.forEach(f -> answers.fail(f, new UnsupportedOperationException("the state machine of"
                    + " group '" + group + "' takes no snapshots")));
            return;
        }
        SnapshotMeta meta = new SnapshotMeta(capture.index, capture.term, host.configAt(capture.index));
        writing = true;
        waiters.addAll(answered);
        long started = host.nanoTime();
        try {
            background.execute(() -> write(capture, meta, started));
        } catch (RejectedExecutionException e) {
            capture.release();
            writing = false;
            failWaiters(e);
        }
    }

    /** Off the group thread: writes a capture out, then hands the outcome back to the group thread. */
    private void write(Applier.Capture capture, SnapshotMeta meta, long startedNanos) {
        Throwable failure = null;
        SnapshotMeta written = null;
        try (SnapshotStore.Sink sink = store.create(meta)) {
            capture.writeTo(sink.stream());
            written = sink.commit();
        } catch (Throwable t) {
            failure = t;
        } finally {
            try {
                capture.release();
            } catch (RuntimeException e) {
                LOG.warn("[{}@{}] releasing a snapshot capture failed", group, self, e);
            }
        }
        SnapshotMeta result = written;
        Throwable error = failure;
        if (!host.submit("snapshot written", () -> onWritten(result, error, startedNanos))) {
            LOG.debug("[{}@{}] group stopped while a snapshot was written", group, self);
        }
    }

    private void onWritten(SnapshotMeta meta, Throwable failure, long startedNanos) {
        writing = false;
        if (failure != null) {
            // the log is whole and the state in memory untouched: the group goes on, and tries after a back-off
            failed(failure);
            failWaiters(failure);
        } else {
            // keep the log from the snapshot before this one: if this file turns out damaged, the older one and
            // the log after it still rebuild the state
            long compactTo = newest == null ? 0 : Math.min(newest.index(), meta.index());
            if (newest == null || meta.index() > newest.index()) {
                // never backwards: a leader's newer snapshot may have been installed while this one was written
                newest = meta;
                host.newestAt(meta.index());
            }
            long tookNanos = host.nanoTime() - startedNanos;
            backoff.succeeded();
            LOG.info("[{}@{}] snapshot at {} (term {}) written in {} ms; log kept from {}", group, self,
                    meta.index(), meta.term(), tookNanos / 1_000_000, compactTo + 1);
            host.taken(meta, compactTo, tookNanos);
            retain();
            List<CompletableFuture<SnapshotMeta>> done = new ArrayList<>(waiters);
            waiters.clear();
            done.forEach(f -> answers.complete(f, meta));
        }
        if (!requests.isEmpty()) {
            take();
        } else {
            maybeTake();
        }
    }

    /** One ERROR per back-off step; failures within a step (snapshots asked for meanwhile) at DEBUG. */
    private void failed(Throwable failure) {
        long waitMillis = backoff.failed(host.nowMillis());
        host.failed(backoff.failures(), backoff.failuresInARow());
        if (waitMillis > 0) {
            LOG.error("[{}@{}] taking a snapshot failed ({} in a row; the log is kept whole): {}; next attempt in {}"
                    + " ms", group, self, backoff.failuresInARow(), failure.toString(), waitMillis, failure);
        } else {
            LOG.debug("[{}@{}] taking a snapshot failed again: {}", group, self, failure.toString());
        }
    }

    private void failWaiters(Throwable reason) {
        List<CompletableFuture<SnapshotMeta>> failed = new ArrayList<>(waiters);
        waiters.clear();
        failed.forEach(f -> answers.fail(f, reason));
    }

    /** Keeps the two newest snapshots (the older one backs the newer up); a failure to delete is not fatal. */
    private void retain() {
        try {
            store.retain(RETAINED);
        } catch (IOException | RuntimeException e) {
            LOG.warn("[{}@{}] could not delete old snapshots: {}", group, self, e.toString());
        }
    }

    // ------------------------------------------------------------------ installing

    /**
     * A leader's snapshot is verified and durable: restores the state from it if it is ahead, and tells the core.
     * If the state machine refuses it, it is deleted and the leader asked to send it again.
     *
     * @param last          its last chunk
     * @param startedMillis when its first chunk arrived
     * @throws IOException if the refused snapshot cannot be deleted (the group stops)
     */
    void install(SnapshotMeta meta, InstallSnapshotRequest last, long startedMillis) throws IOException {
        if (meta.index() > applier.lastApplied()) {
            try (InputStream in = store.openState(meta)) {
                applier.restore(meta.index(), meta.term(), in);
            } catch (IOException e) {
                // the state machine refused it and kept its state: nothing changed; drop it and let the leader retry
                LOG.error("[{}@{}] restoring snapshot {} from {} failed: {}", group, self, meta.index(), last.from(),
                        e.toString());
                host.restoreRefused();
                store.delete(meta);
                host.chunkStored(last, 0);
                return;
            }
            long tookNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, host.nowMillis() - startedMillis));
            LOG.info("[{}@{}] installed snapshot {} (term {}) from {}", group, self, meta.index(), meta.term(),
                    last.from());
            host.restored(meta.index(), tookNanos);
        }
        if (newest == null || meta.index() > newest.index()) {
            newest = meta;
            host.newestAt(meta.index());
        }
        retain();
        host.installed(meta, last.from());
    }

    // ------------------------------------------------------------------ stopping

    /** The group stops: every request waiting for a snapshot fails with {@code reason}. */
    void failAll(Throwable reason) {
        for (CompletableFuture<SnapshotMeta> f : requests) {
            answers.fail(f, reason);
        }
        for (CompletableFuture<SnapshotMeta> f : waiters) {
            answers.fail(f, reason);
        }
        requests.clear();
        waiters.clear();
    }
}
