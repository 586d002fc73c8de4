package io.raftex.core.sim;

import io.raftex.core.ReadConsistency;
import io.raftex.core.sim.check.KvInput;

/**
 * The clients of the protocol mode (see {@link Workload}): each operation goes to a random member as a session
 * command or a linearizable read, and is tried again on another random member, a write with the same session
 * sequence, when the member turns it down or does not answer within {@link #ATTEMPT_TIMEOUT}, until the client's
 * deadline ({@link #OPERATION_DEADLINE}) ends it as unknown. Nothing else retries anything in this mode, so the
 * session table alone must keep a retried write from taking effect twice.
 */
final class SimWorkload extends Workload {

    static final long ATTEMPT_TIMEOUT = 300;
    static final long OPERATION_DEADLINE = 2_000;

    private final SimCluster cluster;
    /** Per client, the session sequence of its last write; a client's id is 1,000 plus its number. */
    private final long[] sequences;

    SimWorkload(SimCluster cluster, int clientCount, int keys, int totalOps) {
        super(cluster.scheduler, clientCount, keys, totalOps, OPERATION_DEADLINE);
        this.cluster = cluster;
        this.sequences = new long[clientCount];
    }

    @Override
    protected void submit(Op op) {
        long sequence = op.isWrite() ? ++sequences[op.client] : 0;
        new Attempts(op, 1_000 + op.client, sequence).send();
    }

    /** The attempts at one operation; a late answer to an earlier one still completes it. */
    private final class Attempts {
        final Op op;
        final long clientId;
        final long sequence;
        int attempt;

        Attempts(Op op, long clientId, long sequence) {
            this.op = op;
            this.clientId = clientId;
            this.sequence = sequence;
        }

        void send() {
            if (!op.isOpen()) {
                return;
            }
            int myAttempt = ++attempt;
            SimNode target = cluster.nodes.get(scheduler.random.nextInt(cluster.nodes.size()));
            if (op.input instanceof KvInput.Get g) {
                target.submitRead(g.key(), ReadConsistency.LINEARIZABLE, o -> onOutcome(myAttempt, o));
            } else {
                // every earlier write of the client has ended, acknowledged or given up: it acknowledges them all
                target.submitCommand(clientId, sequence, sequence, op.payload, o -> onOutcome(myAttempt, o));
            }
            retryIfStill(myAttempt, ATTEMPT_TIMEOUT);
        }

        void onOutcome(int forAttempt, SimNode.Outcome outcome) {
            if (!op.isOpen()) {
                return; // the client has moved on from the operation this answers
            }
            if (outcome instanceof SimNode.Outcome.Ok ok) {
                op.completed(ok.value());
            } else if (forAttempt == attempt) {
                retryIfStill(attempt, scheduler.between(5, 40));
            }
        }

        private void retryIfStill(int forAttempt, long delay) {
            scheduler.after(delay, () -> {
                if (attempt == forAttempt) {
                    send();
                }
            });
        }
    }
}
