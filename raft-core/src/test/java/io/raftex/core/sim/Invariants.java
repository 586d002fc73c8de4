package io.raftex.core.sim;

import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.protocol.Effect;
import io.raftex.core.session.CommandResult;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Raft's safety properties, checked as the simulation runs, at the moment each one could first be broken:
 * election safety, log matching, leader completeness, state machine safety (one command per index everywhere),
 * at-most-once application, and the durability rules of DESIGN.md §3 (vote durable before it leaves, acks only
 * of durable entries, commit counted on durable copies of an entry of the leader's own term).
 */
final class Invariants {

    private final SimCluster cluster;
    private final Map<Long, MemberId> leaderOfTerm = new HashMap<>();
    /** The committed log as every member has learned it so far. */
    private final List<LogEntry> committed = new ArrayList<>();
    /** Per member, the (client, sequence) pairs its state machine applied (not duplicates). */
    private final Map<MemberId, Set<String>> appliedCommands = new HashMap<>();
    long elections;

    Invariants(SimCluster cluster) {
        this.cluster = cluster;
    }

    private AssertionError violation(String what) {
        return new AssertionError("invariant violated at t=" + cluster.scheduler.now() + "ms: " + what
                + "\n  " + cluster.describe());
    }

    List<LogEntry> committedLog() {
        return committed;
    }

    Set<String> appliedCommands(MemberId id) {
        return appliedCommands.getOrDefault(id, Set.of());
    }

    /** A restarted member rebuilds its state machine from the log, so it applies everything again. */
    void onRestart(SimNode node) {
        appliedCommands.remove(node.id);
    }

    /** Election safety and leader completeness. */
    void onRoleChanged(SimNode node, Effect.RoleChanged r) {
        if (r.role() != Role.LEADER) {
            return;
        }
        elections++;
        MemberId previous = leaderOfTerm.putIfAbsent(r.term(), node.id);
        if (previous != null && !previous.equals(node.id)) {
            throw violation("two leaders in term " + r.term() + ": " + previous + " and " + node.id);
        }
        // the no-op of the new term is appended after this effect is issued, so the log is as it was elected
        for (LogEntry c : committed) {
            if (node.disk.lastIndex() < c.index() || !node.disk.entry(c.index()).equals(c)) {
                throw violation("leader " + node.id + " of term " + r.term() + " lacks committed entry " + c);
            }
        }
    }

    /** Log matching: an appended entry agrees with every member holding the same (index, term). */
    void onAppend(SimNode node, List<LogEntry> entries, long prevTerm) {
        long prevIndex = entries.get(0).index() - 1;
        for (LogEntry e : entries) {
            long expectedPrevTerm = e.index() - 1 == prevIndex ? prevTerm : -2;
            for (SimNode other : cluster.nodes) {
                if (other == node || other.disk.termAt(e.index()) != e.term()) {
                    continue;
                }
                LogEntry theirs = other.disk.entry(e.index());
                if (!theirs.equals(e)) {
                    throw violation("log matching: " + node.id + " appends " + e + " but " + other.id + " has "
                            + theirs);
                }
                if (expectedPrevTerm != -2 && other.disk.termAt(prevIndex) != expectedPrevTerm) {
                    throw violation("log matching: " + node.id + " and " + other.id + " agree at " + e.index()
                            + " but not at " + prevIndex);
                }
            }
        }
    }

    void onTruncate(SimNode node, long fromIndex) {
        if (fromIndex <= committed.size()) {
            LogEntry c = committed.get((int) fromIndex - 1);
            if (node.disk.termAt(fromIndex) == c.term()) {
                throw violation(node.id + " truncates committed entry " + c);
            }
        }
    }

    /** State machine safety, and rules 2 and 3 when the member is the leader. */
    void onCommit(SimNode node, long from, long to) {
        for (long i = from + 1; i <= to; i++) {
            LogEntry e = node.disk.entry(i);
            if (i <= committed.size()) {
                LogEntry c = committed.get((int) i - 1);
                if (!c.equals(e)) {
                    throw violation(node.id + " commits " + e + " where " + c + " was committed");
                }
            } else {
                committed.add(e);
            }
        }
        if (node.member.role() == Role.LEADER) {
            long term = node.member.term();
            if (node.disk.termAt(to) != term) {
                throw violation("leader " + node.id + " commits " + to + " of term " + node.disk.termAt(to)
                        + " by counting in term " + term);
            }
            int durableCopies = 0;
            for (SimNode other : cluster.nodes) {
                if (other.disk.durableTermAt(to) == term) {
                    durableCopies++;
                }
            }
            int quorum = cluster.nodes.size() / 2 + 1;
            if (durableCopies < quorum) {
                throw violation("leader " + node.id + " commits " + to + " with only " + durableCopies
                        + " durable copies");
            }
        }
    }

    void onApply(SimNode node, LogEntry entry) {
        if (entry.index() > committed.size() || !committed.get((int) entry.index() - 1).equals(entry)) {
            throw violation(node.id + " applies " + entry + " which is not the committed entry at that index");
        }
    }

    /** At most once: no member applies the same client command twice. */
    void onCommandResult(SimNode node, LogEntry entry, CommandResult result) {
        if (entry.type() == EntryType.COMMAND && entry.clientId() != 0 && result instanceof CommandResult.Applied) {
            String key = entry.clientId() + "#" + entry.sequence();
            if (!appliedCommands.computeIfAbsent(node.id, k -> new HashSet<>()).add(key)) {
                throw violation(node.id + " applied command " + key + " twice (again at " + entry.index() + ")");
            }
        }
    }

    /** Rule 1 (vote durable before it leaves) and rule 2 (acknowledge only durable entries). */
    void beforeSend(SimNode node, RaftMessage m) {
        PersistentState durable = node.disk.state();
        if (m instanceof VoteRequest v) {
            if (durable.currentTerm() != v.term() || !durable.votedFor().equals(java.util.Optional.of(node.id))) {
                throw violation(node.id + " asks for votes in term " + v.term() + " before persisting its own vote ("
                        + durable + ")");
            }
        } else if (m instanceof VoteResponse v && v.granted()) {
            if (durable.currentTerm() != v.term() || !durable.votedFor().equals(java.util.Optional.of(v.to()))) {
                throw violation(node.id + " grants its vote to " + v.to() + " in term " + v.term()
                        + " before persisting it (" + durable + ")");
            }
        } else if (m instanceof AppendEntriesResponse a && a.success() && a.matchIndex() > 0) {
            if (node.disk.durableTermAt(a.matchIndex()) != node.disk.termAt(a.matchIndex())) {
                throw violation(node.id + " acknowledges " + a.matchIndex() + " before it is durable");
            }
        }
    }
}
