package io.raftex.core.sim;

import io.raftex.core.MemberId;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Random faults for a simulated cluster, in the shapes of Jepsen's nemeses: isolate one member, isolate the
 * leader, a clean majority/minority split, a bridge, a majorities ring, one-way cuts, crashes with restart, and an
 * unreliable network (loss, duplication, long reordering). {@link #calm()} undoes all of it.
 */
class Nemesis {

    protected final SimulatedCluster cluster;
    protected final SimScheduler s;
    private boolean active;
    int faults;

    Nemesis(SimulatedCluster cluster) {
        this.cluster = cluster;
        this.s = cluster.scheduler();
    }

    void start() {
        active = true;
        schedule();
    }

    private void schedule() {
        s.after(s.between(100, 700), () -> {
            if (active) {
                strike();
                schedule();
            }
        });
    }

    private void strike() {
        faults++;
        List<MemberId> ids = cluster.ids();
        int n = ids.size();
        int extra = extraFaultKinds();
        int kind = s.random.nextInt(10 + extra);
        if (kind >= 10) {
            extraFault(kind - 10);
            return;
        }
        switch (kind) {
            case 0 -> cluster.healNetwork();
            case 1 -> cluster.disconnect(s.random.nextInt(n));
            case 2 -> cluster.leader().ifPresent(cluster::disconnect);
            case 3 -> {
                List<MemberId> shuffled = shuffled(ids);
                cluster.network().split(shuffled.subList(0, n / 2), shuffled.subList(n / 2, n));
            }
            case 4 -> bridge(shuffled(ids));
            case 5 -> ring(shuffled(ids));
            case 6 -> {
                MemberId a = ids.get(s.random.nextInt(n));
                MemberId b = ids.get(s.random.nextInt(n));
                if (!a.equals(b)) {
                    cluster.network().cutOneWay(a, b);
                }
            }
            case 7 -> {
                int victim = s.random.nextInt(n);
                cluster.crash(victim);
                cluster.restartLater(victim);
            }
            case 8 -> {
                if (s.random.nextBoolean()) {
                    cluster.network().unreliable();
                } else {
                    cluster.network().reliable();
                }
            }
            default -> {
                cluster.healNetwork();
                cluster.network().reliable();
            }
        }
    }

    /** How many kinds of fault a subclass adds to the ten above (none here, so a seed's faults stay as they were). */
    protected int extraFaultKinds() {
        return 0;
    }

    /** Strikes the subclass's fault number {@code kind}, from 0. */
    protected void extraFault(int kind) {
        throw new IllegalStateException("no extra faults");
    }

    /** The middle member talks to both halves; the halves cannot talk to each other. */
    private void bridge(List<MemberId> ids) {
        int mid = ids.size() / 2;
        List<MemberId> left = ids.subList(0, mid);
        List<MemberId> right = ids.subList(mid + 1, ids.size());
        cluster.network().split(left, right);
    }

    /** Each member reaches only its neighbours in a ring, so every member sees a different majority. */
    private void ring(List<MemberId> ids) {
        int n = ids.size();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int d = Math.abs(i - j);
                int ringDistance = Math.min(d, n - d);
                if (ringDistance > 1) {
                    cluster.network().cutOneWay(ids.get(i), ids.get(j));
                }
            }
        }
    }

    private List<MemberId> shuffled(List<MemberId> ids) {
        List<MemberId> copy = new ArrayList<>(ids);
        Collections.shuffle(copy, s.random);
        return copy;
    }

    /** Stops new faults, heals the network, makes it reliable and restarts every crashed member. */
    void calm() {
        active = false;
        cluster.healNetwork();
        cluster.network().reliable();
        for (int i = 0; i < cluster.ids().size(); i++) {
            if (!cluster.isUp(i)) {
                cluster.restart(i);
            }
        }
    }
}
