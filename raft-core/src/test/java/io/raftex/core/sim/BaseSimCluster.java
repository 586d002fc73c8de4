package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.Role;
import io.raftex.core.protocol.ProtocolConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * What both simulator modes share: the seeded scheduler, the network, the invariants, the members n1..nN (all
 * voters) and their protocol timing, running virtual time, the leader and convergence, and the faults that act on
 * members alone. Subclasses create and start the members.
 *
 * @param <N> the kind of member: the simulator's own shell or the real runtime
 */
abstract class BaseSimCluster<N extends NodeShell<?>> implements SimulatedCluster {

    static final String GROUP = "sim";
    /** Election timeout 20 ticks of 10 ms (200-400 ms), heartbeat every 5 ticks (50 ms). */
    static final ProtocolConfig PROTOCOL = ProtocolConfig.defaults().withTiming(20, 5).withLimits(64, 64 * 1024, 4);

    final long seed;
    final SimScheduler scheduler;
    final SimNetwork network;
    final Invariants invariants;
    /** The members n1..nN, every one a voter. */
    final ClusterConfig config;
    final List<N> nodes = new ArrayList<>();
    final List<MemberId> ids = new ArrayList<>();
    final ProtocolConfig protocolConfig;
    final int tickMillis = 10;
    int diskMaxDelay = 3;

    BaseSimCluster(int size, long seed, ProtocolConfig protocolConfig) {
        this.seed = seed;
        this.protocolConfig = protocolConfig;
        this.scheduler = new SimScheduler(seed);
        this.network = new SimNetwork(scheduler);
        this.invariants = new Invariants(this);
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            MemberId id = MemberId.of("n" + i);
            ids.add(id);
            members.add(new Member(id, "sim://" + id, Membership.VOTER));
        }
        this.config = new ClusterConfig(members);
    }

    N node(int i) {
        return nodes.get(i);
    }

    // ------------------------------------------------------------------ time

    /** Called after every event; throws if the mode finds something wrong that the event did not throw itself. */
    protected void afterEvent() {
    }

    /** Runs every event of the next {@code millis} ms, checking after each, then moves the clock to its end. */
    void runFor(long millis) {
        long until = scheduler.now() + millis;
        runUntil(() -> false, millis);
        scheduler.runUntil(until); // only moves the clock: no event is left before it
    }

    /** Runs until the condition holds, checking after every event; false if {@code maxMillis} passes first. */
    boolean runUntil(BooleanSupplier condition, long maxMillis) {
        long deadline = scheduler.now() + maxMillis;
        while (!condition.getAsBoolean()) {
            if (!scheduler.hasEventBy(deadline) || !scheduler.step()) {
                return condition.getAsBoolean();
            }
            afterEvent();
        }
        return true;
    }

    /** Waits for a leader of the highest term among live members, and returns it. */
    int awaitLeader(long maxMillis) {
        if (!runUntil(() -> leader().isPresent(), maxMillis)) {
            throw new AssertionError("no leader elected within " + maxMillis + " ms (seed " + seed + ")\n  "
                    + describe());
        }
        return leader().get();
    }

    // ------------------------------------------------------------------ views

    /** The leader of the highest term among the members clients can talk to, if any. */
    @Override
    public Optional<Integer> leader() {
        int best = -1;
        long bestTerm = -1;
        for (int i = 0; i < nodes.size(); i++) {
            N n = nodes.get(i);
            if (!n.serving()) {
                continue;
            }
            NodeShell.View v = n.view();
            if (v.role() == Role.LEADER && v.term() > bestTerm) {
                best = i;
                bestTerm = v.term();
            }
        }
        return best < 0 ? Optional.empty() : Optional.of(best);
    }

    /** The members whose convergence {@link #converged()} waits for, once member {@code leader} leads. */
    abstract List<N> membersLedBy(int leader);

    /**
     * One leader, whose whole log is committed, and every member it leads ({@link #membersLedBy}) is serving, follows
     * it and has applied that log.
     */
    boolean converged() {
        Optional<Integer> leader = leader();
        if (leader.isEmpty()) {
            return false;
        }
        N l = nodes.get(leader.get());
        NodeShell.View lv = l.view();
        if (lv.commitIndex() < lv.lastLogIndex()) {
            return false;
        }
        for (N n : membersLedBy(leader.get())) {
            if (!n.serving()) {
                return false;
            }
            NodeShell.View v = n.view();
            if (v.lastApplied() != lv.commitIndex() || !v.leader().equals(Optional.of(l.id))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long seed() {
        return seed;
    }

    @Override
    public SimScheduler scheduler() {
        return scheduler;
    }

    @Override
    public SimNetwork network() {
        return network;
    }

    @Override
    public Invariants invariants() {
        return invariants;
    }

    @Override
    public List<MemberId> ids() {
        return ids;
    }

    @Override
    public List<N> members() {
        return nodes;
    }

    @Override
    public boolean isUp(int i) {
        return nodes.get(i).isUp();
    }

    @Override
    public void disconnect(int i) {
        network.isolate(ids.get(i), ids);
    }

    void connect(int i) {
        network.reconnect(ids.get(i), ids);
    }

    @Override
    public void healNetwork() {
        network.heal();
    }

    @Override
    public void crash(int i) {
        nodes.get(i).crash();
    }

    @Override
    public String describe() {
        return "seed=" + seed + " t=" + scheduler.now() + "ms "
                + nodes.stream().map(N::toString).collect(Collectors.joining(", "));
    }
}
