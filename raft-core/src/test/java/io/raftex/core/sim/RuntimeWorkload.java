package io.raftex.core.sim;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.SessionExpiredException;
import io.raftex.core.sim.check.KvInput;
import io.raftex.core.sim.check.KvOutput;
import io.raftex.core.sim.check.Operation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Clients of the runtime mode: each calls {@link io.raftex.core.RaftGroup#command} (put, compare-and-set, delete)
 * or a {@link ReadConsistency#LINEARIZABLE} query on a random running member's runtime, one operation at a time,
 * and reads the answer the way an application would:
 *
 * <ul>
 *   <li>a value: the operation completed, recorded with its call and return times;</li>
 *   <li>{@link NoLeaderException} or {@link GroupStoppedException}: the runtime claims it was not carried out (the
 *       demo answers 503). The operation is left out of the history, and its payload, unique to it, is kept in
 *       {@link #notCarriedOut}: after the run no member may ever have applied it;</li>
 *   <li>{@link CommandOutcomeUnknownException} (or its {@link io.raftex.core.CommandTimeoutException}),
 *       {@link SessionExpiredException}, or no answer by the client's deadline (a crashed member never answers):
 *       unknown, recorded as an operation that may or may not have happened.</li>
 * </ul>
 *
 * A query that fails changes nothing and is left out. Every write carries a value (or, for a delete, a tag) that no
 * other operation uses, so "applied" can be decided from the payload alone. A client's next operation starts at
 * least 1 ms after its previous one returned, since the checker's intervals are closed.
 */
final class RuntimeWorkload {

    private final RuntimeCluster cluster;
    private final int keys;
    private final int totalOps;
    /** How long a client waits for an answer before it counts the operation as unknown. */
    final long clientDeadline;
    private int started;
    private int finished;
    private final List<Client> clients = new ArrayList<>();
    private final List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
    /** Recent values written to each key, for compare-and-set expectations. */
    private final Map<String, List<String>> recentValues = new HashMap<>();
    /** Payloads of writes answered with a value. */
    final Set<String> acknowledgedWrites = new HashSet<>();
    /** Payloads of writes the runtime said were not carried out, with the answer that said so. */
    final Map<String, String> notCarriedOut = new LinkedHashMap<>();
    /** Answers no correct runtime gives here (the machine never refuses a command). */
    final List<String> unexpected = new ArrayList<>();
    int unknownOps;
    int refusedOps;
    int failedReads;
    int lateAnswers;

    RuntimeWorkload(RuntimeCluster cluster, int clientCount, int keys, int totalOps) {
        this.cluster = cluster;
        this.keys = keys;
        this.totalOps = totalOps;
        this.clientDeadline = cluster.commandTimeout.toMillis() + 1_000;
        for (int i = 0; i < clientCount; i++) {
            clients.add(new Client(i));
        }
    }

    void start() {
        for (Client c : clients) {
            c.next();
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

    /** One operation of one client. */
    private static final class Op {
        final KvInput input;
        final byte[] payload; // null for a read
        final long callTime;
        boolean open = true;

        Op(KvInput input, byte[] payload, long callTime) {
            this.input = input;
            this.payload = payload;
            this.callTime = callTime;
        }

        boolean isWrite() {
            return payload != null;
        }

        String payloadText() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final class Client {
        final int index;
        int opCount;
        Op current;

        Client(int index) {
            this.index = index;
        }

        void next() {
            if (started >= totalOps) {
                return;
            }
            started++;
            opCount++;
            SimScheduler s = cluster.scheduler;
            String key = "k" + s.random.nextInt(keys);
            String value = "c" + index + "." + opCount; // unique to this operation
            int dice = s.random.nextInt(100);
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
                String expected = recent.isEmpty() || s.random.nextInt(4) == 0 ? null
                        : recent.get(s.random.nextInt(recent.size()));
                input = new KvInput.Cas(key, expected, value);
                payload = KvMachine.cas(key, expected, value);
            } else {
                input = new KvInput.Delete(key);
                payload = KvMachine.delete(key, value);
            }
            if (!(input instanceof KvInput.Get) && !(input instanceof KvInput.Delete)) {
                List<String> recent = recentValues.computeIfAbsent(key, k -> new ArrayList<>());
                recent.add(value);
                if (recent.size() > 4) {
                    recent.remove(0);
                }
            }
            Op op = new Op(input, payload, s.now());
            current = op;
            List<RuntimeNode> serving = cluster.nodes.stream().filter(RuntimeNode::serving).toList();
            if (serving.isEmpty()) {
                // nobody to talk to: the request never left the client
                notCarriedOut(op, "no member is running");
                return;
            }
            RuntimeNode target = serving.get(s.random.nextInt(serving.size()));
            s.after(clientDeadline, () -> {
                if (op.open) {
                    unknown(op);
                }
            });
            if (op.isWrite()) {
                CompletableFuture<byte[]> f = target.runtime.command(payload);
                f.whenComplete((r, t) -> answered(op, r == null ? null : new String(r, StandardCharsets.UTF_8), t,
                        target));
            } else {
                CompletableFuture<String> f = target.runtime.query(
                        sm -> ((RuntimeNode.Machine) sm).get(input.key()), ReadConsistency.LINEARIZABLE);
                f.whenComplete((r, t) -> answered(op, r, t, target));
            }
        }

        void answered(Op op, String value, Throwable failure, RuntimeNode target) {
            Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                    : failure;
            if (!op.open) {
                lateAnswers++;
            }
            if (e == null) {
                if (op.open) {
                    completed(op, value);
                }
            } else if (e instanceof NoLeaderException || e instanceof GroupStoppedException) {
                if (op.isWrite()) {
                    // even an answer after the client gave up must be true
                    notCarriedOut.put(op.payloadText(), target.id + ": " + e);
                }
                if (op.open) {
                    notCarriedOut(op, null);
                }
            } else if (e instanceof CommandOutcomeUnknownException || e instanceof SessionExpiredException) {
                if (op.open) {
                    unknown(op);
                }
            } else if (e instanceof QueryTimeoutException && !op.isWrite()) {
                if (op.open) {
                    failedRead(op);
                }
            } else {
                unexpected.add("client " + index + " " + op.input + " on " + target.id + " at t="
                        + cluster.scheduler.now() + ": " + e);
                if (op.open) {
                    unknown(op);
                }
            }
        }

        void completed(Op op, String value) {
            KvOutput output;
            if (op.input instanceof KvInput.Get) {
                output = new KvOutput.GetResult(value);
            } else {
                if (op.input instanceof KvInput.Put) {
                    output = new KvOutput.PutOk();
                } else if (op.input instanceof KvInput.Cas) {
                    output = new KvOutput.CasResult("T".equals(value));
                } else {
                    output = new KvOutput.DeleteResult("T".equals(value));
                }
                acknowledgedWrites.add(op.payloadText());
            }
            history.add(Operation.of(index, op.input, output, op.callTime, cluster.scheduler.now()));
            finish(op);
        }

        void notCarriedOut(Op op, String why) {
            if (op.isWrite() && why != null) {
                notCarriedOut.put(op.payloadText(), why);
            }
            if (op.isWrite()) {
                refusedOps++;
            } else {
                failedReads++;
            }
            finish(op);
        }

        void unknown(Op op) {
            if (op.isWrite()) {
                history.add(Operation.unknown(index, op.input, KvOutput.UNKNOWN, op.callTime));
                unknownOps++;
            } else {
                failedReads++;
            }
            finish(op);
        }

        void failedRead(Op op) {
            failedReads++;
            finish(op);
        }

        private void finish(Op op) {
            op.open = false;
            finished++;
            // strictly later than this operation returned: the checker's intervals are closed
            cluster.scheduler.after(cluster.scheduler.between(1, 10), this::next);
        }
    }
}
