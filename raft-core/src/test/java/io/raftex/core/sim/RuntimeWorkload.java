package io.raftex.core.sim;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.SessionExpiredException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The clients of the runtime mode (see {@link Workload}): each operation is one call of
 * {@link io.raftex.core.RaftGroup#command} or a {@link ReadConsistency#LINEARIZABLE} query on a random running
 * member's runtime, whose answer is read the way an application would:
 *
 * <ul>
 *   <li>a value: the operation completed;</li>
 *   <li>{@link NoLeaderException} or {@link GroupStoppedException}: the runtime claims it was not carried out (the
 *       demo answers 503). The operation is left out of the history, and its payload, unique to it, is kept in
 *       {@link #notCarriedOut}: after the run no member may ever have applied it;</li>
 *   <li>{@link CommandOutcomeUnknownException} (or its {@link io.raftex.core.CommandTimeoutException}),
 *       {@link SessionExpiredException}, or no answer by the client's deadline (a crashed member never answers):
 *       unknown;</li>
 *   <li>anything else is an answer no correct runtime gives here, kept in {@link #unexpected}.</li>
 * </ul>
 *
 * A query that fails changes nothing and is left out. The runtime retries on its own; the client never does.
 */
final class RuntimeWorkload extends Workload {

    private final RuntimeCluster cluster;
    /** Payloads of writes the runtime said were not carried out, with the answer that said so. */
    final Map<String, String> notCarriedOut = new LinkedHashMap<>();
    /** Answers no correct runtime gives here (the machine never refuses a command). */
    final List<String> unexpected = new ArrayList<>();
    int refusedOps;
    int lateAnswers;

    RuntimeWorkload(RuntimeCluster cluster, int clientCount, int keys, int totalOps) {
        super(cluster.scheduler, clientCount, keys, totalOps, cluster.commandTimeout.toMillis() + 1_000);
        this.cluster = cluster;
    }

    @Override
    protected void submit(Op op) {
        List<RuntimeNode> serving = cluster.nodes.stream().filter(RuntimeNode::serving).toList();
        if (serving.isEmpty()) {
            // nobody to talk to: the request never left the client
            refused(op, "no member is running");
            return;
        }
        RuntimeNode target = serving.get(scheduler.random.nextInt(serving.size()));
        if (op.isWrite()) {
            CompletableFuture<byte[]> f = target.runtime.command(op.payload);
            f.whenComplete((r, t) -> answered(op, r == null ? null : new String(r, StandardCharsets.UTF_8), t,
                    target));
        } else {
            CompletableFuture<String> f = target.runtime.query(
                    sm -> ((RuntimeNode.Machine) sm).get(op.input.key()), ReadConsistency.LINEARIZABLE);
            f.whenComplete((r, t) -> answered(op, r, t, target));
        }
    }

    private void answered(Op op, String value, Throwable failure, RuntimeNode target) {
        Throwable e = RuntimeCluster.cause(failure);
        if (!op.isOpen()) {
            lateAnswers++;
        }
        if (e == null) {
            if (op.isOpen()) {
                op.completed(value);
            }
        } else if (e instanceof NoLeaderException || e instanceof GroupStoppedException) {
            // even an answer after the client gave up must be true
            refused(op, target.id + ": " + e);
        } else if (e instanceof CommandOutcomeUnknownException || e instanceof SessionExpiredException
                || e instanceof QueryTimeoutException && !op.isWrite()) {
            if (op.isOpen()) {
                op.unknown(); // a read: left out
            }
        } else {
            unexpected.add("client " + op.client + " " + op.input + " on " + target.id + " at t="
                    + scheduler.now() + ": " + e);
            if (op.isOpen()) {
                op.unknown();
            }
        }
    }

    /** The runtime said, or it is plain, that {@code op} was not carried out. */
    private void refused(Op op, String why) {
        if (op.isWrite()) {
            notCarriedOut.put(op.payloadText(), why);
        }
        if (op.isOpen()) {
            if (op.isWrite()) {
                refusedOps++;
            }
            op.leftOut();
        }
    }
}
