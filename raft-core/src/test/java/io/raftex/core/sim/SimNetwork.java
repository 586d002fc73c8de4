package io.raftex.core.sim;

import io.raftex.core.MemberId;
import io.raftex.core.message.RaftMessage;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An in-memory network between simulated members: per-message delay, loss, duplication and reordering, and
 * directed link cuts from which every partition shape is built (isolate one, majority/minority, bridge,
 * majorities ring, one-way).
 */
final class SimNetwork {

    private final SimScheduler scheduler;
    private final Map<MemberId, Consumer<RaftMessage>> endpoints = new HashMap<>();
    /** Directed cuts: a message from key to any member of the value set is lost. */
    private final Map<MemberId, Set<MemberId>> cut = new HashMap<>();

    double dropRate;
    double duplicateRate;
    int minDelay = 1;
    int maxDelay = 5;
    /** With this probability a message is held back much longer than usual (long reordering). */
    double longDelayRate;
    int longDelayMax = 400;

    long sent;
    long delivered;
    /** AppendEntries answers that rejected the leader's position (a measure of backtracking). */
    long rejections;
    final Map<Class<?>, Long> sentByType = new HashMap<>();

    SimNetwork(SimScheduler scheduler) {
        this.scheduler = scheduler;
    }

    void register(MemberId id, Consumer<RaftMessage> endpoint) {
        endpoints.put(id, endpoint);
    }

    void unregister(MemberId id) {
        endpoints.remove(id);
    }

    void reliable() {
        dropRate = 0;
        duplicateRate = 0;
        longDelayRate = 0;
        minDelay = 1;
        maxDelay = 5;
    }

    void unreliable() {
        dropRate = 0.1;
        duplicateRate = 0.05;
        longDelayRate = 0.02;
        minDelay = 1;
        maxDelay = 27;
    }

    boolean linked(MemberId from, MemberId to) {
        return !cut.getOrDefault(from, Set.of()).contains(to);
    }

    void cutOneWay(MemberId from, MemberId to) {
        cut.computeIfAbsent(from, k -> new HashSet<>()).add(to);
    }

    void cutBoth(MemberId a, MemberId b) {
        cutOneWay(a, b);
        cutOneWay(b, a);
    }

    /** Cuts every link between {@code id} and the others. */
    void isolate(MemberId id, List<MemberId> all) {
        for (MemberId other : all) {
            if (!other.equals(id)) {
                cutBoth(id, other);
            }
        }
    }

    /** Cuts every link between the two sides. */
    void split(List<MemberId> sideA, List<MemberId> sideB) {
        for (MemberId a : sideA) {
            for (MemberId b : sideB) {
                cutBoth(a, b);
            }
        }
    }

    void heal() {
        cut.clear();
    }

    void reconnect(MemberId id, List<MemberId> all) {
        cut.remove(id);
        for (MemberId other : all) {
            Set<MemberId> s = cut.get(other);
            if (s != null) {
                s.remove(id);
            }
        }
    }

    void send(RaftMessage m) {
        sent++;
        sentByType.merge(m.getClass(), 1L, Long::sum);
        if (m instanceof io.raftex.core.message.AppendEntriesResponse a && !a.success()) {
            rejections++;
        }
        if (!linked(m.from(), m.to()) || scheduler.chance(dropRate)) {
            return;
        }
        deliverLater(m);
        if (scheduler.chance(duplicateRate)) {
            deliverLater(m);
        }
    }

    private void deliverLater(RaftMessage m) {
        int delay = scheduler.chance(longDelayRate) ? scheduler.between(maxDelay, longDelayMax)
                : scheduler.between(minDelay, maxDelay);
        scheduler.after(delay, () -> {
            // the link is checked again on arrival so that a partition also stops messages already in flight
            Consumer<RaftMessage> endpoint = endpoints.get(m.to());
            if (endpoint != null && linked(m.from(), m.to())) {
                delivered++;
                endpoint.accept(m);
            }
        });
    }
}
