package io.raftex.core.sim;

import java.util.PriorityQueue;
import java.util.Random;

/**
 * One seeded scheduler with virtual time that drives every simulated member, network link and disk. Events run
 * in time order; ties run in the order they were scheduled, so a run is fully determined by its seed.
 */
final class SimScheduler {

    private record Event(long time, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    final Random random;
    private long now;
    private long seq;
    private long steps;

    SimScheduler(long seed) {
        this.random = new Random(seed);
    }

    long now() {
        return now;
    }

    long steps() {
        return steps;
    }

    void at(long time, Runnable action) {
        queue.add(new Event(Math.max(time, now), seq++, action));
    }

    void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    /** Runs one event; false if none is left. */
    boolean step() {
        Event e = queue.poll();
        if (e == null) {
            return false;
        }
        now = e.time;
        steps++;
        e.action.run();
        return true;
    }

    /** Whether an event is due at or before {@code time}. */
    boolean hasEventBy(long time) {
        Event next = queue.peek();
        return next != null && next.time <= time;
    }

    /** Runs events until virtual time reaches {@code until}. */
    void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().time <= until) {
            step();
        }
        now = Math.max(now, until);
    }

    int between(int lo, int hiInclusive) {
        return lo + random.nextInt(hiInclusive - lo + 1);
    }

    boolean chance(double p) {
        return p > 0 && random.nextDouble() < p;
    }
}
