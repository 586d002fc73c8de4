package io.raftex.core.sim;

import io.raftex.core.sim.check.CheckResult;
import io.raftex.core.sim.check.KvInput;
import io.raftex.core.sim.check.KvModel;
import io.raftex.core.sim.check.KvOutput;
import io.raftex.core.sim.check.LinearizabilityChecker;
import io.raftex.core.sim.check.Operation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the clients of both simulator modes share: each of them issues puts (35%), compare-and-sets (20%), deletes
 * (5%) and linearizable reads (40%) on a few keys, one operation at a time, and records each one for the
 * linearizability check with its virtual call and return times. How an operation reaches the group and how its
 * answer is read is the mode's ({@link #submit}); the mode ends each operation with one of {@link Op#completed},
 * {@link Op#unknown} or {@link Op#leftOut}, and an operation still open at the client's deadline ends as unknown.
 *
 * <p>Every write carries a value (for a delete, a tag) that no other operation uses, so that whether it took effect
 * can be told from its payload alone. A compare-and-set expects one of the last values written to its key, or
 * absence. A client's next operation starts 1 to 10 ms after its previous one returned: the checker's intervals are
 * closed, so an operation called at the instant the previous one returned would count as concurrent with it, and a
 * stale read of the client's own write could pass.
 */
abstract class Workload {

    protected final SimScheduler scheduler;
    private final int keys;
    private final int totalOps;
    /** How long a client waits for an operation to end before it counts it as unknown. */
    final long clientDeadline;
    private int started;
    private int finished;
    private final int clientCount;
    private final List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
    /** Recent values written to each key, for compare-and-set expectations. */
    private final Map<String, List<String>> recentValues = new HashMap<>();
    /** Payloads (as text) of the writes the clients saw succeed. */
    final Set<String> acknowledgedWrites = new HashSet<>();
    /** Writes that ran out of time or got an answer that leaves open whether they took effect. */
    int unknownOps;
    /** Reads that got no value: they change nothing, so they are left out of the history. */
    int failedReads;

    Workload(SimScheduler scheduler, int clientCount, int keys, int totalOps, long clientDeadline) {
        this.scheduler = scheduler;
        this.clientCount = clientCount;
        this.keys = keys;
        this.totalOps = totalOps;
        this.clientDeadline = clientDeadline;
    }

    /** Sends {@code op} to the group the mode's way; the mode ends it once it knows how it went. */
    protected abstract void submit(Op op);

    void start() {
        for (int i = 0; i < clientCount; i++) {
            next(i, 0);
        }
    }

    boolean done() {
        return finished >= totalOps;
    }

    int finishedOps() {
        return finished;
    }

    List<Operation<KvInput, KvOutput>> history() {
        return history;
    }

    /** The recorded history is linearizable against a map of registers. */
    void checkLinearizable() {
        CheckResult result = LinearizabilityChecker.check(new KvModel(), history, Duration.ofSeconds(60));
        if (!result.isOk()) {
            throw new AssertionError("history of " + history.size() + " ops is not linearizable: " + result);
        }
    }

    /**
     * Every acknowledged write was applied by some member, and by each of {@code members} (in its current
     * incarnation, so those that rebuilt their state from their log alone).
     */
    void checkAcknowledgedWritesApplied(Invariants invariants, Collection<? extends SimMember> members) {
        for (String write : acknowledgedWrites) {
            if (!invariants.everApplied(write)) {
                throw new AssertionError("acknowledged write '" + write + "' was never applied");
            }
            for (SimMember m : members) {
                if (!invariants.appliedPayloads(m.id()).contains(write)) {
                    throw new AssertionError("acknowledged write '" + write + "' is not applied on " + m.id());
                }
            }
        }
    }

    private void next(int client, int opCount) {
        if (started >= totalOps) {
            return;
        }
        started++;
        String key = "k" + scheduler.random.nextInt(keys);
        String value = "c" + client + "." + (opCount + 1); // unique to this operation
        int dice = scheduler.random.nextInt(100);
        KvInput input;
        byte[] payload;
        if (dice < 40) {
            input = new KvInput.Get(key);
            payload = null;
        } else if (dice < 75) {
            input = new KvInput.Put(key, value);
            payload = KvMachine.put(key, value);
        } else if (dice < 95) {
            List<String> recent = recentValues.getOrDefault(key, List.of());
            String expected = recent.isEmpty() || scheduler.random.nextInt(4) == 0 ? null
                    : recent.get(scheduler.random.nextInt(recent.size()));
            input = new KvInput.Cas(key, expected, value);
            payload = KvMachine.cas(key, expected, value);
        } else {
            input = new KvInput.Delete(key);
            payload = KvMachine.delete(key, value);
        }
        if (input instanceof KvInput.Put || input instanceof KvInput.Cas) {
            List<String> recent = recentValues.computeIfAbsent(key, k -> new ArrayList<>());
            recent.add(value);
            if (recent.size() > 4) {
                recent.remove(0);
            }
        }
        Op op = new Op(client, opCount + 1, input, payload, scheduler.now());
        scheduler.after(clientDeadline, () -> {
            if (op.open) {
                op.unknown();
            }
        });
        submit(op);
    }

    /** One operation of one client, open until the mode ends it. */
    final class Op {
        /** The client, from 0. */
        final int client;
        /** The client's operations so far, this one included. */
        final int number;
        final KvInput input;
        /** The command, or null for a read. */
        final byte[] payload;
        final long callTime;
        private boolean open = true;

        private Op(int client, int number, KvInput input, byte[] payload, long callTime) {
            this.client = client;
            this.number = number;
            this.input = input;
            this.payload = payload;
            this.callTime = callTime;
        }

        boolean isOpen() {
            return open;
        }

        boolean isWrite() {
            return payload != null;
        }

        String payloadText() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The group answered {@code value} (a read's value, or a write's answer: {@code OK}, {@code T}, {@code F}). */
        void completed(String value) {
            KvOutput output;
            if (input instanceof KvInput.Get) {
                output = new KvOutput.GetResult(value);
            } else {
                if (input instanceof KvInput.Put) {
                    output = new KvOutput.PutOk();
                } else if (input instanceof KvInput.Cas) {
                    output = new KvOutput.CasResult("T".equals(value));
                } else {
                    output = new KvOutput.DeleteResult("T".equals(value));
                }
                acknowledgedWrites.add(payloadText());
            }
            history.add(Operation.of(client, input, output, callTime, scheduler.now()));
            end();
        }

        /** Whether it took effect is not known: a write is recorded as one that may or may not have happened. */
        void unknown() {
            if (isWrite()) {
                history.add(Operation.unknown(client, input, KvOutput.UNKNOWN, callTime));
                unknownOps++;
            } else {
                failedReads++;
            }
            end();
        }

        /** It did not take effect (a failed read, a refused write): left out of the history. */
        void leftOut() {
            if (!isWrite()) {
                failedReads++;
            }
            end();
        }

        private void end() {
            open = false;
            finished++;
            scheduler.after(scheduler.between(1, 10), () -> next(client, number));
        }
    }
}
