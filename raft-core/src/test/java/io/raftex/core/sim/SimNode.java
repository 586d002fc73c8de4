package io.raftex.core.sim;

import io.raftex.core.MemberId;
import io.raftex.core.ReadConsistency;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.StorageException;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.protocol.Effect;
import io.raftex.core.protocol.Proposal;
import io.raftex.core.protocol.RaftMember;
import io.raftex.core.session.CommandResult;
import io.raftex.core.session.SessionStateMachine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One simulated member: the real protocol core, an in-memory disk that loses unsynced writes on crash, the real
 * session state machine over {@link KvMachine}, and a small shell that carries out effects the way the node
 * runtime does. Everything runs on the simulator's single thread, in virtual time.
 */
final class SimNode extends NodeShell<SimCluster> {

    /** What a client hears back from one attempt. */
    sealed interface Outcome {
        record Ok(String value) implements Outcome {
        }

        record Retry(String why) implements Outcome {
        }
    }

    private record PendingCommand(long clientId, long sequence, long ackedBelow, byte[] payload,
                                  Consumer<Outcome> callback) {
    }

    private record Placed(PendingCommand command, long term) {
    }

    private record PendingRead(String key, Consumer<Outcome> callback) {
    }

    private record AppliedAt(long term, CommandResult result) {
    }

    RaftMember member;
    SessionStateMachine sessions;
    KvMachine kv;
    private long requestSeq;
    private final Map<Long, PendingCommand> proposed = new HashMap<>();
    private final Map<Long, Placed> placed = new HashMap<>();
    private final Map<Long, PendingRead> reads = new HashMap<>();
    private final TreeMap<Long, List<PendingRead>> readsAwaitingApply = new TreeMap<>();
    private final TreeMap<Long, AppliedAt> recentResults = new TreeMap<>();
    private final ArrayDeque<long[]> durableEvents = new ArrayDeque<>();

    SimNode(MemberId id, SimCluster cluster, InMemoryGroupLog disk) {
        super(id, cluster, disk);
    }

    // ------------------------------------------------------------------ lifecycle

    void start(long seed) {
        int myIncarnation = comeUp();
        // request ids must not repeat across restarts: a late answer to the previous incarnation would match
        requestSeq = (long) myIncarnation << 40;
        GroupLog checked = new CheckedLog(disk, cluster.invariants, this);
        disk.setDurabilityListener(new GroupLog.DurabilityListener() {
            @Override
            public void onDurable(long index, long term, long truncations) {
                durableEvents.add(new long[]{index, term, truncations});
            }

            @Override
            public void onFailure(StorageException failure) {
                throw failure;
            }
        });
        member = new RaftMember(SimCluster.GROUP, id, cluster.protocolConfig, checked, new Random(seed));
        kv = new KvMachine();
        sessions = new SessionStateMachine(kv, 1_000);
        cluster.network.register(id, this::receive);
        cluster.scheduler.after(cluster.scheduler.between(0, cluster.tickMillis), () -> tickLoop(myIncarnation));
    }

    /** Stops the process: unsynced writes are lost, volatile state is gone. */
    @Override
    public void crash() {
        if (!up) {
            return;
        }
        goDown();
        proposed.clear();
        placed.clear();
        reads.clear();
        readsAwaitingApply.clear();
        recentResults.clear();
        durableEvents.clear();
    }

    private void tickLoop(int myIncarnation) {
        if (!up || incarnation != myIncarnation) {
            return;
        }
        run(member.tick(cluster.scheduler.now()));
        cluster.scheduler.after(cluster.tickMillis, () -> tickLoop(myIncarnation));
    }

    private void receive(RaftMessage m) {
        if (up) {
            run(member.handle(m));
        }
    }

    // ------------------------------------------------------------------ client entry points

    void submitCommand(long clientId, long sequence, long ackedBelow, byte[] payload, Consumer<Outcome> callback) {
        if (!up) {
            return; // a dead node does not answer; the client times out
        }
        long requestId = ++requestSeq;
        proposed.put(requestId, new PendingCommand(clientId, sequence, ackedBelow, payload, callback));
        run(member.propose(List.of(new Proposal(requestId, clientId, sequence, ackedBelow, payload))));
    }

    void submitRead(String key, ReadConsistency consistency, Consumer<Outcome> callback) {
        if (!up) {
            return;
        }
        long requestId = ++requestSeq;
        reads.put(requestId, new PendingRead(key, callback));
        run(member.read(requestId, consistency));
    }

    /**
     * Proposes a session-less command directly to this member, as the MIT tests' Start() does: the index it was
     * appended at if this member leads, else empty.
     */
    java.util.OptionalLong start(byte[] payload) {
        if (!up || member.role() != io.raftex.core.Role.LEADER) {
            return java.util.OptionalLong.empty();
        }
        long before = disk.lastIndex();
        run(member.propose(List.of(new Proposal(++requestSeq, 0, 0, 0, payload))));
        return disk.lastIndex() > before ? java.util.OptionalLong.of(before + 1) : java.util.OptionalLong.empty();
    }

    // ------------------------------------------------------------------ effects

    private void run(List<Effect> effects) {
        for (Effect e : effects) {
            if (!up) {
                return;
            }
            carryOut(e);
        }
        scheduleFlush();
    }

    private void carryOut(Effect e) {
        if (e instanceof Effect.Send s) {
            cluster.invariants.beforeSend(this, s.message());
            cluster.network.send(s.message());
        } else if (e instanceof Effect.CommitAdvanced c) {
            committedUpTo(c.commitIndex(), member.role() == io.raftex.core.Role.LEADER
                    ? java.util.OptionalLong.of(member.term()) : java.util.OptionalLong.empty());
            applyUpTo(c.commitIndex());
        } else if (e instanceof Effect.ProposalAccepted a) {
            onAccepted(a);
        } else if (e instanceof Effect.ProposalRejected r) {
            PendingCommand p = proposed.remove(r.requestId());
            if (p != null) {
                p.callback().accept(new Outcome.Retry(r.reason().name()));
            }
        } else if (e instanceof Effect.ReadReady r) {
            PendingRead read = reads.remove(r.requestId());
            if (read != null) {
                readsAwaitingApply.computeIfAbsent(r.readIndex(), k -> new ArrayList<>()).add(read);
                serveReads();
            }
        } else if (e instanceof Effect.ReadRejected r) {
            PendingRead read = reads.remove(r.requestId());
            if (read != null) {
                read.callback().accept(new Outcome.Retry(r.reason().name()));
            }
        } else if (e instanceof Effect.RoleChanged r) {
            cluster.invariants.onRoleChanged(this, r);
        }
    }

    private void onAccepted(Effect.ProposalAccepted a) {
        PendingCommand p = proposed.remove(a.requestId());
        if (p == null) {
            return; // a duplicated answer
        }
        if (a.index() <= sessions.lastApplied()) {
            AppliedAt applied = recentResults.get(a.index());
            if (applied != null && applied.term() == a.term()) {
                answer(p, applied.result());
            } else {
                p.callback().accept(new Outcome.Retry("entry " + a.index() + " was replaced"));
            }
            return;
        }
        Placed previous = placed.put(a.index(), new Placed(p, a.term()));
        if (previous != null) {
            previous.command().callback().accept(new Outcome.Retry("entry " + a.index() + " was replaced"));
        }
    }

    private void applyUpTo(long commitIndex) {
        while (sessions.lastApplied() < commitIndex) {
            LogEntry entry = disk.entry(sessions.lastApplied() + 1);
            cluster.invariants.onApply(this, entry);
            CommandResult result = sessions.apply(entry).orElse(null);
            if (result != null) {
                cluster.invariants.onCommandResult(this, entry, result);
                recentResults.put(entry.index(), new AppliedAt(entry.term(), result));
                if (recentResults.size() > 4096) {
                    recentResults.pollFirstEntry();
                }
            }
            Placed p = placed.remove(entry.index());
            if (p != null) {
                if (p.term() == entry.term() && result != null) {
                    answer(p.command(), result);
                } else {
                    p.command().callback().accept(new Outcome.Retry("entry " + entry.index() + " was replaced"));
                }
            }
        }
        serveReads();
    }

    private static void answer(PendingCommand p, CommandResult result) {
        if (result instanceof CommandResult.SessionExpired || result instanceof CommandResult.Failed) {
            p.callback().accept(new Outcome.Retry(result.toString()));
        } else {
            p.callback().accept(new Outcome.Ok(new String(result.bytes(), StandardCharsets.UTF_8)));
        }
    }

    private void serveReads() {
        while (!readsAwaitingApply.isEmpty() && readsAwaitingApply.firstKey() <= sessions.lastApplied()) {
            for (PendingRead r : readsAwaitingApply.pollFirstEntry().getValue()) {
                r.callback().accept(new Outcome.Ok(kv.get(r.key()).orElse(null)));
            }
        }
    }

    // ------------------------------------------------------------------ disk

    private void scheduleFlush() {
        if (up) {
            scheduleFlush(incarnation);
        }
    }

    /** Tells the core what became durable, as the node runtime does once its disk reports it. */
    @Override
    protected void afterFlush() {
        while (!durableEvents.isEmpty() && up) {
            long[] ev = durableEvents.poll();
            run(member.onLogDurable(ev[0], ev[1], ev[2]));
        }
    }

    @Override
    boolean serving() {
        return up;
    }

    @Override
    View view() {
        return new View(member.role(), member.term(), member.leader(), member.commitIndex(), sessions.lastApplied(),
                disk.lastIndex());
    }

    @Override
    public String toString() {
        return up ? member.toString() : id + "[down]";
    }
}
