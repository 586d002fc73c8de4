package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.LogEntry;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the protocol tests share: the group {@code g} of members n1 to n4, its configurations, logs that hold given
 * entries, members built on them, and the effects a test looks for. Members are built with a fixed seed, so a test's
 * election timeouts are the same on every run.
 */
final class ProtocolFixture {

    static final String G = "g";
    static final MemberId N1 = MemberId.of("n1");
    static final MemberId N2 = MemberId.of("n2");
    static final MemberId N3 = MemberId.of("n3");
    static final MemberId N4 = MemberId.of("n4");
    static final Member M4 = Member.voter("n4", "a4");
    /** Voters n1, n2, n3 at addresses a1, a2, a3, bound to no incarnation. */
    static final ClusterConfig THREE = new ClusterConfig(List.of(
            Member.voter("n1", "a1"), Member.voter("n2", "a2"), Member.voter("n3", "a3")));
    /** {@link #THREE} and the voter n4 at a4. */
    static final ClusterConfig FOUR = new ClusterConfig(List.of(
            Member.voter("n1", "a1"), Member.voter("n2", "a2"), Member.voter("n3", "a3"), M4));
    static final ProtocolConfig CFG = ProtocolConfig.defaults();

    private ProtocolFixture() {
    }

    /** A log of {@link #THREE} at {@code term} holding {@code entries}, all durable. */
    static RecordingLog log(long term, LogEntry... entries) {
        return log(term, THREE, entries);
    }

    /** A log of {@code config} at {@code term} holding {@code entries}, all durable. */
    static RecordingLog log(long term, ClusterConfig config, LogEntry... entries) {
        RecordingLog log = new RecordingLog(new PersistentState(term, Optional.empty(), config));
        if (entries.length > 0) {
            log.disk.append(List.of(entries));
            log.disk.flush();
        }
        return log;
    }

    /**
     * A log holding {@code entries} whose persisted state names, besides {@code base}, every configuration entry among
     * them (as a member that appended them has it: the state is written before such an entry is appended).
     */
    static RecordingLog logWithConfigs(long term, ClusterConfig base, LogEntry... entries) {
        List<ConfigEntry> configs = new ArrayList<>();
        configs.add(new ConfigEntry(0, 0, base));
        for (LogEntry e : entries) {
            if (e.type() == EntryType.CONFIG) {
                configs.add(new ConfigEntry(e.index(), e.term(), ConfigCodec.decode(e.payload())));
            }
        }
        RecordingLog log = new RecordingLog(new PersistentState(term, Optional.empty(), configs));
        log.disk.append(List.of(entries));
        log.disk.flush();
        return log;
    }

    /** A command entry whose payload is its index. */
    static LogEntry entry(long index, long term) {
        return new LogEntry(index, term, EntryType.COMMAND, 0, 0, 0, 0, new byte[]{(byte) index});
    }

    /** A configuration entry carrying {@code config}. */
    static LogEntry configEntry(long index, long term, ClusterConfig config) {
        return new LogEntry(index, term, EntryType.CONFIG, 0, 0, 0, 0, ConfigCodec.encode(config));
    }

    /** Member {@code id} of group {@link #G} recovered from {@code log}, with the default protocol settings. */
    static RaftMember member(MemberId id, GroupLog log) {
        return new RaftMember(G, id, CFG, log, new Random(1));
    }

    /** The messages of {@code type} among {@code effects}, in order. */
    static <T extends RaftMessage> List<T> sent(List<Effect> effects, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Effect e : effects) {
            if (e instanceof Effect.Send s && type.isInstance(s.message())) {
                out.add(type.cast(s.message()));
            }
        }
        return out;
    }

    /** Ticks {@code m} (the clock in milliseconds counts the ticks) until {@code done} holds for a tick's effects. */
    static List<Effect> tickUntil(RaftMember m, Predicate<List<Effect>> done) {
        for (int i = 0; i < 100; i++) {
            List<Effect> effects = m.tick(i);
            if (done.test(effects)) {
                return effects;
            }
        }
        throw new AssertionError("condition not reached in 100 ticks: " + m);
    }

    /** Makes n1 leader in term {@code term + 1} with n2's pre-vote and vote; its no-op is appended, not committed. */
    static RaftMember leader(RecordingLog log, long term) {
        return leader(CFG, log, term);
    }

    /** As {@link #leader(RecordingLog, long)}, with the protocol settings {@code cfg}. */
    static RaftMember leader(ProtocolConfig cfg, RecordingLog log, long term) {
        RaftMember m = new RaftMember(G, N1, cfg, log, new Random(1));
        tickUntil(m, e -> !sent(e, PreVoteRequest.class).isEmpty());
        m.handle(new PreVoteResponse(G, N2, N1, term + 1, true));
        m.handle(new VoteResponse(G, N2, N1, term + 1, true));
        assertThat(m.role()).isEqualTo(Role.LEADER);
        return m;
    }

    /** n1 leads term 1 of the log's configuration and has committed its no-op (index 1) with n2. */
    static RaftMember committedLeader(RecordingLog log) {
        RaftMember m = leader(log, 0);
        m.onLogDurable(1, 1, 0);
        m.handle(ack(N2, 1, 1));
        assertThat(m.commitIndex()).isEqualTo(1);
        return m;
    }

    /** {@code from}'s successful answer to n1 in {@code term}, acknowledging up to {@code match}. */
    static AppendEntriesResponse ack(MemberId from, long term, long match) {
        return new AppendEntriesResponse(G, from, N1, term, true, match, 0, 0, 0, 0);
    }

    /** As {@link #ack(MemberId, long, long)}, from the incarnation {@code incarnation} of {@code from}. */
    static AppendEntriesResponse ack(MemberId from, long term, long match, long incarnation) {
        return new AppendEntriesResponse(G, from, N1, term, true, match, 0, 0, 0, 0, incarnation);
    }

    /** Proposes one command whose payload is its request id. */
    static List<Effect> propose(RaftMember m, long requestId) {
        return m.propose(List.of(new Proposal(requestId, 0, 0, 0, new byte[]{(byte) requestId})));
    }

    static Effect.ChangeAccepted accepted(List<Effect> effects) {
        return effects.stream().filter(e -> e instanceof Effect.ChangeAccepted).map(e -> (Effect.ChangeAccepted) e)
                .findFirst().orElseThrow(() -> new AssertionError("no ChangeAccepted in " + effects));
    }

    static Effect.ChangeRejected rejected(List<Effect> effects) {
        return effects.stream().filter(e -> e instanceof Effect.ChangeRejected).map(e -> (Effect.ChangeRejected) e)
                .findFirst().orElseThrow(() -> new AssertionError("no ChangeRejected in " + effects));
    }
}
