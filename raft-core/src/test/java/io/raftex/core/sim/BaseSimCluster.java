package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;

import java.util.ArrayList;
import java.util.List;

/**
 * What both simulator modes share: the seeded scheduler, the network, the invariants, the members n1..nN (all
 * voters) and the faults that act on them alone. Subclasses create and start the members.
 *
 * @param <N> the kind of member: the simulator's own shell or the real runtime
 */
abstract class BaseSimCluster<N extends SimMember> implements SimulatedCluster {

    final long seed;
    final SimScheduler scheduler;
    final SimNetwork network;
    final Invariants invariants;
    /** The members n1..nN, every one a voter. */
    final ClusterConfig config;
    final List<N> nodes = new ArrayList<>();
    final List<MemberId> ids = new ArrayList<>();
    final int tickMillis = 10;
    int diskMaxDelay = 3;

    BaseSimCluster(int size, long seed) {
        this.seed = seed;
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
}
