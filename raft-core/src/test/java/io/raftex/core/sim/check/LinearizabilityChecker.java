package io.raftex.core.sim.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decides whether a concurrent history is linearizable with respect to a sequential {@link Model}.
 *
 * <p>The search follows Wing &amp; Gong: walk the history's call/return events in time order, tentatively
 * linearize any operation whose call has been seen, and backtrack when an operation's return is reached before it
 * was linearized. As proposed by Lowe, every (set of linearized operations, model state) configuration is memoized so
 * that it is explored at most once. The model may split the history into independent partitions (e.g. one per key),
 * which are checked separately and, if {@code parallelism > 1}, concurrently.
 *
 * <p>Intervals are closed: two operations whose intervals share only an endpoint are concurrent (a call sorts before a
 * return at the same timestamp).
 *
 * <p>Determinism: the verdict does not depend on scheduling as long as no partition runs out of time. If several
 * partitions are illegal, the one with the lowest index (in {@link Model#partition} order) is reported; once a
 * partition is found illegal, partitions with higher indices are abandoned. If some partition is illegal, the verdict
 * is ILLEGAL even if others timed out; otherwise any timed-out partition makes it UNKNOWN.
 */
public final class LinearizabilityChecker {

    /** How often (in search steps) the deadline and cancellation are polled; a power of two minus one. */
    private static final int POLL_MASK = 0xFF;
    /** How many prefix operations an explanation lists before eliding the older ones. */
    private static final int MAX_PREFIX_LINES = 20;
    /** How many pending operations / timed-out partitions an explanation lists. */
    private static final int MAX_LIST_LINES = 10;

    private LinearizabilityChecker() {
    }

    /** Checks {@code history} without a time limit. */
    public static <S, I, O> CheckResult check(Model<S, I, O> model, List<Operation<I, O>> history) {
        return run(model, history, null, -1);
    }

    /**
     * Checks {@code history}, giving up with {@link CheckResult.Verdict#UNKNOWN} once {@code timeout} has elapsed.
     * Partitions are checked on up to {@code min(partitions, available processors)} threads. The deadline is polled
     * every few hundred search steps, so partitions that need fewer steps are always decided, even with a zero
     * timeout.
     */
    public static <S, I, O> CheckResult check(Model<S, I, O> model, List<Operation<I, O>> history, Duration timeout) {
        return check(model, history, timeout, -1);
    }

    /**
     * Checks {@code history} with a time limit, using at most {@code parallelism} threads (including the caller);
     * {@code parallelism <= 0} means "one per available processor".
     */
    public static <S, I, O> CheckResult check(
            Model<S, I, O> model, List<Operation<I, O>> history, Duration timeout, int parallelism) {
        Objects.requireNonNull(timeout, "timeout (use check(model, history) for no limit)");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        return run(model, history, timeout, parallelism);
    }

    private static <S, I, O> CheckResult run(
            Model<S, I, O> model, List<Operation<I, O>> history, Duration timeout, int parallelism) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(history, "history");
        List<List<Operation<I, O>>> partitions = new ArrayList<>();
        for (List<Operation<I, O>> part : model.partition(List.copyOf(history))) {
            partitions.add(List.copyOf(part));
        }
        int count = partitions.size();
        Context ctx = new Context(timeout);

        // Smallest partitions first: they finish quickly, so an illegal one is likely found (and higher-index work
        // abandoned) early. This affects only speed; the reported result is chosen by index.
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> partitions.get(i).size()).thenComparingInt(i -> i));

        Outcome[] outcomes = new Outcome[count];
        AtomicInteger nextTask = new AtomicInteger();
        Runnable worker = () -> {
            try {
                for (int t = nextTask.getAndIncrement(); t < count; t = nextTask.getAndIncrement()) {
                    int index = order[t];
                    outcomes[index] = new PartitionSearch<>(model, partitions.get(index), index, ctx).run();
                }
            } catch (RuntimeException | Error e) {
                ctx.failure.compareAndSet(null, e);
            }
        };

        int threads = parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors();
        threads = Math.max(1, Math.min(threads, count));
        List<Thread> helpers = new ArrayList<>();
        for (int i = 1; i < threads; i++) {
            Thread thread = new Thread(worker, "linearizability-checker-" + i);
            thread.setDaemon(true);
            helpers.add(thread);
            thread.start();
        }
        worker.run();
        joinAll(helpers);

        Throwable failure = ctx.failure.get();
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        return combine(model, partitions, outcomes, timeout, history.size());
    }

    private static void joinAll(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread thread : threads) {
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static <S, I, O> CheckResult combine(Model<S, I, O> model, List<List<Operation<I, O>>> partitions,
            Outcome[] outcomes, Duration timeout, int operationCount) {
        List<String> timedOut = new ArrayList<>();
        for (int i = 0; i < outcomes.length; i++) {
            Outcome outcome = outcomes[i];
            if (outcome.status == Status.ILLEGAL) {
                return outcome.illegal;
            }
            if (outcome.status == Status.TIMED_OUT) {
                timedOut.add(model.describePartition(i, partitions.get(i)));
            }
        }
        if (!timedOut.isEmpty()) {
            StringBuilder sb = new StringBuilder("check did not finish within ").append(timeout)
                    .append("; undecided (").append(timedOut.size()).append(" of ")
                    .append(count(outcomes.length, "partition")).append("): ");
            sb.append(String.join(", ", timedOut.subList(0, Math.min(MAX_LIST_LINES, timedOut.size()))));
            if (timedOut.size() > MAX_LIST_LINES) {
                sb.append(", ...");
            }
            return CheckResult.unknown(sb.toString());
        }
        return CheckResult.ok("linearizable: " + count(operationCount, "operation") + " in "
                + count(outcomes.length, "partition"));
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private enum Status { OK, ILLEGAL, TIMED_OUT, CANCELLED }

    private record Outcome(Status status, CheckResult illegal) {
        static final Outcome OK = new Outcome(Status.OK, null);
        static final Outcome TIMED_OUT = new Outcome(Status.TIMED_OUT, null);
        static final Outcome CANCELLED = new Outcome(Status.CANCELLED, null);
    }

    /** Shared between the workers of one check. */
    private static final class Context {
        final boolean hasDeadline;
        final long deadline;
        /** Lowest index of a partition found illegal so far; partitions above it are abandoned. */
        final AtomicInteger lowestIllegal = new AtomicInteger(Integer.MAX_VALUE);
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Context(Duration timeout) {
            long nanos;
            try {
                nanos = timeout == null ? Long.MAX_VALUE : timeout.toNanos();
            } catch (ArithmeticException tooLong) {
                nanos = Long.MAX_VALUE;
            }
            hasDeadline = nanos < Long.MAX_VALUE / 4;
            deadline = hasDeadline ? System.nanoTime() + nanos : 0;
        }

        /** Why partition {@code index} should stop now, or {@code null} to go on. */
        Outcome stopReason(int index, boolean checkDeadline) {
            if (failure.get() != null || index > lowestIllegal.get()) {
                return Outcome.CANCELLED;
            }
            if (checkDeadline && hasDeadline && System.nanoTime() - deadline >= 0) {
                return Outcome.TIMED_OUT;
            }
            return null;
        }
    }

    /**
     * Memoization key: which operations are linearized (a bit set) and the state they lead to. The hash is computed
     * once, from an incrementally maintained Zobrist hash of the set mixed with the state's hash; the JDK's own
     * {@code BitSet}/{@code Map} hashes collide badly on the similar configurations a search produces.
     */
    private static final class Configuration {
        final long[] linearized;
        final Object state;
        final int hash;

        Configuration(long[] linearized, long setHash, Object state) {
            this.linearized = linearized;
            this.state = state;
            long h = mix(setHash ^ (state.hashCode() * 0x9E3779B97F4A7C15L));
            this.hash = (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Configuration c && c.hash == hash && Arrays.equals(c.linearized, linearized)
                    && c.state.equals(state);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** A 64-bit finalizer (splitmix64) that spreads every input bit over the whole word. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The Wing–Gong/Lowe search over one partition. */
    private static final class PartitionSearch<S, I, O> {
        private static final int NIL = -1;

        private final Model<S, I, O> model;
        private final List<Operation<I, O>> ops;
        private final int index;
        private final Context ctx;

        // Events: entry e is the call (isCall) or return of operation op[e]; match[e] is the other event of op[e].
        // They form a doubly linked list (in time order) headed by the sentinel 'head'; linearizing an operation
        // unlinks both of its events, and backtracking relinks them (strictly LIFO, so removed nodes keep valid links).
        private final int[] op;
        private final boolean[] isCall;
        private final int[] match;
        private final int[] next;
        private final int[] prev;
        private final int head;

        // Deepest point reached, for the explanation.
        private int bestDepth = -1;
        private int[] bestPrefix;
        private S bestState;
        private int bestBlocked;
        private int[] bestPending;

        PartitionSearch(Model<S, I, O> model, List<Operation<I, O>> ops, int index, Context ctx) {
            this.model = model;
            this.ops = ops;
            this.index = index;
            this.ctx = ctx;
            int n = ops.size();
            int events = 2 * n;
            Integer[] sorted = new Integer[events];
            for (int e = 0; e < events; e++) {
                sorted[e] = e; // e < n: call of op e; e >= n: return of op e - n
            }
            Arrays.sort(sorted, Comparator
                    .<Integer>comparingLong(e -> e < n ? ops.get(e).callTime() : ops.get(e - n).returnTime())
                    .thenComparingInt(e -> e < n ? 0 : 1) // calls before returns at equal times (closed intervals)
                    .thenComparingInt(e -> e < n ? e : e - n));
            op = new int[events];
            isCall = new boolean[events];
            match = new int[events];
            next = new int[events + 1];
            prev = new int[events + 1];
            head = events;
            int[] callEntry = new int[n];
            int[] returnEntry = new int[n];
            for (int pos = 0; pos < events; pos++) {
                int e = sorted[pos];
                boolean call = e < n;
                op[pos] = call ? e : e - n;
                isCall[pos] = call;
                if (call) {
                    callEntry[op[pos]] = pos;
                } else {
                    returnEntry[op[pos]] = pos;
                }
                prev[pos] = pos == 0 ? head : pos - 1;
                next[pos] = pos == events - 1 ? NIL : pos + 1;
            }
            next[head] = events == 0 ? NIL : 0;
            prev[head] = NIL;
            for (int o = 0; o < n; o++) {
                match[callEntry[o]] = returnEntry[o];
                match[returnEntry[o]] = callEntry[o];
            }
        }

        Outcome run() {
            int n = ops.size();
            if (n == 0) {
                return Outcome.OK;
            }
            Outcome early = ctx.stopReason(index, false);
            if (early != null) {
                return early;
            }
            Set<Configuration> seen = new HashSet<>();
            long[] linearized = new long[(n + 63) >>> 6];
            long setHash = 0;
            int[] stackEntry = new int[n];
            Object[] stackState = new Object[n];
            int depth = 0;
            S state = model.init();
            int cursor = next[head];
            long steps = 0;
            while (next[head] != NIL) {
                // The first poll comes after POLL_MASK + 1 steps, so tiny partitions always finish: their verdicts do
                // not depend on timing, even with a zero timeout.
                if ((++steps & POLL_MASK) == 0) {
                    Outcome stop = ctx.stopReason(index, true);
                    if (stop != null) {
                        return stop;
                    }
                }
                if (isCall[cursor]) {
                    Operation<I, O> operation = ops.get(op[cursor]);
                    Optional<S> after = step(state, operation);
                    if (after.isPresent()) {
                        S newState = after.get();
                        int o = op[cursor];
                        linearized[o >>> 6] |= 1L << o;
                        long newSetHash = setHash ^ zobrist(o);
                        // Probe with the live bit set; copy it only when the configuration is new.
                        Configuration probe = new Configuration(linearized, newSetHash, newState);
                        if (!seen.contains(probe)) {
                            seen.add(new Configuration(linearized.clone(), newSetHash, newState));
                            setHash = newSetHash;
                            stackEntry[depth] = cursor;
                            stackState[depth] = state;
                            depth++;
                            state = newState;
                            lift(cursor);
                            cursor = next[head];
                            continue;
                        }
                        linearized[o >>> 6] &= ~(1L << o);
                    }
                    cursor = next[cursor];
                } else {
                    // An operation's return is reached but it is not linearized: this branch is dead.
                    if (depth > bestDepth) {
                        remember(depth, stackEntry, state, cursor);
                    }
                    if (depth == 0) {
                        ctx.lowestIllegal.accumulateAndGet(index, Math::min);
                        return new Outcome(Status.ILLEGAL, explain());
                    }
                    depth--;
                    int entry = stackEntry[depth];
                    @SuppressWarnings("unchecked")
                    S restored = (S) stackState[depth];
                    state = restored;
                    stackState[depth] = null;
                    int o = op[entry];
                    linearized[o >>> 6] &= ~(1L << o);
                    setHash ^= zobrist(o);
                    unlift(entry);
                    cursor = next[entry];
                }
            }
            return Outcome.OK;
        }

        /** A fixed pseudo-random 64-bit code for operation {@code o}; a set's hash is the XOR of its members'. */
        private static long zobrist(int o) {
            return mix(0x5DEECE66DL + o * 0x9E3779B97F4A7C15L);
        }

        private Optional<S> step(S state, Operation<I, O> operation) {
            Optional<S> after = model.step(state, operation.input(), operation.output());
            if (after == null) {
                throw new IllegalStateException("model.step returned null for " + operation);
            }
            return after;
        }

        private void lift(int call) {
            unlink(call);
            unlink(match[call]);
        }

        private void unlift(int call) {
            relink(match[call]);
            relink(call);
        }

        private void unlink(int e) {
            next[prev[e]] = next[e];
            if (next[e] != NIL) {
                prev[next[e]] = prev[e];
            }
        }

        private void relink(int e) {
            next[prev[e]] = e;
            if (next[e] != NIL) {
                prev[next[e]] = e;
            }
        }

        private void remember(int depth, int[] stackEntry, S state, int blockedReturn) {
            bestDepth = depth;
            bestPrefix = new int[depth];
            for (int i = 0; i < depth; i++) {
                bestPrefix[i] = op[stackEntry[i]];
            }
            bestState = state;
            bestBlocked = op[blockedReturn];
            List<Integer> pending = new ArrayList<>();
            for (int e = next[head]; e != blockedReturn; e = next[e]) {
                if (isCall[e]) {
                    pending.add(op[e]);
                }
            }
            bestPending = pending.stream().mapToInt(Integer::intValue).toArray();
        }

        private CheckResult explain() {
            String name = model.describePartition(index, ops);
            List<Operation<?, ?>> prefix = new ArrayList<>(bestPrefix.length);
            for (int o : bestPrefix) {
                prefix.add(ops.get(o));
            }
            Operation<I, O> blocked = ops.get(bestBlocked);

            StringBuilder sb = new StringBuilder();
            sb.append("not linearizable: ").append(name).append(" (").append(count(ops.size(), "operation"))
                    .append(")\n");
            sb.append("  longest linearizable prefix (").append(count(prefix.size(), "operation")).append("):\n");
            int skip = Math.max(0, bestPrefix.length - MAX_PREFIX_LINES);
            if (skip > 0) {
                sb.append("    ... ").append(skip).append(" earlier operations omitted\n");
            }
            for (int i = skip; i < bestPrefix.length; i++) {
                sb.append("    ").append(i + 1).append(". ").append(describe(ops.get(bestPrefix[i]))).append('\n');
            }
            if (prefix.isEmpty()) {
                sb.append("    (none)\n");
            }
            sb.append("  state after prefix: ").append(model.describeState(bestState)).append('\n');
            sb.append("  could not be linearized before its return: ").append(describe(blocked))
                    .append(" (").append(reason(blocked)).append(")\n");
            List<String> others = new ArrayList<>();
            for (int o : bestPending) {
                if (o != bestBlocked) {
                    others.add(describe(ops.get(o)) + " (" + reason(ops.get(o)) + ")");
                }
            }
            if (!others.isEmpty()) {
                sb.append("  other operations that could have come next:\n");
                for (int i = 0; i < Math.min(others.size(), MAX_LIST_LINES); i++) {
                    sb.append("    ").append(others.get(i)).append('\n');
                }
                if (others.size() > MAX_LIST_LINES) {
                    sb.append("    ... ").append(others.size() - MAX_LIST_LINES).append(" more\n");
                }
            }
            return CheckResult.illegal(name, prefix, blocked, sb.toString().stripTrailing());
        }

        private String reason(Operation<I, O> operation) {
            return step(bestState, operation).isPresent()
                    ? "legal here, but no continuation after it succeeds"
                    : "illegal in this state";
        }

        private String describe(Operation<I, O> operation) {
            String ret = operation.isUnknown() ? "unknown" : Long.toString(operation.returnTime());
            return "client " + operation.clientId() + " [" + operation.callTime() + ", " + ret + "] "
                    + model.describeOperation(operation.input(), operation.output());
        }
    }
}
