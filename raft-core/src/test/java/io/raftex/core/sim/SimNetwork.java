package io.raftex.core.sim;

import io.raftex.core.MemberId;
import io.raftex.core.message.ForwardCommand;
import io.raftex.core.message.RaftMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An in-memory network between simulated members: per-message delay, loss, duplication and reordering, and
 * directed link cuts from which every partition shape is built (isolate one, majority/minority, bridge,
 * majorities ring, one-way). Forwarded commands can be copied more often than other messages
 * ({@link #forwardDuplicateRate}), and a test can hold chosen messages back and deliver them when it likes
 * ({@link #hold}, {@link #deliverNow}).
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

    /**
     * With this probability a {@link ForwardCommand} is sent once or twice more, each copy with its own delay of up to
     * {@link #forwardCopyMaxDelay}, so that a leader may append it more than once, or append one copy and turn down
     * another, and the answers come back in any order.
     */
    double forwardDuplicateRate;
    int forwardCopyMaxDelay = 300;
    long forwardCopies;

    /** Messages matching this are kept in {@link #held} instead of being sent (a scenario's fine control). */
    private Predicate<RaftMessage> hold = m -> false;
    final List<RaftMessage> held = new ArrayList<>();

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
        forwardDuplicateRate = 0;
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
        if (hold.test(m)) {
            held.add(m);
            return;
        }
        if (!linked(m.from(), m.to()) || scheduler.chance(dropRate)) {
            return;
        }
        deliverLater(m);
        if (scheduler.chance(duplicateRate)) {
            deliverLater(m);
        }
        if (m instanceof ForwardCommand && scheduler.chance(forwardDuplicateRate)) {
            for (int copies = scheduler.between(1, 2); copies > 0; copies--) {
                forwardCopies++;
                deliverAfter(m, scheduler.between(minDelay, forwardCopyMaxDelay));
            }
        }
    }

    /** From now on, keeps every message matching {@code p} in {@link #held} instead of sending it. */
    void hold(Predicate<RaftMessage> p) {
        this.hold = p;
    }

    /** Stops holding messages back (those held stay in {@link #held}). */
    void holdNothing() {
        this.hold = m -> false;
    }

    /** Removes and returns the held messages matching {@code p}, oldest first. */
    List<RaftMessage> takeHeld(Predicate<RaftMessage> p) {
        List<RaftMessage> taken = new ArrayList<>();
        held.removeIf(m -> {
            if (p.test(m)) {
                taken.add(m);
                return true;
            }
            return false;
        });
        return taken;
    }

    /** Hands {@code m} to its receiver at once, whatever the links (a scenario delivering a held message). */
    void deliverNow(RaftMessage m) {
        Consumer<RaftMessage> endpoint = endpoints.get(m.to());
        if (endpoint != null) {
            delivered++;
            endpoint.accept(m);
        }
    }

    private void deliverLater(RaftMessage m) {
        int delay = scheduler.chance(longDelayRate) ? scheduler.between(maxDelay, longDelayMax)
                : scheduler.between(minDelay, maxDelay);
        deliverAfter(m, delay);
    }

    private void deliverAfter(RaftMessage m, int delay) {
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
