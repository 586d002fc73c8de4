package io.raftex.core.sim;

import io.raftex.core.ApplyContext;
import io.raftex.core.ClusterConfig;
import io.raftex.core.Codec;
import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.RoleChangeEvent;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.snapshot.InMemorySnapshotStore;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.snapshot.SnapshotStore;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.runtime.GroupEnvironment;
import io.raftex.core.runtime.GroupRuntime;
import io.raftex.core.runtime.StorageProvider;
import io.raftex.core.transport.Transport;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * One simulated member run by the real {@link GroupRuntime} (its command tracker, read tracker, retries, client
 * futures and session table), on the simulator's one thread and virtual clock:
 *
 * <ul>
 *   <li>the group's thread is a {@link SimGroupExecutor} on the shared scheduler; nanoTime is virtual
 *       milliseconds × 1,000,000, wall time a fixed epoch plus virtual milliseconds, seeds come from the scheduler's
 *       random, and client futures complete inline ({@code Runnable::run});</li>
 *   <li>storage is the member's simulated disk ({@link InMemoryGroupLog}) behind a {@link CheckedLog}: a write
 *       becomes durable only when a flush runs after a random delay, and a crash keeps only what was flushed;</li>
 *   <li>the transport hands messages to the {@link SimNetwork}, checking rules 1 and 2 first, and the leader's
 *       commit index on every AppendEntries it sends (rules 2 and 3);</li>
 *   <li>the state machine is a {@link KvMachine} whose applies feed the invariants (state machine safety, at most
 *       once, and the record of every payload that took effect).</li>
 * </ul>
 *
 * <p>Each start is a new incarnation with a new runtime, executor, transport, storage view and state machine;
 * anything of an older incarnation (a flush, a send, a listener call) is ignored.
 */
final class RuntimeNode extends NodeShell<RuntimeCluster> {

    /** Wall-clock milliseconds at virtual time 0 (2026-01-01T00:00:00Z). */
    static final long EPOCH_MILLIS = 1_767_225_600_000L;

    static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    /** The configuration this member's disk started with (a lost disk's replacement starts anew). */
    private ClusterConfig bootstrap;
    /** What a new disk holds before the group opens it (its bootstrap state), for {@link #wipe}. */
    private final PersistentState initial;
    /** The incarnation of the member's disk: made when the disk is, new when it is wiped. */
    long diskIncarnation;
    /** The disks this member lost, by incarnation, as they were when lost. */
    private final java.util.Map<Long, LostDisk> lostDisks = new java.util.HashMap<>();

    private record LostDisk(InMemoryGroupLog disk, long snapshotIndex) {
    }
    /** The member's snapshots: survive crashes (a snapshot is visible only once committed whole). */
    InMemorySnapshotStore snapshotDisk = new InMemorySnapshotStore();
    GroupRuntime<byte[], byte[]> runtime;
    SimGroupExecutor executor;
    Machine machine;
    /** The current incarnation's start completed. */
    boolean started;
    /** Removed from the group and closed for good: never started again. */
    boolean retired;
    /** The current incarnation is being closed. */
    private boolean closing;
    int starts;
    int crashes;
    int closes;
    int wipes;
    private Role role = Role.FOLLOWER;
    private long roleTerm;
    private long leaderCommitTerm = -1;
    private long leaderCommitSeen;
    /** While set, background work (snapshot writes) waits in {@link #heldBackground} until a test releases it. */
    boolean holdBackground;
    final List<Runnable> heldBackground = new ArrayList<>();

    RuntimeNode(MemberId id, RuntimeCluster cluster, InMemoryGroupLog disk, ClusterConfig bootstrap) {
        super(id, cluster, disk);
        this.bootstrap = bootstrap;
        this.initial = disk.state();
        this.diskIncarnation = newIncarnation();
    }

    private long newIncarnation() {
        long n;
        do {
            n = scheduler.random.nextLong();
        } while (n == 0 || n == -1);
        return n;
    }

    /**
     * The member lost its disk (a volume recreated): a member that is down gets an empty disk and empty snapshot
     * store holding only its bootstrap state, with a new incarnation, as a node whose data directory is created anew.
     */
    void wipe() {
        wipe(initial);
    }

    /** As {@link #wipe()}, the new disk starting from {@code bootstrap} (the node's {@code raft.members} now). */
    void wipe(PersistentState bootstrap) {
        if (up) {
            throw new IllegalStateException(id + " must be down to lose its disk");
        }
        wipes++;
        lostDisks.put(diskIncarnation, new LostDisk(disk, durableSnapshotIndex()));
        disk = new InMemoryGroupLog(bootstrap);
        this.bootstrap = bootstrap.configs().get(0).config();
        snapshotDisk = new InMemorySnapshotStore();
        diskIncarnation = newIncarnation();
    }

    @Override
    public long durableSnapshotIndex() {
        return snapshotDisk.list().stream().mapToLong(SnapshotMeta::index).max().orElse(0);
    }

    @Override
    public boolean heldDurably(long incarnation, long index, long term) {
        LostDisk lost = incarnation == diskIncarnation ? null : lostDisks.get(incarnation);
        if (lost != null) {
            return lost.disk().durableTermAt(index) == term || index <= lost.snapshotIndex();
        }
        return disk.durableTermAt(index) == term || index <= durableSnapshotIndex();
    }

    @Override
    public ClusterConfig configAtLogStart() {
        long start = disk.snapshotIndex();
        if (start == 0) {
            return bootstrap;
        }
        return snapshotDisk.list().stream().filter(m -> m.index() == start && m.term() == disk.termAt(start))
                .findFirst().map(SnapshotMeta::config)
                // its snapshot there was deleted (the log may start before the older of the two it keeps): what
                // covers the log's start is committed, so the committed log says it
                .orElseGet(() -> cluster.invariants.committedConfigAt(start, cluster.config));
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts a new incarnation on what the disk holds now. */
    void start() {
        if (up) {
            throw new IllegalStateException(id + " is already up");
        }
        int inc = comeUp();
        starts++;
        started = false;
        role = Role.FOLLOWER;
        roleTerm = 0;
        leaderCommitTerm = -1;
        leaderCommitSeen = 0;
        machine = new Machine(inc);
        SimGroupExecutor exec = new SimGroupExecutor(scheduler);
        executor = exec;
        GroupEnvironment env = new GroupEnvironment((node, group) -> exec,
                () -> scheduler.now() * 1_000_000L,
                () -> EPOCH_MILLIS + scheduler.now(),
                scheduler.random::nextLong,
                // snapshots are written "in the background": later, between other events, unless the node dies first
                task -> {
                    Runnable write = () -> {
                        if (inc == incarnation) {
                            // the snapshot holds applied entries only: what this member applied is committed, no-ops
                            // and configuration entries included (only commands reach the state machine)
                            cluster.invariants.onCommit(this, Long.MAX_VALUE, runtime.metrics().lastApplied(),
                                    OptionalLong.empty());
                            task.run();
                            crashIfSnapshotUnsynced(inc);
                        }
                    };
                    if (holdBackground) {
                        heldBackground.add(write);
                    } else {
                        scheduler.after(scheduler.between(1, 30), write::run);
                    }
                });
        GroupRuntime<byte[], byte[]> r = new GroupRuntime<>(RuntimeCluster.GROUP, cluster.config, machine, BYTES,
                BYTES, cluster.settings(id), new Net(inc), new Storage(inc), env);
        runtime = r;
        r.addListener(new Listener(inc));
        cluster.network.register(id, r::receive);
        r.startAsync().whenComplete((v, failure) -> {
            if (inc != incarnation) {
                return;
            }
            if (failure != null && !closing) {
                // (a close that overtakes the start makes it fail: the start task runs after the executor's shutdown
                // and its timer is refused, as a real ScheduledThreadPoolExecutor refuses it)
                throw cluster.invariants.violation(id + " failed to start its group: " + failure);
            }
            started = true;
        });
    }

    /** Kills the process: its queued tasks and timer never run, unflushed writes are lost, nobody is answered. */
    @Override
    public void crash() {
        if (!up) {
            return;
        }
        crashes++;
        executor.kill();
        down();
    }

    /** Closes the group gracefully ({@link GroupRuntime#close()}): it fails what is pending and closes its store. */
    void close() {
        if (!up) {
            return;
        }
        closes++;
        closing = true;
        try {
            runtime.close(); // runs what is queued, then the stop, inline
        } finally {
            closing = false;
        }
        down();
    }

    private void down() {
        started = false;
        goDown();
    }

    /** Whether clients can talk to this member's runtime: it runs and its start completed. */
    @Override
    boolean serving() {
        return up && started && runtime.isRunning();
    }

    @Override
    View view() {
        GroupMetrics m = runtime.metrics();
        return new View(m.role(), m.term(), m.leaderId().map(MemberId::of), m.commitIndex(), m.lastApplied(),
                m.lastLogIndex());
    }

    GroupMetrics metrics() {
        return runtime.metrics();
    }

    // ------------------------------------------------------------------ crashes at the worst moment

    /**
     * A snapshot just written covers entries the log has not synced (the member applied what it appended but had not
     * made durable): with the cluster's chance, the process dies now, so its restart finds a snapshot beyond its log.
     */
    private void crashIfSnapshotUnsynced(int inc) {
        long newest = durableSnapshotIndex();
        if (inc == incarnation && up && newest > 0 && disk.durableTermAt(newest) < 0
                && cluster.unsyncedCrashChance > 0 && scheduler.chance(cluster.unsyncedCrashChance)) {
            cluster.unsyncedCrashes++;
            crashAndRestartLater();
        }
    }

    /**
     * A truncation dropped a configuration entry (so the member persisted a shorter configuration list at once) and
     * is not synced yet: with the cluster's chance, the process dies before the disk syncs it.
     */
    private void onTruncate(int inc, long fromIndex) {
        if (cluster.unsyncedCrashChance == 0) {
            return;
        }
        boolean dropsConfig = false;
        for (long i = fromIndex; i <= disk.lastIndex() && !dropsConfig; i++) {
            dropsConfig = disk.entry(i).type() == EntryType.CONFIG;
        }
        if (dropsConfig && scheduler.chance(cluster.unsyncedCrashChance)) {
            // after the runtime's current task, before any flush (flushes wait at least 1 ms)
            scheduler.after(0, () -> {
                if (inc == incarnation && up && disk.hasPendingWrites()) {
                    cluster.unsyncedCrashes++;
                    crashAndRestartLater();
                }
            });
        }
    }

    private void crashAndRestartLater() {
        crash();
        cluster.restartLater(cluster.indexOf(id));
    }

    // ------------------------------------------------------------------ checks

    /** The state machine applies the command at {@code index}: everything up to it is committed here. */
    private void onMachineApply(long index) {
        LogEntry entry = disk.entry(index);
        committedUpTo(index, OptionalLong.empty());
        cluster.invariants.onApply(this, entry);
        cluster.invariants.onCommandApplied(this, entry);
    }

    /** A leader's commit index rose since its last AppendEntries of this term: it was counted (rules 2 and 3). */
    private void onLeaderSends(AppendEntriesRequest a) {
        if (role != Role.LEADER || roleTerm != a.term()) {
            return;
        }
        if (leaderCommitTerm != a.term()) {
            leaderCommitTerm = a.term();
            leaderCommitSeen = a.leaderCommit(); // inherited from before the election
        } else if (a.leaderCommit() > leaderCommitSeen) {
            cluster.invariants.onCommit(this, leaderCommitSeen, a.leaderCommit(), OptionalLong.of(a.term()));
            leaderCommitSeen = a.leaderCommit();
        }
    }

    // ------------------------------------------------------------------ disk

    /** The member's disk, as the runtime's storage. */
    private final class Storage implements StorageProvider {
        private final int inc;

        Storage(int inc) {
            this.inc = inc;
        }

        @Override
        public GroupLog open(String group, MemberId self, PersistentState initial) {
            return new CheckedLog(disk, cluster.invariants, RuntimeNode.this, () -> scheduleFlush(inc)) {
                @Override
                public void truncateFrom(long fromIndex) {
                    onTruncate(inc, fromIndex); // looks at the entries before they go
                    super.truncateFrom(fromIndex);
                }
            };
        }

        @Override
        public SnapshotStore snapshots(String group, MemberId self) {
            return snapshotDisk;
        }

        @Override
        public long incarnation() {
            return diskIncarnation;
        }

        @Override
        public void close(String group, GroupLog log) {
            // a graceful close may or may not get its last writes onto the disk
            if (inc == incarnation && scheduler.chance(0.5)) {
                disk.flush();
            }
        }

        @Override
        public void close() {
        }
    }

    // ------------------------------------------------------------------ network

    private final class Net implements Transport {
        private final int inc;

        Net(int inc) {
            this.inc = inc;
        }

        @Override
        public void start(InboundHandler inbound) {
            // the cluster registers the runtime with the network itself
        }

        @Override
        public void send(Member to, RaftMessage message) {
            if (inc != incarnation) {
                return;
            }
            cluster.invariants.beforeSend(RuntimeNode.this, message);
            if (message instanceof AppendEntriesRequest a) {
                onLeaderSends(a);
            } else if (message instanceof InstallSnapshotRequest r && r.offset() == 0) {
                // a snapshot holds applied entries only: what it covers is committed, even where no AppendEntries
                // announced it (a leader of one voter whose only peer gets the snapshot instead)
                cluster.invariants.onCommit(RuntimeNode.this, Long.MAX_VALUE, r.lastIndex(), OptionalLong.empty());
            }
            cluster.network.send(message);
        }

        @Override
        public void close() {
        }
    }

    private final class Listener implements GroupListener {
        private final int inc;

        Listener(int inc) {
            this.inc = inc;
        }

        @Override
        public void onRoleChange(RoleChangeEvent event) {
            if (inc != incarnation) {
                return;
            }
            role = event.newRole();
            roleTerm = event.term();
            cluster.invariants.onRoleChanged(RuntimeNode.this, event.newRole(), event.term());
        }
    }

    // ------------------------------------------------------------------ state machine

    /** The {@link KvMachine} of one incarnation, as the runtime's typed state machine (commands and results are bytes). */
    final class Machine implements StateMachine<byte[], byte[]> {
        private final int inc;
        final KvMachine kv = new KvMachine();
        /** This incarnation's state came from a snapshot at some point (so it did not apply every entry itself). */
        boolean restored;

        Machine(int inc) {
            this.inc = inc;
        }

        @Override
        public byte[] apply(byte[] command, ApplyContext context) {
            if (inc == incarnation) {
                onMachineApply(context.index());
            }
            return kv.apply(command, context);
        }

        /** The value of {@code key}, or null; for queries. */
        String get(String key) {
            return kv.get(key).orElse(null);
        }

        @Override
        public StateSnapshot snapshot() {
            return kv.snapshot();
        }

        @Override
        public void restore(InputStream in) throws IOException {
            kv.restore(in);
            restored = true;
        }
    }

    /** Who the configuration in force on this disk binds, as the last four hex digits of each incarnation. */
    private String bindings() {
        StringBuilder b = new StringBuilder();
        for (Member m : Invariants.configInForce(this).members()) {
            b.append(b.length() == 0 ? "" : ",").append(m.id()).append(':')
                    .append(m.membership().name().charAt(0)).append(Long.toHexString(m.incarnation() & 0xffff));
        }
        return b.toString();
    }

    @Override
    public String toString() {
        if (!up) {
            return id + (retired ? "[retired]" : "[down]");
        }
        GroupMetrics m = runtime.metrics();
        return id + "[" + m.role() + " t" + m.term() + " commit=" + m.commitIndex() + " applied=" + m.lastApplied()
                + " last=" + m.lastLogIndex() + " leader=" + m.leaderId().orElse("-") + (started ? "" : " starting")
                + (runtime.isRunning() ? "" : " STOPPED") + " voters=" + Invariants.configInForce(this).voters()
                + " disk=" + Long.toHexString(diskIncarnation & 0xffff) + " binds=" + bindings() + "]";
    }
}
