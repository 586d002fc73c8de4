package io.raftex.core.sim;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.protocol.Effect;
import io.raftex.core.session.CommandResult;
import io.raftex.core.snapshot.SnapshotMeta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Raft's safety properties, checked as the simulation runs, at the moment each one could first be broken:
 * election safety, log matching, leader completeness, state machine safety (one command per index everywhere),
 * at-most-once application, and the durability rules of docs/contracts.md (vote durable before it leaves, acks only
 * of durable entries, commit counted on durable copies of an entry of the leader's own term).
 *
 * <p>The same checks serve both shells ({@link SimNode} and the real runtime in {@link RuntimeNode}). A shell may
 * catch what the checks throw (the runtime turns any throwable in a task into a group stop), so the first violation
 * is also kept in {@link #firstViolation()}, which the cluster checks after every event.
 */
final class Invariants {

    private final SimulatedCluster cluster;
    private final Map<Long, MemberId> leaderOfTerm = new HashMap<>();
    /** The committed log as every member has learned it so far. */
    private final List<LogEntry> committed = new ArrayList<>();
    /** Per member, the (client, sequence) pairs its state machine applied (not duplicates). */
    private final Map<MemberId, Set<String>> appliedCommands = new HashMap<>();
    /** Per member, the payloads (as text) of the commands its state machine applied. */
    private final Map<MemberId, Set<String>> appliedPayloads = new HashMap<>();
    /** The payload of every command any member's state machine ever applied, in any incarnation. */
    private final Set<String> everApplied = new HashSet<>();
    /** The snapshots already found to record the committed configuration at their index (a store keeps its metas). */
    private final Set<SnapshotMeta> snapshotsChecked = Collections.newSetFromMap(new IdentityHashMap<>());
    private AssertionError firstViolation;
    long elections;

    Invariants(SimulatedCluster cluster) {
        this.cluster = cluster;
    }

    /** Records (if it is the first) and returns a violation; the caller throws it. */
    AssertionError violation(String what) {
        AssertionError e = new AssertionError("invariant violated at t=" + cluster.scheduler().now() + "ms: " + what
                + "\n  " + cluster.describe());
        if (firstViolation == null) {
            firstViolation = e;
        }
        return e;
    }

    /** The first violation found, even if whoever it was thrown to swallowed it. */
    Optional<AssertionError> firstViolation() {
        return Optional.ofNullable(firstViolation);
    }

    List<LogEntry> committedLog() {
        return committed;
    }

    Set<String> appliedCommands(MemberId id) {
        return appliedCommands.getOrDefault(id, Set.of());
    }

    /** The payloads (as text) of the commands member {@code id}'s state machine applied in its current incarnation. */
    Set<String> appliedPayloads(MemberId id) {
        return appliedPayloads.getOrDefault(id, Set.of());
    }

    /** Whether any member's state machine ever applied a command with this payload. */
    boolean everApplied(String payload) {
        return everApplied.contains(payload);
    }

    /** A restarted member rebuilds its state machine from the log, so it applies everything again. */
    void onRestart(SimMember node) {
        appliedCommands.remove(node.id());
        appliedPayloads.remove(node.id());
    }

    /** Election safety and leader completeness. */
    void onRoleChanged(SimMember node, Effect.RoleChanged r) {
        onRoleChanged(node, r.role(), r.term());
    }

    /** Election safety and leader completeness, for a member that now has {@code role} in {@code term}. */
    void onRoleChanged(SimMember node, Role role, long term) {
        if (role != Role.LEADER) {
            return;
        }
        elections++;
        MemberId id = node.id();
        InMemoryGroupLog disk = node.disk();
        MemberId previous = leaderOfTerm.putIfAbsent(term, id);
        if (previous != null && !previous.equals(id)) {
            throw violation("two leaders in term " + term + ": " + previous + " and " + id);
        }
        // a new leader appends its no-op at the end, so every committed entry must be there already
        for (LogEntry c : committed) {
            if (c.index() < disk.snapshotIndex()) {
                continue; // in its snapshot, which holds only committed entries
            }
            if (c.index() == disk.snapshotIndex()) {
                if (disk.termAt(c.index()) != c.term()) {
                    throw violation("leader " + id + " of term " + term + " has a snapshot at " + c.index()
                            + " of term " + disk.termAt(c.index()) + " where " + c + " was committed");
                }
                continue;
            }
            if (disk.lastIndex() < c.index() || !disk.entry(c.index()).equals(c)) {
                throw violation("leader " + id + " of term " + term + " lacks committed entry " + c);
            }
        }
    }

    /** Log matching: an appended entry agrees with every member holding the same (index, term). */
    void onAppend(SimMember node, List<LogEntry> entries, long prevTerm) {
        long prevIndex = entries.get(0).index() - 1;
        for (LogEntry e : entries) {
            long expectedPrevTerm = e.index() - 1 == prevIndex ? prevTerm : -2;
            for (SimMember other : cluster.members()) {
                InMemoryGroupLog theirLog = other.disk();
                if (other == node || e.index() <= theirLog.snapshotIndex() || theirLog.termAt(e.index()) != e.term()) {
                    continue;
                }
                LogEntry theirs = theirLog.entry(e.index());
                if (!theirs.equals(e)) {
                    throw violation("log matching: " + node.id() + " appends " + e + " but " + other.id() + " has "
                            + theirs);
                }
                if (expectedPrevTerm != -2 && theirLog.termAt(prevIndex) != expectedPrevTerm) {
                    throw violation("log matching: " + node.id() + " and " + other.id() + " agree at " + e.index()
                            + " but not at " + prevIndex);
                }
            }
        }
    }

    void onTruncate(SimMember node, long fromIndex) {
        if (fromIndex <= committed.size()) {
            LogEntry c = committed.get((int) fromIndex - 1);
            if (node.disk().termAt(fromIndex) == c.term()) {
                throw violation(node.id() + " truncates committed entry " + c);
            }
        }
    }

    /**
     * State machine safety: the member knows entries {@code from + 1 .. to} committed. With {@code leaderTerm}, the
     * member is the leader of that term and advanced its commit index to {@code to} by counting: rules 2 and 3.
     */
    void onCommit(SimMember node, long from, long to, OptionalLong leaderTerm) {
        InMemoryGroupLog disk = node.disk();
        // the committed log is built in order: never start past its end
        for (long i = Math.min(from, committed.size()) + 1; i <= to; i++) {
            if (i <= disk.snapshotIndex()) {
                // compacted into a snapshot here: a snapshot holds only applied entries, each checked as applied
                if (i > committed.size()) {
                    throw violation(node.id() + " holds a snapshot up to " + disk.snapshotIndex() + " but only "
                            + committed.size() + " entries are known committed");
                }
                continue;
            }
            LogEntry e = disk.entry(i);
            if (i <= committed.size()) {
                LogEntry c = committed.get((int) i - 1);
                if (!c.equals(e)) {
                    throw violation(node.id() + " commits " + e + " where " + c + " was committed");
                }
            } else {
                committed.add(e);
            }
        }
        if (leaderTerm.isPresent()) {
            long term = leaderTerm.getAsLong();
            if (disk.termAt(to) != term) {
                throw violation("leader " + node.id() + " commits " + to + " of term " + disk.termAt(to)
                        + " by counting in term " + term);
            }
            // the leader counted the voters of the configuration in force when it committed: the newest in its
            // log then, which is the one at `to` or a later one it holds now (one change at a time: any two
            // adjacent configurations' majorities overlap)
            List<ConfigEntry> history = configHistory(node);
            ClusterConfig atTo = history.get(0).config();
            int first = 0;
            for (int k = 0; k < history.size(); k++) {
                if (history.get(k).index() <= to) {
                    atTo = history.get(k).config();
                    first = k;
                }
            }
            StringBuilder counted = new StringBuilder();
            boolean quorum = false;
            for (int k = first; k < history.size() && !quorum; k++) {
                ClusterConfig config = k == first ? atTo : history.get(k).config();
                int durableCopies = 0;
                for (SimMember other : cluster.members()) {
                    if (config.isVoter(other.id()) && other.heldDurably(
                            config.member(other.id()).orElseThrow().incarnation(), to, term)) {
                        durableCopies++;
                    }
                }
                quorum = durableCopies >= config.quorum();
                counted.append(' ').append(durableCopies).append(" of ").append(config.voters());
            }
            if (!quorum) {
                throw violation("leader " + node.id() + " commits " + to + " with only" + counted
                        + " durable copies");
            }
        }
    }

    /**
     * The configurations a member's log holds, oldest first, from the log alone: the one at its snapshot point
     * ({@link SimMember#configAtLogStart()}), then every configuration entry after it. The newest is in force.
     * Independent of the persisted configuration list and of the core's recovery rule, which it checks.
     */
    static List<ConfigEntry> configHistory(SimMember node) {
        InMemoryGroupLog disk = node.disk();
        List<ConfigEntry> history = new ArrayList<>();
        history.add(new ConfigEntry(disk.snapshotIndex(), disk.termAt(disk.snapshotIndex()), node.configAtLogStart()));
        for (long i = disk.firstIndex(); i <= disk.lastIndex(); i++) {
            LogEntry e = disk.entry(i);
            if (e.type() == EntryType.CONFIG) {
                history.add(new ConfigEntry(e.index(), e.term(), ConfigCodec.decode(e.payload())));
            }
        }
        return history;
    }

    /**
     * Every snapshot a member holds records the configuration in force at its index in the committed log (a snapshot
     * holds only applied entries, so the committed log reaches its index). A wrong one would put the wrong voters in
     * force on every member that restores or installs it, and would make {@link #configHistory} wrong as well, as it
     * takes the configuration at the log's start from the snapshot there.
     */
    void onSnapshotsHeld(SimMember node, List<SnapshotMeta> held, ClusterConfig bootstrap) {
        for (SnapshotMeta meta : held) {
            if (meta.index() > committed.size() || snapshotsChecked.contains(meta)) {
                continue;
            }
            ClusterConfig truth = committedConfigAt(meta.index(), bootstrap);
            if (!meta.config().equals(truth)) {
                throw violation(node.id() + " holds a snapshot at " + meta.index() + " (term " + meta.term()
                        + ") recording " + meta.config().members() + " while the configuration in force there is "
                        + truth.members());
            }
            snapshotsChecked.add(meta);
        }
    }

    /**
     * The configuration in force at {@code index} of the committed log as members learned it: the newest
     * configuration entry up to there, else {@code bootstrap}.
     */
    ClusterConfig committedConfigAt(long index, ClusterConfig bootstrap) {
        for (long i = Math.min(index, committed.size()); i >= 1; i--) {
            LogEntry e = committed.get((int) i - 1);
            if (e.type() == EntryType.CONFIG) {
                return ConfigCodec.decode(e.payload());
            }
        }
        return bootstrap;
    }

    /** The configuration in force on a member: the newest its log holds (see {@link #configHistory}). */
    static ClusterConfig configInForce(SimMember node) {
        InMemoryGroupLog disk = node.disk();
        for (long i = disk.lastIndex(); i >= disk.firstIndex(); i--) {
            LogEntry e = disk.entry(i);
            if (e.type() == EntryType.CONFIG) {
                return ConfigCodec.decode(e.payload());
            }
        }
        return node.configAtLogStart();
    }

    /**
     * The member persists its configuration list: the newest configuration of it that its log holds must be the
     * newest its log holds (the list may name one more, about to be appended). A member whose configuration in force
     * lags its log (a crash brought back an entry its list had dropped) counts and campaigns among the wrong voters.
     */
    void onPersistState(SimMember node, PersistentState state) {
        InMemoryGroupLog disk = node.disk();
        ConfigEntry believed = null;
        for (ConfigEntry e : state.configs()) {
            if (e.index() <= disk.lastIndex()) {
                believed = e;
            }
        }
        ClusterConfig inForce = configInForce(node);
        if (believed != null && !believed.config().equals(inForce)) {
            throw violation(node.id() + " persists " + believed.config().members() + " (entry " + believed.index()
                    + ") as its configuration in force while its log holds " + inForce.members() + " as the newest"
                    + " (log " + disk.firstIndex() + ".." + disk.lastIndex() + ", its configurations "
                    + configHistory(node).stream().map(ConfigEntry::index).toList() + ", persisted "
                    + state.configs().stream().map(ConfigEntry::index).toList() + ")");
        }
    }

    void onApply(SimMember node, LogEntry entry) {
        if (entry.index() > committed.size() || !committed.get((int) entry.index() - 1).equals(entry)) {
            throw violation(node.id() + " applies " + entry + " which is not the committed entry at that index");
        }
    }

    /** At most once: no member applies the same client command twice. */
    void onCommandResult(SimMember node, LogEntry entry, CommandResult result) {
        if (entry.type() == EntryType.COMMAND && result instanceof CommandResult.Applied) {
            onCommandApplied(node, entry);
        }
    }

    /**
     * The member's state machine applied the command {@code entry} (not a duplicate the session table answered):
     * at most once per (client, sequence), and its payload is recorded as having taken effect.
     */
    void onCommandApplied(SimMember node, LogEntry entry) {
        if (entry.clientId() != 0) {
            String key = entry.clientId() + "#" + entry.sequence();
            if (!appliedCommands.computeIfAbsent(node.id(), k -> new HashSet<>()).add(key)) {
                throw violation(node.id() + " applied command " + key + " twice (again at " + entry.index() + ")");
            }
        }
        String payload = new String(entry.payload(), java.nio.charset.StandardCharsets.UTF_8);
        appliedPayloads.computeIfAbsent(node.id(), k -> new HashSet<>()).add(payload);
        everApplied.add(payload);
    }

    /** Rule 1 (vote durable before it leaves) and rule 2 (acknowledge only durable entries). */
    void beforeSend(SimMember node, RaftMessage m) {
        InMemoryGroupLog disk = node.disk();
        MemberId id = node.id();
        PersistentState durable = disk.state();
        if (m instanceof VoteRequest v) {
            if (durable.currentTerm() != v.term() || !durable.votedFor().equals(Optional.of(id))) {
                throw violation(id + " asks for votes in term " + v.term() + " before persisting its own vote ("
                        + durable + ")");
            }
        } else if (m instanceof VoteResponse v && v.granted()) {
            if (durable.currentTerm() != v.term() || !durable.votedFor().equals(Optional.of(v.to()))) {
                throw violation(id + " grants its vote to " + v.to() + " in term " + v.term()
                        + " before persisting it (" + durable + ")");
            }
        } else if (m instanceof AppendEntriesResponse a && a.success() && a.matchIndex() > 0) {
            if (a.matchIndex() > node.durableSnapshotIndex()
                    && disk.durableTermAt(a.matchIndex()) != disk.termAt(a.matchIndex())) {
                throw violation(id + " acknowledges " + a.matchIndex() + " before it is durable");
            }
        }
    }
}
