package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.message.ForwardCommand;
import io.raftex.core.message.ForwardCommandResponse;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.InstallSnapshotResponse;
import io.raftex.core.message.MembershipChangeRequest;
import io.raftex.core.message.MembershipChangeResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.ReadIndexRequest;
import io.raftex.core.message.ReadIndexResponse;
import io.raftex.core.message.SnapshotRequest;
import io.raftex.core.message.TimeoutNow;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.protocol.Effect.Rejection;
import io.raftex.core.snapshot.SnapshotMeta;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * The Raft protocol for one member of one group, as a pure state machine: ticks, messages, proposals, reads and
 * storage events go in; {@link Effect}s come out. It has no threads, reads no clock and does no I/O of its own; it
 * calls its {@link GroupLog} to append (asynchronously) and to persist term and vote (synchronously, before any
 * vote leaves). One thread at a time must call it.
 *
 * <p>Implements elections with pre-vote (Raft thesis §9.6) and leader stickiness, check-quorum, pipelined and
 * batched replication with fast backtracking, commitment by counting only entries of the leader's own term
 * (§5.4.2), ReadIndex reads (thesis §6.4) for the leader and, by forwarding, for followers, and snapshots: a
 * follower that needs entries the leader has compacted away gets the leader's snapshot instead (§7), which the shell
 * transfers in chunks while the core keeps the pace and the bookkeeping.
 *
 * <p>Membership changes one member at a time (thesis §4.1): a configuration entry takes effect on every member as
 * soon as it is in its log, committed or not; the leader appends one only after it has committed an entry of its
 * term and while no other configuration entry is uncommitted. A {@link Membership#PROMOTABLE} member replicates
 * without a vote and the leader makes it a voter once it holds the leader's log as of its joining; a leader that
 * removed itself steps down once the removal is committed.
 *
 * <p>Incarnations ({@link Incarnations}): votes and acknowledgements count only from the incarnation of a member's
 * data directory that the configuration binds; a leader binds a new one by a configuration entry (a voter that lost
 * its disk comes back promotable), and a new group forms only with every voter's grant.
 *
 * <p>The bookkeeping lives beside it, each part with tests of its own: {@link ProgressTracker} and {@link Progress}
 * (replication to each follower and the quorum arithmetic), {@link ConfigChanges} and {@link ConfigHistory}
 * (membership changes and the configurations the log holds), {@link ReadIndexRounds} (reads waiting for a heartbeat
 * quorum) and {@link Incarnations}. The class stays larger than the others because it is the step function: the
 * handler of every message and input is here side by side (as in etcd-raft's {@code raft.go}), so the handling of
 * one message reads in one place, and the state those handlers share is one list of fields.
 */
public final class RaftMember {

    /**
     * The highest term a member takes or campaigns for: {@code Long.MAX_VALUE / 2}, far beyond any term elections
     * reach, so that a term never wraps. A message of a higher term is dropped (the transport refuses it before); a
     * member whose term is at the limit does not campaign and says so.
     */
    public static final long MAX_TERM = Long.MAX_VALUE / 2;

    /**
     * The most a message may raise this member's term by: 2^32 terms, more than elections make in any real history.
     * A message further ahead is dropped, so that no single message (a flipped bit, a forged term) takes a group to
     * {@link #MAX_TERM}, where its members could campaign no more; what it can take is one step.
     */
    public static final long MAX_TERM_STEP = 1L << 32;

    private final String group;
    private final MemberId self;
    private final ProtocolConfig cfg;
    private final GroupLog log;
    private final Random random;

    private long term;
    private Optional<MemberId> votedFor;
    /** The configurations the log holds; the newest is in force ({@link #config()}). */
    private final ConfigHistory configs;

    private Role role = Role.FOLLOWER;
    private Optional<MemberId> leader = Optional.empty();
    private long commitIndex;
    private long durableIndex;
    private long clockMillis;
    /** The last sender and term a refusal was logged for, so that a repeated bad message is logged once. */
    private String lastRefusalLogged = "";
    /** What a peer last reported of this member's removal; see {@link #removal()}. */
    private Optional<Removal> removal = Optional.empty();

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    private final Set<MemberId> granted = new HashSet<>();
    private final Set<MemberId> rejected = new HashSet<>();

    /** Leader only: replication state per peer. */
    private final ProgressTracker progress;
    /** Leader only: the member leadership is being handed to, while a transfer runs. */
    private Optional<MemberId> transferTarget = Optional.empty();
    private int transferElapsed;
    /** Leader only: an entry of the current term has been committed. */
    private boolean committedOwnTerm;
    /**
     * Leader only: the answers given in this term to forwarded membership changes, by sender and request id, so that
     * a duplicated request gets the same answer and never a second entry (the newest few hundred).
     */
    private final Map<String, ChangeOutcome> answeredChanges = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ChangeOutcome> eldest) {
            return size() > 256;
        }
    };
    /** Leader only: the index each promotable member's match must reach before it is made a voter. */
    private final Map<MemberId, Long> promoteAt = new HashMap<>();
    /** Follower only: highest index known to match the current leader's log. */
    private long leaderMatched;
    /** Follower only: highest match index acknowledged to the current leader. */
    private long lastAckedMatch;
    /** Follower only: latest read round received from the current leader. */
    private long leaderReadRound;

    /** Leader only: linearizable reads waiting for a commit of the leader's term or a heartbeat quorum. */
    private final ReadIndexRounds reads;
    /** Whose votes and acknowledgements count, and the bindings a leader still has to append. */
    private final Incarnations incarnations = new Incarnations();
    /**
     * True while this member's state machine cannot be rebuilt from its log and waits for a leader's snapshot: it
     * does not campaign, and takes every snapshot offered even if it has that much committed.
     */
    private boolean stateMissing;

    private List<Effect> out = new ArrayList<>();

    /**
     * Recovers a member from its store: term, vote and configuration from the persisted state, the log as it is.
     * Every recovered entry counts as durable; what the log's snapshot point covers counts as committed.
     */
    public RaftMember(String group, MemberId self, ProtocolConfig cfg, GroupLog log, Random random) {
        this(group, self, cfg, log, random, null);
    }

    /**
     * As above, for a member whose state machine was restored from the snapshot {@code restored} (null if none):
     * what it covers is committed (a snapshot holds only applied entries), and its configuration is the one in force
     * at its index.
     */
    public RaftMember(String group, MemberId self, ProtocolConfig cfg, GroupLog log, Random random,
                      SnapshotMeta restored) {
        this.group = Objects.requireNonNull(group, "group");
        this.self = Objects.requireNonNull(self, "self");
        this.cfg = Objects.requireNonNull(cfg, "cfg");
        this.log = Objects.requireNonNull(log, "log");
        this.random = Objects.requireNonNull(random, "random");
        this.progress = new ProgressTracker(self);
        PersistentState state = log.state();
        this.term = state.currentTerm();
        this.votedFor = state.votedFor();
        this.configs = ConfigHistory.recover(state.configs(), log,
                restored == null ? null : new ConfigEntry(restored.index(), restored.term(), restored.config()));
        this.durableIndex = log.lastIndex();
        long restoredIndex = restored == null ? 0 : restored.index();
        this.commitIndex = Math.min(Math.max(log.snapshotIndex(), restoredIndex), log.lastIndex());
        this.reads = new ReadIndexRounds(cfg.maxPendingReads(), new ReadLeader());
        resetElectionTimer();
    }

    // ------------------------------------------------------------------ inputs

    /** One tick of the shell's timer; {@code nowMillis} is the wall-clock time stamped on entries the leader appends. */
    public List<Effect> tick(long nowMillis) {
        clockMillis = Math.max(clockMillis, nowMillis);
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            electionElapsed++;
            if (electionElapsed >= randomizedElectionTimeout && config().isVoter(self) && !stateMissing
                    && mayCampaign()) {
                startElection(false);
            }
        }
        return drain();
    }

    /** A message from another member of the group. */
    public List<Effect> handle(RaftMessage message) {
        if (!message.to().equals(self) || !message.group().equals(group)) {
            return List.of();
        }
        if (message instanceof PreVoteResponse r && r.removedAtIndex() > 0) {
            noteRemoval(r.from(), r.removedAtIndex());
        } else if (message instanceof VoteResponse r && r.removedAtIndex() > 0) {
            noteRemoval(r.from(), r.removedAtIndex());
        }
        if (applyTermRules(message)) {
            dispatch(message);
        }
        return drain();
    }

    private void dispatch(RaftMessage message) {
        if (message instanceof AppendEntriesRequest m) {
            onAppendEntries(m);
        } else if (message instanceof AppendEntriesResponse m) {
            onAppendEntriesResponse(m);
        } else if (message instanceof PreVoteRequest m) {
            onPreVoteRequest(m);
        } else if (message instanceof PreVoteResponse m) {
            onPreVoteResponse(m);
        } else if (message instanceof VoteRequest m) {
            onVoteRequest(m);
        } else if (message instanceof VoteResponse m) {
            onVoteResponse(m);
        } else if (message instanceof ReadIndexRequest m) {
            onReadIndexRequest(m);
        } else if (message instanceof ReadIndexResponse m) {
            onReadIndexResponse(m);
        } else if (message instanceof ForwardCommand m) {
            onForwardCommand(m);
        } else if (message instanceof ForwardCommandResponse m) {
            onForwardCommandResponse(m);
        } else if (message instanceof TimeoutNow m) {
            onTimeoutNow(m);
        } else if (message instanceof InstallSnapshotRequest m) {
            onInstallSnapshot(m);
        } else if (message instanceof InstallSnapshotResponse m) {
            onInstallSnapshotResponse(m);
        } else if (message instanceof SnapshotRequest m) {
            onSnapshotRequest(m);
        } else if (message instanceof MembershipChangeRequest m) {
            onMembershipChangeRequest(m);
        } else if (message instanceof MembershipChangeResponse m) {
            onMembershipChangeResponse(m);
        }
    }

    /** Client commands: appended on the leader, forwarded from a follower that knows the leader, else rejected. */
    public List<Effect> propose(List<Proposal> proposals) {
        if (role == Role.LEADER && transferTarget.isPresent()) {
            // new entries would keep the target behind and make the transfer fail: hold them off
            for (Proposal p : proposals) {
                out.add(new Effect.ProposalRejected(p.requestId(), Rejection.LEADERSHIP_TRANSFER, transferTarget));
            }
        } else if (role == Role.LEADER && log.backPressured()) {
            // the store is behind: take nothing new until it catches up (the shell backs off and retries)
            for (Proposal p : proposals) {
                out.add(new Effect.ProposalRejected(p.requestId(), Rejection.OVERLOADED, Optional.empty()));
            }
        } else if (role == Role.LEADER) {
            List<LogEntry> entries = new ArrayList<>(proposals.size());
            long index = log.lastIndex();
            for (Proposal p : proposals) {
                index++;
                entries.add(new LogEntry(index, term, EntryType.COMMAND, p.clientId(), p.sequence(), p.ackedBelow(),
                        clockMillis, p.payload()));
                out.add(new Effect.ProposalAccepted(p.requestId(), index, term));
            }
            appendAsLeader(entries);
        } else if (leader.isPresent()) {
            for (Proposal p : proposals) {
                send(new ForwardCommand(group, self, leader.get(), term, p.requestId(), p.clientId(), p.sequence(),
                        p.ackedBelow(), p.payload()));
            }
        } else {
            for (Proposal p : proposals) {
                out.add(new Effect.ProposalRejected(p.requestId(), Rejection.NO_LEADER, Optional.empty()));
            }
        }
        return drain();
    }

    /**
     * Asks for a read index for a query of the given consistency ({@link ReadConsistency#LOCAL} needs none and is
     * answered at once with this member's commit index).
     */
    public List<Effect> read(long requestId, ReadConsistency consistency) {
        switch (consistency) {
            case LOCAL -> out.add(new Effect.ReadReady(requestId, 0));
            case LINEARIZABLE, LEADER -> {
                boolean quorumRound = consistency == ReadConsistency.LINEARIZABLE;
                if (role == Role.LEADER) {
                    reads.accept(new ReadIndexRounds.PendingRead(Optional.empty(), requestId, quorumRound),
                            committedOwnTerm);
                } else if (leader.isPresent()) {
                    send(new ReadIndexRequest(group, self, leader.get(), term, requestId, quorumRound));
                } else {
                    out.add(new Effect.ReadRejected(requestId, Rejection.NO_LEADER, Optional.empty()));
                }
            }
        }
        return drain();
    }

    /**
     * Asks for a membership change. The leader appends it as a configuration entry and answers
     * {@link Effect.ChangeAccepted} (the change has taken effect once that entry commits); a follower that knows the
     * leader forwards it; otherwise, or if the change cannot be made now, the answer is {@link Effect.ChangeRejected}.
     * A change the configuration already holds is accepted at the entry that holds it.
     */
    public List<Effect> changeMembership(long requestId, ConfigChange change) {
        Objects.requireNonNull(change, "change");
        if (role == Role.LEADER) {
            ChangeOutcome o = appendChange(change);
            out.add(o.rejection() == null ? new Effect.ChangeAccepted(requestId, o.index(), o.term())
                    : new Effect.ChangeRejected(requestId, o.rejection(), Optional.empty()));
        } else if (leader.isPresent()) {
            boolean remove = change instanceof ConfigChange.Remove;
            Member m = change instanceof ConfigChange.Add a ? a.member() : null;
            send(new MembershipChangeRequest(group, self, leader.get(), term, requestId, remove, change.id(),
                    m == null ? "" : m.address(), m == null ? null : m.membership()));
        } else {
            out.add(new Effect.ChangeRejected(requestId, ChangeRejection.NO_LEADER, Optional.empty()));
        }
        return drain();
    }

    /**
     * The store reports entries durable up to {@code index} with term {@code entryTerm}, written after
     * {@code storeTruncations} truncations (see {@link GroupLog.DurabilityListener#onDurable}). A report is current
     * only if the store has truncated nothing since: the count is the store's own, never a copy kept here, so
     * truncations made before this member was built (a recovery that reset the log to a snapshot) count as well.
     */
    public List<Effect> onLogDurable(long index, long entryTerm, long storeTruncations) {
        if (storeTruncations == log.truncations() && index > durableIndex && index <= log.lastIndex()
                && log.termAt(index) == entryTerm) {
            durableIndex = index;
            if (role == Role.LEADER) {
                maybeCommit();
            } else if (role == Role.FOLLOWER && leader.isPresent()
                    && Math.min(leaderMatched, durableIndex) > lastAckedMatch) {
                acknowledgeLeader(leader.get(), leaderReadRound);
            }
        }
        return drain();
    }

    /**
     * Asks the leader to hand leadership to {@code target} (Raft thesis §3.10). The leader stops taking new
     * commands, brings the target's log up to date, and then tells it to campaign at once. If leadership has not
     * passed within an election timeout, the leader gives up and takes commands again. Calling it again for the
     * same target while a transfer runs changes nothing.
     */
    public List<Effect> transferLeadership(MemberId target) {
        Progress pr = progress.get(target);
        if (role == Role.LEADER && !target.equals(self) && config().isVoter(target) && pr != null) {
            if (!transferTarget.equals(Optional.of(target))) {
                transferTarget = Optional.of(target);
                transferElapsed = 0;
            }
            if (pr.match == log.lastIndex()) {
                send(new TimeoutNow(group, self, target, term));
            } else {
                sendAppend(target, pr);
            }
        }
        return drain();
    }

    /**
     * The shell took a snapshot up to {@code index} (term {@code term}) and it is durable: the log may let the entries
     * up to {@code upTo} go (at most {@code index}; the shell may keep a tail for slow followers). Entries the snapshot
     * covers count as durable here from now on.
     */
    public List<Effect> snapshotTaken(long index, long term, long upTo) {
        if (index > commitIndex || upTo > index) {
            throw new IllegalArgumentException("group " + group + ": snapshot at " + index + " (compact to " + upTo
                    + ") beyond commit index " + commitIndex);
        }
        if (upTo > log.snapshotIndex()) {
            log.compact(upTo, log.termAt(upTo));
            configs.trimTo(log.snapshotIndex());
        }
        coverDurably(index);
        return drain();
    }

    /**
     * The shell stored a chunk of the leader's snapshot and now holds {@code received} bytes of it in order (0: it
     * starts over); the answer goes to the leader if it is still the leader of this term.
     */
    public List<Effect> snapshotChunkStored(InstallSnapshotRequest chunk, long received) {
        if (chunk.term() == term && role == Role.FOLLOWER && leader.equals(Optional.of(chunk.from()))) {
            send(new InstallSnapshotResponse(group, self, chunk.from(), term, chunk.lastIndex(), received, false,
                    incarnations.self()));
        }
        return drain();
    }

    /**
     * The shell verified a snapshot received from {@code from}, made it durable and restored the state machine from
     * it: the log now starts after it (keeping the entries after it if the log holds the snapshot's last entry; else
     * the log is replaced by the snapshot point), and the leader hears that it is installed.
     */
    public List<Effect> snapshotInstalled(SnapshotMeta meta, MemberId from) {
        long index = meta.index();
        if (index > log.snapshotIndex()) {
            if (index <= log.lastIndex() && log.termAt(index) == meta.term()) {
                log.compact(index, meta.term());
            } else {
                configs.truncateFrom(index + 1); // the entries after it go with the log
                log.resetTo(index, meta.term());
                durableIndex = index;
                lastAckedMatch = Math.min(lastAckedMatch, index);
            }
        }
        coverDurably(index);
        if (index > commitIndex) {
            commitIndex = index;
            out.add(new Effect.CommitAdvanced(commitIndex));
        }
        configs.rebase(new ConfigEntry(index, meta.term(), meta.config()));
        persistState();
        if (role == Role.FOLLOWER && leader.equals(Optional.of(from))) {
            leaderMatched = Math.max(leaderMatched, index);
            lastAckedMatch = Math.max(lastAckedMatch, index);
            send(new InstallSnapshotResponse(group, self, from, term, index, 0, true, incarnations.self()));
        }
        return drain();
    }

    /**
     * The shell holds a whole log but no state machine for it (its snapshot was lost): ask the leader for a snapshot
     * covering at least {@code needIndex}. Called again from time to time until one is installed.
     */
    public List<Effect> requestSnapshot(long needIndex) {
        if (role == Role.FOLLOWER && leader.isPresent()) {
            send(new SnapshotRequest(group, self, leader.get(), term, needIndex));
        }
        return drain();
    }

    /**
     * Tells the member whether its state machine is missing (lost with a damaged snapshot) and waits for a leader's
     * snapshot. Such a member must not lead (it could apply nothing), so it does not campaign; it still votes and
     * acknowledges, since its log is whole; and it takes a snapshot even of entries it has committed.
     */
    public void setStateMissing(boolean missing) {
        this.stateMissing = missing;
    }

    /**
     * Sets the incarnation of this member's data directory (0, the default: none), which it sends with every vote
     * and acknowledgement. Called once, before the first input.
     */
    public void setIncarnation(long incarnation) {
        incarnations.setSelf(incarnation);
    }

    /** The incarnation of this member's data directory (0: none). */
    public long incarnation() {
        return incarnations.self();
    }

    /**
     * Whether this member's votes and acknowledgements count in the configuration in force: it binds this member's
     * incarnation. False for a member that lost its disk until the leader binds its new incarnation, and for a
     * member of a group being formed until its first leader binds it.
     */
    public boolean incarnationBound() {
        return incarnations.selfCounts(config(), self);
    }

    /** The shell could not send a snapshot to {@code to} (none held, or it failed): try again from probing. */
    public List<Effect> snapshotSendFailed(MemberId to) {
        Progress pr = progress.get(to);
        if (role == Role.LEADER && pr != null && pr.state == Progress.State.SNAPSHOT) {
            pr.becomeProbe();
        }
        return drain();
    }

    /** Entries up to {@code index} are covered by a durable snapshot here: count them as durable. */
    private void coverDurably(long index) {
        if (index > durableIndex && index <= log.lastIndex()) {
            durableIndex = index;
            if (role == Role.LEADER) {
                maybeCommit();
            } else if (role == Role.FOLLOWER && leader.isPresent()
                    && Math.min(leaderMatched, durableIndex) > lastAckedMatch) {
                acknowledgeLeader(leader.get(), leaderReadRound);
            }
        }
    }

    // ------------------------------------------------------------------ views

    /** The member's state now. */
    public MemberStatus status() {
        List<MemberStatus.PeerStatus> peers = new ArrayList<>();
        for (Member m : config().members()) {
            if (m.id().equals(self)) {
                peers.add(new MemberStatus.PeerStatus(m.id(), m.address(), m.membership(), durableIndex,
                        log.lastIndex() + 1, m.incarnation()));
                continue;
            }
            Progress pr = progress.get(m.id());
            peers.add(new MemberStatus.PeerStatus(m.id(), m.address(), m.membership(),
                    pr == null ? 0 : pr.match, pr == null ? 0 : pr.next, m.incarnation()));
        }
        return new MemberStatus(group, self, role, term, leader, commitIndex, log.lastIndex(), durableIndex, peers,
                incarnations.self(), incarnationBound(), removal());
    }

    public Role role() {
        return role;
    }

    public long term() {
        return term;
    }

    public Optional<MemberId> leader() {
        return leader;
    }

    public long commitIndex() {
        return commitIndex;
    }

    public long durableIndex() {
        return durableIndex;
    }

    public MemberId self() {
        return self;
    }

    public String group() {
        return group;
    }

    /** Leader only: the member leadership is being handed to, while a transfer runs. */
    public Optional<MemberId> transferTarget() {
        return transferTarget;
    }

    /** The configuration in force: the newest in the log, committed or not. */
    public ClusterConfig config() {
        return configs.latest();
    }

    /** The configuration in force at {@code index} (at or after the log's snapshot point), for a snapshot there. */
    public ClusterConfig configAt(long index) {
        return configs.at(index);
    }

    /** Index of the entry that carries the configuration in force (0: the bootstrap configuration). */
    public long configIndex() {
        return configs.latestIndex();
    }

    // ------------------------------------------------------------------ terms and elections

    /**
     * Applies Raft's term rules before a message is handled. Returns false when the message must be dropped.
     */
    private boolean applyTermRules(RaftMessage m) {
        if (m.term() > MAX_TERM || m.term() - term > MAX_TERM_STEP) {
            logRefusalOnce(m.from(), m.term(), "drops a message of term " + m.term() + " from " + m.from()
                    + ": more than " + MAX_TERM_STEP + " terms ahead of its term " + term + ", or past the highest"
                    + " term " + MAX_TERM);
            return false;
        }
        if (m.term() > term) {
            if (m instanceof PreVoteRequest) {
                return true; // a pre-vote never changes the receiver's term
            }
            if (m instanceof PreVoteResponse r && r.granted()) {
                return true; // a granted pre-vote carries the term the sender would stand in
            }
            if (m instanceof VoteRequest v && (!v.transfer() || !config().isVoter(v.from())) && inLeaderLease()) {
                // leader stickiness: a live leader is not deposed by a disruptive candidate; only a voter's vote
                // for a leadership transfer passes (who is not a voter here cannot have been told to campaign)
                return false;
            }
            // a TimeoutNow names no leader (onTimeoutNow checks who sent it)
            boolean fromLeader = m instanceof AppendEntriesRequest || m instanceof InstallSnapshotRequest;
            becomeFollower(m.term(), fromLeader ? Optional.of(m.from()) : Optional.empty());
            return true;
        }
        if (m.term() < term) {
            if (m instanceof AppendEntriesRequest a) {
                // a stale leader learns of the newer term from the answer and steps down
                send(new AppendEntriesResponse(group, self, a.from(), term, false, 0, a.prevLogIndex(), 0, 0,
                        a.readRound(), incarnations.self()));
            } else if (m instanceof InstallSnapshotRequest i) {
                send(new InstallSnapshotResponse(group, self, i.from(), term, i.lastIndex(), 0, false,
                        incarnations.self()));
            } else if (m instanceof PreVoteRequest p) {
                send(new PreVoteResponse(group, self, p.from(), term, false, incarnations.self(),
                        removedAtIndex(p.from())));
            } else if (m instanceof VoteRequest v) {
                send(new VoteResponse(group, self, v.from(), term, false, incarnations.self(),
                        removedAtIndex(v.from())));
            } else if (m instanceof MembershipChangeRequest c) {
                // a request from an older term is stale: refused, it can never be appended later either (a copy
                // appended now could contradict the refusal its sender may already have reported)
                send(new MembershipChangeResponse(group, self, c.from(), term, c.requestId(),
                        ChangeRejection.NOT_LEADER, 0, 0));
            } else if (m instanceof ReadIndexRequest || m instanceof ForwardCommand) {
                return true; // requests on behalf of clients do not depend on the sender's term
            }
            return false;
        }
        return true;
    }

    private boolean inLeaderLease() {
        if (!cfg.checkQuorum()) {
            return false;
        }
        return role == Role.LEADER || (leader.isPresent() && electionElapsed < cfg.electionTimeoutTicks());
    }

    private void startElection(boolean transfer) {
        if (term >= MAX_TERM) {
            // a next term would pass the limit (and in the end wrap negative): stay a follower, say so once
            resetElectionTimer();
            logRefusalOnce(self, term, "does not campaign: its term " + term + " is the highest term " + MAX_TERM);
            return;
        }
        if (cfg.preVote() && !transfer) {
            changeRole(Role.PRE_CANDIDATE, Optional.empty());
            granted.clear();
            rejected.clear();
            incarnations.startElection();
            tally(self, incarnations.self(), true);
            resetElectionTimer();
            if (electionWon()) {
                campaign(false);
                return;
            }
            for (MemberId voter : config().voters()) {
                if (!voter.equals(self)) {
                    send(new PreVoteRequest(group, self, voter, term + 1, log.lastIndex(), log.termAt(log.lastIndex())));
                }
            }
        } else {
            campaign(transfer);
        }
    }

    private void campaign(boolean transfer) {
        term++;
        votedFor = Optional.of(self);
        persistState();
        changeRole(Role.CANDIDATE, Optional.empty());
        granted.clear();
        rejected.clear();
        incarnations.startElection();
        tally(self, incarnations.self(), true);
        resetElectionTimer();
        if (electionWon()) {
            becomeLeader();
            return;
        }
        for (MemberId voter : config().voters()) {
            if (!voter.equals(self)) {
                send(new VoteRequest(group, self, voter, term, log.lastIndex(), log.termAt(log.lastIndex()),
                        transfer));
            }
        }
    }

    private void onPreVoteRequest(PreVoteRequest m) {
        // a member votes whatever its own configuration says: the candidate counts only the votes of its voters, and
        // a member whose log lacks the entry that made it a voter may be the vote that an election needs
        boolean grant = m.term() > term && !inLeaderLease() && logIsUpToDate(m.lastLogTerm(), m.lastLogIndex());
        send(new PreVoteResponse(group, self, m.from(), grant ? m.term() : term, grant, incarnations.self(),
                removedAtIndex(m.from())));
    }

    /**
     * The index of this member's configuration if it is committed and leaves {@code candidate} out, else 0: a
     * member removed while cut off from the leader never gets the entry that removes it, and learns of it from the
     * answers to its campaigns ({@link #removal()}).
     */
    private long removedAtIndex(MemberId candidate) {
        long index = configs.latestIndex();
        return index > 0 && index <= commitIndex && config().member(candidate).isEmpty() ? index : 0;
    }

    /**
     * Notes a peer's word that a committed configuration later than any this member holds leaves it out. It changes
     * no decision of the protocol (a peer cannot be trusted to end a membership): it is what status and health say.
     */
    private void noteRemoval(MemberId reporter, long removedAtIndex) {
        if (removedAtIndex > configs.latestIndex()
                && (removal.isEmpty() || removal.get().configIndex() < removedAtIndex)) {
            removal = Optional.of(new Removal(removedAtIndex, reporter));
        }
    }

    /**
     * A committed configuration that leaves this member out, as a peer reported it in answer to a campaign, while
     * this member's own log holds no configuration as late and no leader has replicated to it since.
     */
    public Optional<Removal> removal() {
        // asked after every step (status, IncarnationWatch): no allocation
        return removal.isPresent() && removal.get().configIndex() > configs.latestIndex() ? removal : Optional.empty();
    }

    /**
     * A peer's report that this member is no longer in the group's configuration.
     *
     * @param configIndex the index of the committed configuration that leaves this member out
     * @param reportedBy  the member that reported it
     */
    public record Removal(long configIndex, MemberId reportedBy) {
    }

    private void onPreVoteResponse(PreVoteResponse m) {
        if (role != Role.PRE_CANDIDATE || m.term() != term + 1 || !config().isVoter(m.from())) {
            return;
        }
        tally(m.from(), m.incarnation(), m.granted());
        if (electionWon()) {
            campaign(false);
        } else if (hasQuorum(rejected)) {
            becomeFollower(term, Optional.empty());
        }
    }

    private void onVoteRequest(VoteRequest m) {
        boolean canVote = votedFor.map(v -> v.equals(m.from())).orElse(leader.isEmpty());
        boolean grant = canVote && logIsUpToDate(m.lastLogTerm(), m.lastLogIndex());
        if (grant) {
            if (votedFor.isEmpty()) {
                votedFor = Optional.of(m.from());
                persistState(); // rule 1: durable before the vote leaves
            }
            electionElapsed = 0;
        }
        send(new VoteResponse(group, self, m.from(), term, grant, incarnations.self(), removedAtIndex(m.from())));
    }

    private void onVoteResponse(VoteResponse m) {
        if (role != Role.CANDIDATE || !config().isVoter(m.from())) {
            return;
        }
        tally(m.from(), m.incarnation(), m.granted());
        if (electionWon()) {
            becomeLeader();
        } else if (hasQuorum(rejected)) {
            becomeFollower(term, Optional.empty());
        }
    }

    private void onTimeoutNow(TimeoutNow m) {
        // only the leader this member follows, or (while it knows none, say as a pre-candidate) a voter of its
        // configuration, may tell it to campaign at once
        boolean fromLeader = leader.map(l -> l.equals(m.from())).orElseGet(() -> config().isVoter(m.from()));
        if (fromLeader && config().isVoter(self) && role != Role.LEADER && !stateMissing && mayCampaign()) {
            startElection(true);
        }
    }

    /**
     * Counts an answer to a (pre-)vote request: only from the incarnation the configuration binds; a grant of any
     * incarnation is noted for the bootstrap rule ({@link Incarnations}).
     */
    private void tally(MemberId voter, long incarnation, boolean grant) {
        if (grant) {
            incarnations.grantedByAny(voter, incarnation);
        }
        if (Incarnations.counts(config(), voter, incarnation)) {
            (grant ? granted : rejected).add(voter);
        }
    }

    /** A quorum of counted grants, or, while the group is being formed, the grant of every voter. */
    private boolean electionWon() {
        return hasQuorum(granted) || (forming() && incarnations.unanimous(config()));
    }

    private boolean forming() {
        return Incarnations.forming(config(), configs.latestIndex(), log.lastIndex(), log.snapshotIndex());
    }

    /** A member campaigns only if its own vote counts, or to form a new group (which needs every voter's grant). */
    private boolean mayCampaign() {
        return incarnations.selfCounts(config(), self) || forming();
    }

    private boolean logIsUpToDate(long lastTerm, long lastIndex) {
        long myLastTerm = log.termAt(log.lastIndex());
        return lastTerm > myLastTerm || (lastTerm == myLastTerm && lastIndex >= log.lastIndex());
    }

    private boolean hasQuorum(Set<MemberId> ids) {
        int n = 0;
        for (MemberId id : ids) {
            if (config().isVoter(id)) {
                n++;
            }
        }
        return n >= config().quorum();
    }

    // ------------------------------------------------------------------ role changes

    private void becomeFollower(long newTerm, Optional<MemberId> newLeader) {
        boolean newTermOrLeader = newTerm > term || !newLeader.equals(leader);
        if (newTerm > term) {
            term = newTerm;
            votedFor = Optional.empty();
            persistState();
        }
        if (role == Role.LEADER) {
            reads.failAll();
            progress.clear();
            promoteAt.clear();
        }
        if (newTermOrLeader) {
            // what we knew of a leader's log holds for that leader in that term only: the same member leading a
            // later term may hold a different log (it lost unsynced entries, or another leader overwrote them)
            // and numbers its read rounds afresh
            leaderMatched = 0;
            lastAckedMatch = 0;
            leaderReadRound = 0;
        }
        changeRole(Role.FOLLOWER, newLeader);
        resetElectionTimer();
    }

    private void becomeLeader() {
        changeRole(Role.LEADER, Optional.of(self));
        progress.reset(config(), log.lastIndex() + 1);
        committedOwnTerm = false;
        heartbeatElapsed = 0;
        electionElapsed = 0;
        incarnations.becomeLeader();
        Optional<ClusterConfig> binding = forming() ? incarnations.bootstrapBinding(config()) : Optional.empty();
        if (binding.isPresent()) {
            // a new group: its first entry binds every member to the incarnation it voted with (and serves as the
            // leader's no-op); from then on only those count
            appendAsLeader(List.of(new LogEntry(log.lastIndex() + 1, term, EntryType.CONFIG, 0, 0, 0, clockMillis,
                    ConfigCodec.encode(binding.get()))));
        } else {
            appendAsLeader(List.of(LogEntry.noop(log.lastIndex() + 1, term, clockMillis)));
        }
        answeredChanges.clear();
        promoteAt.clear();
        for (Member m : config().members()) {
            if (m.membership() == Membership.PROMOTABLE) {
                promoteAt.put(m.id(), log.lastIndex()); // when it joined is not known here: from now on
            }
        }
    }

    private void changeRole(Role newRole, Optional<MemberId> newLeader) {
        if (newRole != Role.LEADER) {
            transferTarget = Optional.empty();
        }
        if (newRole != role || !newLeader.equals(leader)) {
            role = newRole;
            leader = newLeader;
            out.add(new Effect.RoleChanged(role, term, leader));
        }
    }

    private void resetElectionTimer() {
        electionElapsed = 0;
        randomizedElectionTimeout = cfg.electionTimeoutTicks() + random.nextInt(cfg.electionTimeoutTicks());
    }

    private void persistState() {
        configs.trimTo(log.snapshotIndex());
        log.persistState(new PersistentState(term, votedFor, configs.entries()));
    }

    // ------------------------------------------------------------------ leader

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (transferTarget.isPresent() && ++transferElapsed >= cfg.electionTimeoutTicks()) {
            transferTarget = Optional.empty(); // it did not happen in time: lead on
        }
        if (electionElapsed >= cfg.electionTimeoutTicks()) {
            electionElapsed = 0;
            if (cfg.checkQuorum() && !progress.quorumActive(config())) {
                becomeFollower(term, Optional.empty());
                return;
            }
        }
        if (heartbeatElapsed >= cfg.heartbeatTicks()) {
            heartbeatElapsed = 0;
            progress.forEach((id, pr) -> {
                if (pr.state == Progress.State.SNAPSHOT
                        && ++pr.heartbeatsSinceSnapshotProgress * cfg.heartbeatTicks() >= 4 * cfg.electionTimeoutTicks()) {
                    pr.becomeProbe(); // the transfer went quiet: start it again (the follower keeps what it has)
                }
                pr.probeSent = false;
                pr.checkStalled();
                sendHeartbeat(id, pr);
                sendAppend(id, pr);
            });
        }
    }

    private void appendAsLeader(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        boolean reconfigured = recordConfigs(entries);
        if (reconfigured) {
            persistState(); // before the entry can be durable: recovery drops a configuration the log lost
        }
        log.append(entries);
        if (reconfigured) {
            leaderConfigChanged();
        }
        progress.forEach(this::sendAppend);
        maybeCommit(); // a single voter commits as soon as its own write is durable; harmless otherwise
    }

    /** Sends entries to a follower while it has something to receive and room in flight (pipelining). */
    private void sendAppend(MemberId to, Progress pr) {
        if (pr.state == Progress.State.SNAPSHOT) {
            return; // entries wait for the snapshot to be installed
        }
        if (pr.next - 1 < log.snapshotIndex()) {
            // the entries this follower needs next are compacted away: it gets the snapshot instead
            pr.becomeSnapshot();
            out.add(new Effect.SendSnapshot(to, 0));
            return;
        }
        while (pr.canSend(cfg.maxInflightMessages())
                && (pr.state == Progress.State.PROBE || pr.next <= log.lastIndex())) {
            sendOneAppend(to, pr);
        }
    }

    private void sendOneAppend(MemberId to, Progress pr) {
        long last = log.lastIndex();
        long prev = pr.next - 1;
        List<LogEntry> entries = pr.next > last ? List.of()
                : log.entries(pr.next, Math.min(last, pr.next + cfg.maxEntriesPerMessage() - 1),
                cfg.maxBytesPerMessage());
        send(new AppendEntriesRequest(group, self, to, term, prev, log.termAt(prev), entries, commitIndex,
                reads.currentRound()));
        pr.commitSent = commitIndex;
        pr.sent(prev + entries.size());
    }

    /**
     * An empty AppendEntries at the follower's match index: keeps the lease, carries the commit index and the read
     * round. The full commit index is safe to send: a follower commits no further than what it knows matches.
     */
    private void sendHeartbeat(MemberId to, Progress pr) {
        // a match below the snapshot point has no known term any more: index 0 matches every log, and is committed
        long prev = pr.match >= log.snapshotIndex() ? pr.match : 0;
        send(new AppendEntriesRequest(group, self, to, term, prev, log.termAt(prev), List.of(),
                commitIndex, reads.currentRound()));
        pr.commitSent = commitIndex;
    }

    /**
     * The progress of the follower an answer came from, marked as heard from (check-quorum); null if this member does
     * not lead or the sender is not a follower of it.
     */
    private Progress heardFrom(MemberId follower) {
        Progress pr = role == Role.LEADER ? progress.get(follower) : null;
        if (pr != null) {
            pr.recentActive = true;
        }
        return pr;
    }

    /**
     * Leader: whether an answer of {@code incarnation} from {@code from} may be counted, that is, comes from the
     * incarnation the configuration in force binds. Any other is ignored (it holds nothing the group can count on),
     * and the leader binds the new incarnation as soon as it may append a configuration entry.
     */
    private boolean fromBoundIncarnation(MemberId from, long incarnation) {
        if (role != Role.LEADER || Incarnations.counts(config(), from, incarnation)) {
            return true;
        }
        incarnations.heardUnbound(from, incarnation);
        maybeBind();
        return false;
    }

    private void onAppendEntriesResponse(AppendEntriesResponse m) {
        if (!fromBoundIncarnation(m.from(), m.incarnation())) {
            return;
        }
        Progress pr = heardFrom(m.from());
        if (pr == null) {
            return;
        }
        if (m.readRound() > pr.readRoundAcked) {
            pr.readRoundAcked = m.readRound();
            reads.confirm();
        }
        if (pr.state == Progress.State.SNAPSHOT) {
            // only a snapshot moves this follower on; an acknowledgement may show it no longer needs one
            if (m.success() && pr.acknowledge(m.matchIndex())) {
                matchAdvanced(m.from(), pr);
            }
            if (pr.match >= log.snapshotIndex() && pr.match > 0) {
                leaveSnapshotState(m.from(), pr);
            }
            return;
        }
        if (m.success()) {
            boolean advanced = pr.acknowledge(m.matchIndex());
            if (pr.state == Progress.State.PROBE) {
                pr.becomeReplicate();
                pr.next = pr.match + 1;
            }
            if (advanced) {
                matchAdvanced(m.from(), pr);
            }
            if (pr.commitSent < commitIndex && pr.state == Progress.State.REPLICATE && pr.next > log.lastIndex()) {
                // this follower acknowledged after the commit index moved on without it: tell it now rather
                // than at the next heartbeat, so a command it forwarded is answered promptly
                sendHeartbeat(m.from(), pr);
            }
        } else {
            if (!rejectionIsCurrent(pr, m.rejectedIndex())) {
                return;
            }
            if (m.rejectedIndex() == pr.match && pr.match > 0) {
                // the follower no longer holds what it acknowledged (its disk lost or cut the tail, or it was
                // wiped), or this is a rejection overtaken by a later acknowledgement: either way, forget the match
                // and find the follower's log again from its hint. Lowering a match only delays commits.
                pr.match = 0;
            }
            long next = nextAfterRejection(m);
            pr.becomeProbe();
            pr.next = Math.max(pr.match + 1, Math.min(next, m.rejectedIndex()));
        }
        sendAppend(m.from(), pr);
    }

    /**
     * A follower's match moved on (by entries or by a snapshot): the commit index may follow, and a transfer target
     * that now holds the whole log is told to campaign.
     */
    private void matchAdvanced(MemberId follower, Progress pr) {
        maybeCommit();
        if (role == Role.LEADER && transferTarget.equals(Optional.of(follower)) && pr.match == log.lastIndex()) {
            send(new TimeoutNow(group, self, follower, term));
        }
    }

    private static boolean rejectionIsCurrent(Progress pr, long rejectedIndex) {
        if (rejectedIndex < pr.match) {
            return false; // everything up to match is known to agree: a stale answer
        }
        return pr.state == Progress.State.REPLICATE || rejectedIndex == pr.next - 1;
    }

    /** Fast backtracking: skip a whole conflicting term at a time using the follower's hint. */
    private long nextAfterRejection(AppendEntriesResponse m) {
        if (m.conflictTerm() > 0) {
            long i = Math.min(m.rejectedIndex(), log.lastIndex());
            while (i > 0 && log.termAt(i) > m.conflictTerm()) {
                i--;
            }
            if (i > 0 && log.termAt(i) == m.conflictTerm()) {
                return i + 1;
            }
        }
        return m.conflictIndex();
    }

    /** Commits the highest index stored durably on a quorum of voters, if it is of the current term (§5.4.2). */
    private void maybeCommit() {
        if (role != Role.LEADER) {
            return;
        }
        long quorumIndex = progress.quorumIndex(config(), durableIndex);
        if (quorumIndex > commitIndex && log.termAt(quorumIndex) == term) {
            commitIndex = quorumIndex;
            out.add(new Effect.CommitAdvanced(commitIndex));
            if (!committedOwnTerm) {
                committedOwnTerm = true;
                reads.ownTermCommitted();
            }
            progress.forEach((id, pr) -> {
                if (pr.state == Progress.State.REPLICATE && pr.next > log.lastIndex()) {
                    sendHeartbeat(id, pr); // tell followers of the new commit index promptly
                }
            });
            if (!config().isVoter(self) && configs.latestIndex() <= commitIndex) {
                stepDownRemoved();
                return;
            }
        }
        maybeBind();
        maybePromote();
    }

    private void onForwardCommand(ForwardCommand m) {
        if (role != Role.LEADER || transferTarget.isPresent() || log.backPressured()) {
            send(new ForwardCommandResponse(group, self, m.from(), term, m.requestId(), false, 0, 0));
            return;
        }
        long index = log.lastIndex() + 1;
        send(new ForwardCommandResponse(group, self, m.from(), term, m.requestId(), true, index, term));
        appendAsLeader(List.of(new LogEntry(index, term, EntryType.COMMAND, m.clientId(), m.sequence(),
                m.ackedBelow(), clockMillis, m.payload())));
    }

    // ------------------------------------------------------------------ reads

    private void onReadIndexRequest(ReadIndexRequest m) {
        if (role != Role.LEADER) {
            send(new ReadIndexResponse(group, self, m.from(), term, m.requestId(), false, 0));
            return;
        }
        reads.accept(new ReadIndexRounds.PendingRead(Optional.of(m.from()), m.requestId(), m.confirmLeadership()),
                committedOwnTerm);
    }

    /** What {@link ReadIndexRounds} asks of this member while it leads. */
    private final class ReadLeader implements ReadIndexRounds.Leader {

        @Override
        public long commitIndex() {
            return commitIndex;
        }

        @Override
        public long quorumRound(long ownRound) {
            return progress.quorumReadRound(config(), ownRound);
        }

        @Override
        public void heartbeatVoters() {
            progress.forEach((id, pr) -> {
                if (config().isVoter(id)) {
                    sendHeartbeat(id, pr);
                }
            });
        }

        @Override
        public void complete(ReadIndexRounds.PendingRead read, long readIndex) {
            completeRead(read, readIndex);
        }

        @Override
        public void reject(ReadIndexRounds.PendingRead read, Rejection reason) {
            rejectRead(read, reason);
        }
    }

    private void completeRead(ReadIndexRounds.PendingRead read, long readIndex) {
        if (read.origin().isEmpty()) {
            out.add(new Effect.ReadReady(read.requestId(), readIndex));
        } else {
            send(new ReadIndexResponse(group, self, read.origin().get(), term, read.requestId(), true, readIndex));
        }
    }

    private void rejectRead(ReadIndexRounds.PendingRead read, Rejection reason) {
        if (read.origin().isEmpty()) {
            out.add(new Effect.ReadRejected(read.requestId(), reason, leader.filter(l -> !l.equals(self))));
        } else {
            send(new ReadIndexResponse(group, self, read.origin().get(), term, read.requestId(), false, 0));
        }
    }

    private void onReadIndexResponse(ReadIndexResponse m) {
        if (m.success()) {
            out.add(new Effect.ReadReady(m.requestId(), m.readIndex()));
        } else {
            out.add(new Effect.ReadRejected(m.requestId(), Rejection.NOT_LEADER, leader));
        }
    }

    private void onForwardCommandResponse(ForwardCommandResponse m) {
        if (m.accepted()) {
            out.add(new Effect.ProposalAccepted(m.requestId(), m.index(), m.entryTerm()));
        } else {
            out.add(new Effect.ProposalRejected(m.requestId(), Rejection.NOT_LEADER, leader));
        }
    }

    // ------------------------------------------------------------------ follower

    private void onAppendEntries(AppendEntriesRequest m) {
        if (role == Role.LEADER) {
            return; // two leaders in one term cannot happen; ignore rather than act on it
        }
        if (role != Role.FOLLOWER || leader.isEmpty() || !leader.get().equals(m.from())) {
            becomeFollower(term, Optional.of(m.from()));
        }
        electionElapsed = 0;
        removal = Optional.empty(); // a leader replicates to this member: its configuration holds it
        leaderReadRound = Math.max(leaderReadRound, m.readRound());

        long prev = m.prevLogIndex();
        if (prev + m.entries().size() <= commitIndex) {
            // all of it is committed here already, and committed entries are the same in every later leader's log;
            // but the match acknowledged is what the leader sent, never more than it has offered
            leaderMatched = Math.max(leaderMatched, prev + m.entries().size());
            followLeaderCommit(m.leaderCommit());
            acknowledgeLeader(m.from(), m.readRound());
            return;
        }
        List<LogEntry> entries = m.entries();
        if (prev < log.snapshotIndex()) {
            // the start of it is in this member's snapshot, hence committed and the same as the leader's: skip it
            entries = entries.subList((int) (log.snapshotIndex() - prev), entries.size());
            prev = log.snapshotIndex();
        } else if (log.termAt(prev) != m.prevLogTerm()) {
            rejectAppend(m);
            return;
        }
        int firstNew = 0;
        while (firstNew < entries.size() && log.termAt(entries.get(firstNew).index()) == entries.get(firstNew).term()) {
            firstNew++;
        }
        List<LogEntry> toAppend = entries.subList(firstNew, entries.size());
        if (!toAppend.isEmpty() && log.backPressured()) {
            // the store is behind: take none of the new entries now (the leader sends them again), but follow on
            leaderMatched = Math.max(leaderMatched, prev + firstNew);
            followLeaderCommit(m.leaderCommit());
            acknowledgeLeader(m.from(), m.readRound());
            return;
        }
        if (!toAppend.isEmpty()) {
            boolean reconfigured = false;
            LogEntry e = toAppend.get(0);
            if (log.termAt(e.index()) != -1) {
                if (e.index() <= commitIndex) {
                    // no correct leader sends this (Leader Completeness): refuse it whole, answer nothing
                    logRefusalOnce(m.from(), m.term(), "refuses an append from " + m.from() + " in term " + m.term()
                            + ": its entry " + e.index() + " of term " + e.term()
                            + " contradicts the committed entry of term " + log.termAt(e.index()));
                    return;
                }
                log.truncateFrom(e.index());
                durableIndex = Math.min(durableIndex, e.index() - 1);
                lastAckedMatch = Math.min(lastAckedMatch, e.index() - 1);
                reconfigured = configs.truncateFrom(e.index()); // an uncommitted configuration went with them
            }
            reconfigured |= recordConfigs(toAppend);
            if (reconfigured) {
                persistState(); // before the entries can be durable: recovery drops a configuration the log lost
            }
            log.append(toAppend);
        }
        leaderMatched = Math.max(leaderMatched, prev + entries.size());
        followLeaderCommit(m.leaderCommit());
        if (toAppend.isEmpty() || Math.min(leaderMatched, durableIndex) > lastAckedMatch) {
            acknowledgeLeader(m.from(), m.readRound());
        }
        // otherwise the answer waits for the new entries to be durable (onLogDurable): an answer now would
        // acknowledge nothing new and only add a message to every round trip
    }

    private void logRefusalOnce(MemberId from, long atTerm, String what) {
        String key = from + "@" + atTerm;
        if (!key.equals(lastRefusalLogged)) {
            lastRefusalLogged = key;
            out.add(new Effect.Refused(what)); // the shell logs it: the core does no I/O
        }
    }

    /** Commits up to the leader's commit index, but no further than what is known to match the leader's log. */
    private void followLeaderCommit(long leaderCommit) {
        long newCommit = Math.min(leaderCommit, leaderMatched);
        if (newCommit > commitIndex) {
            commitIndex = newCommit;
            out.add(new Effect.CommitAdvanced(commitIndex));
        }
    }

    /** Acknowledges to the leader whatever matches its log and is durable here (rule 2). */
    private void acknowledgeLeader(MemberId to, long readRound) {
        long match = Math.min(leaderMatched, durableIndex);
        lastAckedMatch = Math.max(lastAckedMatch, match);
        send(new AppendEntriesResponse(group, self, to, term, true, match, 0, 0, 0, readRound, incarnations.self()));
    }

    private void rejectAppend(AppendEntriesRequest m) {
        long prev = m.prevLogIndex();
        long conflictTerm;
        long conflictIndex;
        if (prev > log.lastIndex()) {
            conflictTerm = 0;
            conflictIndex = log.lastIndex() + 1;
        } else {
            conflictTerm = log.termAt(prev);
            long i = prev;
            while (i > commitIndex + 1 && i > log.firstIndex() && log.termAt(i - 1) == conflictTerm) {
                i--;
            }
            conflictIndex = i;
        }
        send(new AppendEntriesResponse(group, self, m.from(), term, false, 0, prev, conflictTerm, conflictIndex,
                m.readRound(), incarnations.self()));
    }

    // ------------------------------------------------------------------ snapshots

    private void onInstallSnapshot(InstallSnapshotRequest m) {
        if (role == Role.LEADER) {
            return;
        }
        if (role != Role.FOLLOWER || leader.isEmpty() || !leader.get().equals(m.from())) {
            becomeFollower(term, Optional.of(m.from()));
        }
        electionElapsed = 0;
        removal = Optional.empty();
        if (m.lastIndex() <= commitIndex && !stateMissing) {
            // this member has that much committed already, and committed entries match every later leader's log
            leaderMatched = Math.max(leaderMatched, m.lastIndex());
            send(new InstallSnapshotResponse(group, self, m.from(), term, m.lastIndex(), m.totalSize(), true,
                    incarnations.self()));
            return;
        }
        out.add(new Effect.SnapshotChunk(m));
    }

    private void onSnapshotRequest(SnapshotRequest m) {
        Progress pr = heardFrom(m.from());
        if (pr == null) {
            return;
        }
        if (pr.state != Progress.State.SNAPSHOT) {
            pr.becomeSnapshot();
        }
        pr.heartbeatsSinceSnapshotProgress = 0;
        out.add(new Effect.SendSnapshot(m.from(), m.needIndex()));
    }

    /** The follower holds a state up to its match: probe on from there (a new snapshot if the log moved past it). */
    private void leaveSnapshotState(MemberId follower, Progress pr) {
        pr.becomeProbe();
        pr.next = pr.match + 1;
        sendAppend(follower, pr);
    }

    private void onInstallSnapshotResponse(InstallSnapshotResponse m) {
        if (!fromBoundIncarnation(m.from(), m.incarnation())) {
            return;
        }
        Progress pr = heardFrom(m.from());
        if (pr == null) {
            return;
        }
        if (m.installed()) {
            if (pr.acknowledge(m.lastIndex())) {
                matchAdvanced(m.from(), pr);
            }
            if (pr.state == Progress.State.SNAPSHOT) {
                leaveSnapshotState(m.from(), pr);
            } else {
                sendAppend(m.from(), pr);
            }
        } else if (pr.state == Progress.State.SNAPSHOT) {
            pr.heartbeatsSinceSnapshotProgress = 0;
            out.add(new Effect.SnapshotChunkAcked(m.from(), m.lastIndex(), m.received()));
        }
    }

    // ------------------------------------------------------------------ membership

    /** What became of a membership change on the leader: a rejection, or where its entry is. */
    private record ChangeOutcome(ChangeRejection rejection, long index, long term) {
        static ChangeOutcome rejected(ChangeRejection reason) {
            return new ChangeOutcome(reason, 0, 0);
        }
    }

    /**
     * Leader: appends a configuration entry for {@code change}, if the configuration and the log allow it now
     * ({@link ConfigChanges}).
     */
    private ChangeOutcome appendChange(ConfigChange change) {
        ConfigChanges.Decision d = ConfigChanges.decide(change, configs, commitIndex, committedOwnTerm,
                transferTarget.isPresent(), incarnations.self());
        if (d instanceof ConfigChanges.Rejected r) {
            return ChangeOutcome.rejected(r.reason());
        }
        if (d instanceof ConfigChanges.Held) {
            return inPlace();
        }
        ClusterConfig next = ((ConfigChanges.Append) d).next();
        long index = log.lastIndex() + 1;
        appendAsLeader(List.of(new LogEntry(index, term, EntryType.CONFIG, 0, 0, 0, clockMillis,
                ConfigCodec.encode(next))));
        return new ChangeOutcome(null, index, term);
    }

    /** The configuration in force already holds the change: it is done once the entry that carries it commits. */
    private ChangeOutcome inPlace() {
        long index = configs.latestIndex();
        if (index <= commitIndex) {
            return new ChangeOutcome(null, 0, 0); // committed already: nothing to wait for
        }
        return new ChangeOutcome(null, index, log.termAt(index));
    }

    /** Notes the configurations among entries about to be appended; true if one was found. */
    private boolean recordConfigs(List<LogEntry> entries) {
        boolean found = false;
        for (LogEntry e : entries) {
            if (e.type() == EntryType.CONFIG) {
                configs.add(e.index(), e.term(), ConfigCodec.decode(e.payload()));
                found = true;
            }
        }
        return found;
    }

    /**
     * Leader: the configuration changed. Followers that joined get a progress (probing from the end of the log), those
     * that left lose theirs; a new promotable member is promoted once it holds the log up to the entry that added it.
     */
    private void leaderConfigChanged() {
        progress.configChanged(config(), log.lastIndex() + 1);
        promoteAt.keySet().removeIf(id -> config().member(id).map(m -> m.membership() != Membership.PROMOTABLE)
                .orElse(true));
        if (transferTarget.isPresent() && !config().isVoter(transferTarget.get())) {
            transferTarget = Optional.empty();
        }
        for (Member m : config().members()) {
            if (!m.id().equals(self) && m.membership() == Membership.PROMOTABLE) {
                promoteAt.putIfAbsent(m.id(), configs.latestIndex());
            }
        }
    }

    /**
     * Leader: appends a configuration entry binding the incarnation of a member it heard from (a member that lost
     * its disk becomes promotable), when no other configuration entry is uncommitted (one change at a time).
     */
    private void maybeBind() {
        if (role != Role.LEADER || !committedOwnTerm || transferTarget.isPresent() || !incarnations.bindingPending()) {
            return;
        }
        Optional<ClusterConfig> next = incarnations.nextBinding(config(), configs.latestIndex() > commitIndex);
        if (next.isPresent()) {
            appendAsLeader(List.of(new LogEntry(log.lastIndex() + 1, term, EntryType.CONFIG, 0, 0, 0, clockMillis,
                    ConfigCodec.encode(next.get()))));
        }
    }

    /**
     * Leader: makes a promotable member a voter once its match has reached its target, when no other configuration
     * entry is uncommitted (one change at a time).
     */
    private void maybePromote() {
        if (promoteAt.isEmpty() || role != Role.LEADER || !committedOwnTerm || transferTarget.isPresent()
                || configs.latestIndex() > commitIndex) {
            return;
        }
        for (Map.Entry<MemberId, Long> e : promoteAt.entrySet()) {
            Progress pr = progress.get(e.getKey());
            Optional<Member> m = config().member(e.getKey());
            if (pr != null && m.isPresent() && pr.match >= e.getValue()) {
                appendChange(new ConfigChange.Add(m.get().withMembership(Membership.VOTER)));
                return;
            }
        }
    }

    /**
     * Leader: the committed configuration leaves this member without a vote. It steps down (thesis §4.2.2) and, to spare
     * the others an election timeout, tells the voter with the most of its log to campaign at once if it holds it all.
     */
    private void stepDownRemoved() {
        progress.voterHoldingAll(config(), log.lastIndex())
                .ifPresent(best -> send(new TimeoutNow(group, self, best, term)));
        becomeFollower(term, Optional.empty());
    }

    private void onMembershipChangeRequest(MembershipChangeRequest m) {
        // the term rules refused requests of older terms; this one is of the current term
        String key = m.from().value() + "/" + m.requestId();
        ChangeOutcome o = role == Role.LEADER ? answeredChanges.get(key) : null;
        if (o != null) {
            // a copy of a request answered already (the network duplicates): the same answer, never a second entry
        } else if (role != Role.LEADER) {
            o = ChangeOutcome.rejected(ChangeRejection.NOT_LEADER);
        } else if (m.member() == null || (!m.remove() && (m.address() == null || m.membership() == null))) {
            o = ChangeOutcome.rejected(ChangeRejection.CONFLICT); // no correct member sends this
        } else {
            o = appendChange(m.remove() ? new ConfigChange.Remove(m.member())
                    : new ConfigChange.Add(new Member(m.member(), m.address(), m.membership())));
            answeredChanges.put(key, o);
        }
        send(new MembershipChangeResponse(group, self, m.from(), term, m.requestId(), o.rejection(), o.index(),
                o.term()));
    }

    private void onMembershipChangeResponse(MembershipChangeResponse m) {
        if (m.rejection() == null) {
            out.add(new Effect.ChangeAccepted(m.requestId(), m.index(), m.entryTerm()));
        } else {
            out.add(new Effect.ChangeRejected(m.requestId(), m.rejection(), leader));
        }
    }

    // ------------------------------------------------------------------ plumbing

    private void send(RaftMessage message) {
        out.add(new Effect.Send(message));
    }

    private List<Effect> drain() {
        if (out.isEmpty()) {
            return List.of();
        }
        List<Effect> result = out;
        out = new ArrayList<>();
        return result;
    }

    @Override
    public String toString() {
        return group + "/" + self + "[" + role + " t" + term + " commit=" + commitIndex + " last=" + log.lastIndex()
                + " durable=" + durableIndex + " leader=" + leader.map(MemberId::value).orElse("-") + "]";
    }
}
