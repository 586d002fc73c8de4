package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.GroupStatus;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.protocol.ProtocolConfig;
import io.raftex.core.transport.Transport;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.RejectedExecutionException;

/**
 * One {@link GroupRuntime} of a three-member group ("n1" here; "n2" and "n3" are played by the test), on an executor
 * and a clock the test drives by hand: nothing runs until the test says so, so a test can stop between any two tasks
 * and inspect exactly what was sent. The state machine is a {@link ListMachine}; the store is an
 * {@link InMemoryStorageProvider} that outlives the runtime, so a test can start a second incarnation on it.
 */
final class ManualGroup {

    static final String G = "g";
    static final MemberId N1 = MemberId.of("n1");
    static final MemberId N2 = MemberId.of("n2");
    static final MemberId N3 = MemberId.of("n3");
    static final ClusterConfig THREE = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
            Member.voter("n3", "a3")));
    static final long TICK_MILLIS = 10;

    /** Tasks and a timer, run only when the test asks. */
    static final class Executor implements GroupExecutor {
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        private final List<Runnable> timers = new ArrayList<>();
        private boolean shutdown;
        private boolean running;

        @Override
        public void execute(Runnable task) {
            if (shutdown) {
                throw new RejectedExecutionException("shut down");
            }
            tasks.add(task);
        }

        @Override
        public Timer scheduleAtFixedRate(Runnable task, long periodMillis) {
            timers.add(task);
            return () -> timers.remove(task);
        }

        @Override
        public boolean inExecutor() {
            return running;
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public boolean awaitTermination(long millis) {
            runAll();
            return true;
        }

        @Override
        public void shutdownNow() {
            shutdown = true;
            tasks.clear();
        }

        /** Runs the oldest queued task; false if there was none. */
        boolean runOne() {
            Runnable task = tasks.poll();
            if (task == null) {
                return false;
            }
            running = true;
            try {
                task.run();
            } finally {
                running = false;
            }
            return true;
        }

        /** Runs queued tasks, and those they queue, until none is left. */
        void runAll() {
            while (runOne()) {
                // keep going
            }
        }

        int queued() {
            return tasks.size();
        }

        /** One timer tick: queues each timer's task, as a scheduled executor does. */
        void tick() {
            if (!shutdown) {
                tasks.addAll(timers);
            }
        }
    }

    /** Keeps what the runtime sends. */
    static final class Outbox implements Transport {
        final List<RaftMessage> sent = new ArrayList<>();

        @Override
        public void start(InboundHandler inbound) {
        }

        @Override
        public void send(Member to, RaftMessage message) {
            sent.add(message);
        }

        @Override
        public void close() {
        }

        <T extends RaftMessage> List<T> take(Class<T> type) {
            List<T> out = new ArrayList<>();
            sent.removeIf(m -> {
                if (type.isInstance(m)) {
                    out.add(type.cast(m));
                    return true;
                }
                return false;
            });
            return out;
        }
    }

    final InMemoryStorageProvider disk;
    final Random seeds;
    final Outbox outbox = new Outbox();
    Executor executor;
    long nowMillis = 1_000;
    GroupRuntime<String, Integer> runtime;
    ListMachine machine;

    ManualGroup(long seed) {
        this(new InMemoryStorageProvider(), new Random(seed));
    }

    private ManualGroup(InMemoryStorageProvider disk, Random seeds) {
        this.disk = disk;
        this.seeds = seeds;
        start();
    }

    /** Starts a new incarnation of n1 on the same store (after {@link #close()}). */
    void start() {
        startQueued();
        executor.runAll();
    }

    /** Creates a new incarnation of n1 and queues its start, without running it. */
    java.util.concurrent.CompletableFuture<Void> startQueued() {
        executor = new Executor();
        machine = new ListMachine();
        Executor mine = executor;
        GroupEnvironment env = new GroupEnvironment((node, group) -> mine, () -> nowMillis * 1_000_000L,
                () -> nowMillis, seeds::nextLong);
        RuntimeSettings settings = new RuntimeSettings("n1", ProtocolConfig.defaults().withTiming(10, 2),
                Duration.ofMillis(TICK_MILLIS), Duration.ofSeconds(5), Duration.ofSeconds(5), 100, Runnable::run);
        runtime = new GroupRuntime<>(G, THREE, machine, ListMachine.COMMANDS, ListMachine.RESULTS, settings, outbox,
                disk, env);
        return runtime.startAsync();
    }

    void close() {
        runtime.close();
    }

    /** Advances the clock by one tick and runs what it queues. */
    void tick() {
        nowMillis += TICK_MILLIS;
        executor.tick();
        executor.runAll();
    }

    /** Delivers a message to n1 and runs what follows. */
    void deliver(RaftMessage m) {
        runtime.receive(m);
        executor.runAll();
    }

    /** Ticks until n1 stands for pre-vote, then grants it pre-vote and vote from n2: n1 leads the next term. */
    void electN1() {
        for (int i = 0; i < 100 && outbox.take(PreVoteRequest.class).isEmpty(); i++) {
            tick();
        }
        long term = status().term() + 1;
        deliver(new PreVoteResponse(G, N2, N1, term, true));
        deliver(new VoteResponse(G, N2, N1, term, true));
        if (status().role() != io.raftex.core.Role.LEADER) {
            throw new AssertionError("n1 did not become leader: " + status());
        }
    }

    /** The runtime's status, asked for through its executor as another thread would. */
    GroupStatus status() {
        java.util.concurrent.CompletableFuture<GroupStatus> status = runtime.statusAsync();
        executor.runAll();
        return status.join();
    }

    /** Makes n1 a follower of {@code leader} in {@code term} with an empty heartbeat carrying {@code commit}. */
    void heartbeatFrom(MemberId leader, long term, long prevIndex, long prevTerm, long commit) {
        deliver(new AppendEntriesRequest(G, leader, N1, term, prevIndex, prevTerm, List.of(), commit, 0));
    }
}
