package io.raftex.core.sim;

import io.raftex.core.ReadConsistency;
import io.raftex.core.sim.check.KvInput;
import io.raftex.core.sim.check.KvOutput;
import io.raftex.core.sim.check.Operation;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Simulated clients issuing puts, compare-and-sets, deletes and linearizable reads to random members, one operation
 * at a time each, retrying with the same session sequence on another member until a deadline. Every operation is
 * recorded with its virtual call and return times for the linearizability check; one that runs out of time is
 * recorded as unknown (it may or may not have happened).
 */
final class SimWorkload {

    static final long ATTEMPT_TIMEOUT = 300;
    static final long OPERATION_DEADLINE = 2_000;

    private final SimCluster cluster;
    private final int keys;
    private final int totalOps;
    private int started;
    private int finished;
    private final List<Client> clients = new ArrayList<>();
    private final List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
    /** "clientId#sequence" of every write a client saw succeed. */
    final Set<String> acknowledgedWrites = new HashSet<>();
    int unknownOps;

    SimWorkload(SimCluster cluster, int clientCount, int keys, int totalOps) {
        this.cluster = cluster;
        this.keys = keys;
        this.totalOps = totalOps;
        for (int i = 0; i < clientCount; i++) {
            clients.add(new Client(i, 1_000 + i));
        }
    }

    void start() {
        for (Client c : clients) {
            c.next();
        }
    }

    boolean done() {
        return finished >= totalOps || (started >= totalOps && finished == started);
    }

    int finishedOps() {
        return finished;
    }

    List<Operation<KvInput, KvOutput>> history() {
        return history;
    }

    private final class Client {
        final int index;
        final long clientId;
        long sequence;
        long ackedBelow = 1;
        KvInput input;
        long callTime;
        boolean pending;
        /** Attempts are numbered across all of the client's operations, so a late answer cannot match another op. */
        int attempt;
        int firstAttemptOfOp;

        Client(int index, long clientId) {
            this.index = index;
            this.clientId = clientId;
        }

        void next() {
            if (started >= totalOps) {
                return;
            }
            started++;
            SimScheduler s = cluster.scheduler;
            String key = "k" + s.random.nextInt(keys);
            int dice = s.random.nextInt(100);
            if (dice < 40) {
                input = new KvInput.Get(key);
            } else {
                sequence++;
                String value = clientId + "-" + sequence;
                if (dice < 75) {
                    input = new KvInput.Put(key, value);
                } else if (dice < 95) {
                    String expected = s.random.nextInt(4) == 0 ? null : "" + (1_000 + s.random.nextInt(clients.size()))
                            + "-" + Math.max(1, sequence - s.random.nextInt(3));
                    input = new KvInput.Cas(key, expected, value);
                } else {
                    input = new KvInput.Delete(key);
                }
            }
            callTime = s.now();
            firstAttemptOfOp = attempt + 1;
            pending = true;
            send();
        }

        void send() {
            if (!pending) {
                return;
            }
            SimScheduler s = cluster.scheduler;
            if (s.now() - callTime >= OPERATION_DEADLINE) {
                giveUp();
                return;
            }
            int myAttempt = ++attempt;
            SimNode target = cluster.nodes.get(s.random.nextInt(cluster.nodes.size()));
            if (input instanceof KvInput.Get g) {
                target.submitRead(g.key(), ReadConsistency.LINEARIZABLE, o -> onOutcome(myAttempt, o));
            } else {
                byte[] payload;
                if (input instanceof KvInput.Put p) {
                    payload = KvMachine.put(p.key(), p.value());
                } else if (input instanceof KvInput.Cas c) {
                    payload = KvMachine.cas(c.key(), c.expected(), c.value());
                } else {
                    payload = KvMachine.delete(input.key());
                }
                target.submitCommand(clientId, sequence, ackedBelow, payload, o -> onOutcome(myAttempt, o));
            }
            s.after(ATTEMPT_TIMEOUT, () -> {
                if (pending && attempt == myAttempt) {
                    send();
                }
            });
        }

        void onOutcome(int forAttempt, SimNode.Outcome outcome) {
            if (!pending || forAttempt < firstAttemptOfOp) {
                return; // the client has moved on from the operation this answers
            }
            if (outcome instanceof SimNode.Outcome.Ok ok) {
                complete(ok.value());
            } else if (forAttempt == attempt) {
                int myAttempt = attempt;
                cluster.scheduler.after(cluster.scheduler.between(5, 40), () -> {
                    if (pending && attempt == myAttempt) {
                        send();
                    }
                });
            }
        }

        void complete(String value) {
            pending = false;
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
                acknowledgedWrites.add(clientId + "#" + sequence);
                ackedBelow = sequence + 1;
            }
            history.add(Operation.of(index, input, output, callTime, cluster.scheduler.now()));
            finished++;
            nextLater();
        }

        /**
         * The next operation starts strictly after this one returned: the checker's intervals are closed, so an
         * operation called at the instant the previous one returned would count as concurrent with it, and a stale
         * read of the client's own write could pass.
         */
        void nextLater() {
            cluster.scheduler.after(1, this::next);
        }

        void giveUp() {
            pending = false;
            if (!(input instanceof KvInput.Get)) {
                history.add(new Operation<>(index, input, KvOutput.UNKNOWN, callTime, Operation.NEVER_RETURNED));
                ackedBelow = sequence + 1;
                unknownOps++;
            }
            finished++;
            nextLater();
        }
    }
}
