package io.raftex.autoconfigure.transport;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
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
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each rule of {@link RaftMessageValidator}: a message that breaks it is refused, one that keeps it passes. */
class RaftMessageValidatorTest {

    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");
    private static final MemberId N3 = MemberId.of("n3");

    private static void valid(RaftMessage message) {
        assertThatCode(() -> RaftMessageValidator.validate(message, N2)).as(String.valueOf(message))
                .doesNotThrowAnyException();
    }

    private static void invalid(RaftMessage message, String... fragments) {
        assertThatThrownBy(() -> RaftMessageValidator.validate(message, N2)).as(String.valueOf(message))
                .isInstanceOf(InvalidRaftMessageException.class)
                .hasMessageContainingAll(fragments);
    }

    private static LogEntry cmd(long index, long term) {
        return new LogEntry(index, term, EntryType.COMMAND, 7, 3, 2, 1000, new byte[] {1, 2});
    }

    /** term 5, after entry 4 of term 3. */
    private static AppendEntriesRequest append(long prevLogIndex, long prevLogTerm, LogEntry... entries) {
        return append(5, prevLogIndex, prevLogTerm, entries);
    }

    private static AppendEntriesRequest append(long term, long prevLogIndex, long prevLogTerm, LogEntry... entries) {
        return new AppendEntriesRequest("kv", N1, N2, term, prevLogIndex, prevLogTerm, List.of(entries), 4, 2);
    }

    @Test
    void whatCorrectMembersSendPasses() {
        List<RaftMessage> messages = List.of(
                append(4, 3, cmd(5, 3), cmd(6, 5), LogEntry.noop(7, 5, 99)),
                append(4, 3), // heartbeat
                append(1, 0, 0, cmd(1, 1)), // the first entry of a log
                new AppendEntriesRequest("kv", N1, N2, 0, 0, 0, List.of(), 0, 0), // empty, term 0: stale and harmless
                new AppendEntriesResponse("kv", N1, N2, 5, true, 6, 0, 0, 0, 2),
                new AppendEntriesResponse("kv", N1, N2, 5, false, 0, 9, 4, 7, 2),
                new AppendEntriesResponse("kv", N1, N2, 6, false, 0, 9, 0, 0, 2), // stale leader told of term 6
                new PreVoteRequest("kv", N1, N2, 6, 7, 5),
                new PreVoteRequest("kv", N1, N2, 1, 0, 0),
                new PreVoteResponse("kv", N1, N2, 6, true),
                new VoteRequest("kv", N1, N2, 6, 7, 5, false),
                new VoteResponse("kv", N1, N2, 6, false),
                new ReadIndexRequest("kv", N1, N2, 5, -12, true), // request ids are the asker's own
                new ReadIndexResponse("kv", N1, N2, 5, 3, true, 6),
                new ForwardCommand("kv", N1, N2, 5, 8, -77, 3, 2, new byte[] {1}), // client ids are random longs
                new ForwardCommandResponse("kv", N1, N2, 5, 8, true, 7, 5),
                new ForwardCommandResponse("kv", N1, N2, 5, 8, false, 0, 0),
                new TimeoutNow("kv", N1, N2, 5),
                append(4, 3, cmd(5, 3), config(6, 5, CONFIG)),
                new MembershipChangeRequest("kv", N1, N2, 5, 3, false, N3, "http://10.0.0.3:8080",
                        Membership.PROMOTABLE),
                new MembershipChangeRequest("kv", N1, N2, 5, 4, true, N3, "", null), // what the core sends to remove
                new MembershipChangeRequest("kv", N1, N2, 2, 4, true, N3, "", Membership.VOTER), // stale term
                new MembershipChangeResponse("kv", N1, N2, 5, 3, null, 9, 5),
                new MembershipChangeResponse("kv", N1, N2, 5, 3, null, 0, 0), // in place already
                new MembershipChangeResponse("kv", N1, N2, 5, 3, ChangeRejection.IN_PROGRESS, 0, 0));
        messages.forEach(RaftMessageValidatorTest::valid);
    }

    private static final byte[] CONFIG = ConfigCodec.encode(new ClusterConfig(List.of(
            Member.voter("n1", "http://10.0.0.1:8080"),
            new Member(N2, "http://10.0.0.2:8080", Membership.NON_VOTER))));

    private static LogEntry config(long index, long term, byte[] payload) {
        return new LogEntry(index, term, EntryType.CONFIG, 0, 0, 0, 1000, payload);
    }

    @Test
    void configurationEntriesDecode() {
        valid(append(4, 3, config(5, 3, CONFIG)));
        invalid(append(4, 3, config(5, 3, new byte[0])), "entries[0].payload", "not a configuration");
        invalid(append(4, 3, cmd(5, 3), config(6, 3, java.util.Arrays.copyOf(CONFIG, CONFIG.length - 1))),
                "entries[1].payload", "not a configuration");
        byte[] trailing = java.util.Arrays.copyOf(CONFIG, CONFIG.length + 1);
        invalid(append(4, 3, config(5, 3, trailing)), "entries[0].payload", "after the configuration");
        byte[] noVoter = ConfigCodec.encode(new ClusterConfig(List.of(Member.voter("n1", "http://10.0.0.1:8080"))));
        noVoter[noVoter.length - 1] = (byte) Membership.NON_VOTER.ordinal();
        invalid(append(4, 3, config(5, 3, noVoter)), "entries[0].payload", "at least one voter");
        byte[] badKind = CONFIG.clone();
        badKind[badKind.length - 1] = 9;
        invalid(append(4, 3, config(5, 3, badKind)), "entries[0].payload", "unknown membership code 9");
    }

    @Test
    void aMembershipChangeNamesAMemberAndAnAdditionItsAddressAndMembership() {
        invalid(new MembershipChangeRequest("kv", N1, N2, 5, 3, true, null, "", null), "member", "is null");
        invalid(new MembershipChangeRequest("kv", N1, N2, 5, 3, false, null, "http://a:1", Membership.VOTER),
                "member", "is null");
        invalid(new MembershipChangeRequest("kv", N1, N2, 5, 3, false, N3, " ", Membership.VOTER), "address",
                "blank");
        invalid(new MembershipChangeRequest("kv", N1, N2, 5, 3, false, N3, null, Membership.VOTER), "address",
                "null");
        invalid(new MembershipChangeRequest("kv", N1, N2, 5, 3, false, N3, "http://a:1", null), "membership",
                "is null");
        invalid(new MembershipChangeRequest("kv", N1, N2, -1, 3, true, N3, "", null), "term", "negative");
    }

    @Test
    void anAcceptedChangeIsInPlaceOrAtAnEntryOfATermUpToTheLeaders() {
        invalid(new MembershipChangeResponse("kv", N1, N2, 5, 3, null, 0, 2), "entryTerm");
        invalid(new MembershipChangeResponse("kv", N1, N2, 5, 3, null, 7, 0), "entryTerm");
        invalid(new MembershipChangeResponse("kv", N1, N2, 5, 3, null, 7, 6), "entryTerm", "leader's term 5");
        invalid(new MembershipChangeResponse("kv", N1, N2, 5, 3, null, -7, 5), "entryTerm", "at index -7");
    }

    @Test
    void groupNamesAreLettersDigitsDotsDashesAndUnderscores() {
        for (String good : List.of("kv", "a", "kv.store_2-x", "9lives", "x".repeat(64))) {
            valid(new VoteResponse(good, N1, N2, 1, true));
            assertThatCode(() -> RaftMessageValidator.validateGroupName(good)).doesNotThrowAnyException();
        }
        for (String bad : List.of("", " ", "coun ter", "-kv", ".kv", "kv/1", "kv\n", "ünï", "x".repeat(65))) {
            invalid(new VoteResponse(bad, N1, N2, 1, true), "VoteResponse group", "is invalid");
            assertThatThrownBy(() -> RaftMessageValidator.validateGroupName(bad))
                    .isInstanceOf(InvalidRaftMessageException.class).hasMessageContaining("letters, digits");
        }
        invalid(new VoteResponse(null, N1, N2, 1, true), "group null");
    }

    @Test
    void senderAndReceiverDifferAndTheReceiverIsThisNode() {
        valid(new TimeoutNow("kv", N1, N2, 5));
        invalid(new TimeoutNow("kv", N2, N2, 5), "sent by its own receiver");
        invalid(new TimeoutNow("kv", N1, N3, 5), "addressed to 'n3', but this is node 'n2'");
        // without a receiver to compare with, only the structure counts
        assertThatCode(() -> RaftMessageValidator.validate(new TimeoutNow("kv", N1, N3, 5)))
                .doesNotThrowAnyException();
    }

    @Test
    void termsIndicesCommitReadRoundsAndSequencesAreNotNegative() {
        invalid(new VoteResponse("kv", N1, N2, -1, true), "VoteResponse.term is negative: -1");
        invalid(append(-1, 0), "prevLogIndex is negative");
        invalid(append(4, -1), "prevLogTerm is negative");
        invalid(new AppendEntriesRequest("kv", N1, N2, 5, 4, 3, List.of(), -1, 2), "leaderCommit is negative");
        invalid(new AppendEntriesRequest("kv", N1, N2, 5, 4, 3, List.of(), 4, -1), "readRound is negative");
        invalid(new AppendEntriesResponse("kv", N1, N2, 5, true, -5, 0, 0, 0, 0), "matchIndex is negative: -5");
        invalid(new AppendEntriesResponse("kv", N1, N2, 5, false, 0, 9, 4, -7, 0), "conflictIndex is negative");
        invalid(new ReadIndexResponse("kv", N1, N2, 5, 3, true, -6), "readIndex is negative");
        invalid(new ForwardCommand("kv", N1, N2, 5, 8, 7, -3, 2, new byte[0]), "ForwardCommand.sequence is negative");
        invalid(new ForwardCommand("kv", N1, N2, 5, 8, 7, 3, -2, new byte[0]), "ackedBelow is negative");
        invalid(append(4, 3, new LogEntry(5, 3, EntryType.COMMAND, 7, -3, 2, 0, new byte[0])),
                "entries[0].sequence is negative");
        invalid(append(4, 3, new LogEntry(5, 3, EntryType.COMMAND, 7, 3, -2, 0, new byte[0])),
                "entries[0].ackedBelow is negative");
        // ids and times are not counters: any value passes
        valid(append(4, 3, new LogEntry(5, 3, EntryType.COMMAND, -7, 3, 2, -1000, new byte[0])));
        valid(new ForwardCommandResponse("kv", N1, N2, 5, -8, false, 0, 0));
    }

    @Test
    void prevLogTermIsZeroExactlyAtIndexZeroAndNotAboveTheTerm() {
        valid(append(0, 0));
        invalid(append(0, 1), "AppendEntriesRequest.prevLogTerm is 1 but must be 0 when prevLogIndex is 0");
        invalid(append(4, 0), "prevLogTerm is 0 but prevLogIndex 4 is an entry");
        valid(append(4, 5));
        invalid(append(4, 6), "prevLogTerm is 6, above the leader's term 5");
    }

    @Test
    void entriesFollowPrevLogIndexWithoutGaps() {
        valid(append(4, 3, cmd(5, 3), cmd(6, 3)));
        invalid(append(4, 3, cmd(5, 3), cmd(7, 3)), "AppendEntriesRequest.entries[1].index is 7 but must be 6");
        invalid(append(4, 3, cmd(6, 3)), "entries[0].index is 6 but must be 5");
        invalid(append(4, 3, cmd(4, 3)), "entries[0].index is 4 but must be 5");
        invalid(append(4, 3, cmd(5, 3), cmd(5, 3)), "entries[1].index is 5 but must be 6");
        invalid(append(4, 3, cmd(6, 3), cmd(5, 3)), "entries[0].index");
        invalid(append(0, 0, cmd(2, 1)), "entries[0].index is 2 but must be 1");
    }

    @Test
    void entryIndicesDoNotOverflow() {
        valid(append(Long.MAX_VALUE - 1, 1, cmd(Long.MAX_VALUE, 1)));
        invalid(append(Long.MAX_VALUE, 1, cmd(1, 1)), "prevLogIndex is " + Long.MAX_VALUE, "overflow");
    }

    @Test
    void entryTermsAreAtMostTheMessageTerm() {
        valid(append(4, 3, cmd(5, 5)));
        invalid(append(4, 3, cmd(5, 6)), "entries[0].term is 6, above the leader's term 5");
        invalid(append(4, 3, cmd(5, 5), cmd(6, 9)), "entries[1].term is 9");
    }

    @Test
    void entryTermsAreAtLeastPrevLogTermAndNeverDecrease() {
        valid(append(4, 3, cmd(5, 3), cmd(6, 4), cmd(7, 4)));
        invalid(append(4, 3, cmd(5, 2)), "entries[0].term is 2, below the term 3 of prevLogTerm");
        invalid(append(4, 3, cmd(5, 4), cmd(6, 3)), "entries[1].term is 3, below the term 4 of entries[0]");
    }

    @Test
    void noopEntriesCarryNoPayload() {
        valid(append(4, 3, LogEntry.noop(5, 5, 1)));
        invalid(append(4, 3, new LogEntry(5, 5, EntryType.NOOP, 0, 0, 0, 1, new byte[] {1})),
                "entries[0].payload is 1 bytes, but a NOOP entry has none");
    }

    @Test
    void aSuccessfulAppendResponseCarriesNoRejectionHints() {
        valid(new AppendEntriesResponse("kv", N1, N2, 5, true, 6, 0, 0, 0, 2));
        invalid(new AppendEntriesResponse("kv", N1, N2, 5, true, 6, 4, 0, 0, 2), "reports success but carries");
        invalid(new AppendEntriesResponse("kv", N1, N2, 5, true, 6, 0, 3, 0, 2), "reports success but carries");
        invalid(new AppendEntriesResponse("kv", N1, N2, 5, true, 6, 0, 0, 1, 2), "reports success but carries");
    }

    @Test
    void theConflictTermIsNotAboveTheResponseTerm() {
        valid(new AppendEntriesResponse("kv", N1, N2, 5, false, 0, 9, 5, 7, 2));
        invalid(new AppendEntriesResponse("kv", N1, N2, 5, false, 0, 9, 6, 7, 2), "conflictTerm is 6, above");
    }

    @Test
    void aCandidatesLastLogTermIsZeroExactlyAtIndexZeroAndNotAboveItsTerm() {
        valid(new VoteRequest("kv", N1, N2, 3, 0, 0, false));
        invalid(new VoteRequest("kv", N1, N2, 3, 0, 1, false), "VoteRequest.lastLogTerm is 1 but must be 0");
        invalid(new VoteRequest("kv", N1, N2, 3, 4, 0, false), "lastLogTerm is 0 but lastLogIndex 4 is an entry");
        valid(new VoteRequest("kv", N1, N2, 3, 4, 3, true));
        invalid(new VoteRequest("kv", N1, N2, 3, 4, 4, false), "lastLogTerm is 4, above the candidate's term 3");
        valid(new PreVoteRequest("kv", N1, N2, 3, 4, 2));
        invalid(new PreVoteRequest("kv", N1, N2, 3, 0, 2), "PreVoteRequest.lastLogTerm is 2 but must be 0");
        invalid(new PreVoteRequest("kv", N1, N2, 3, 4, 0), "PreVoteRequest.lastLogTerm is 0");
        invalid(new PreVoteRequest("kv", N1, N2, 3, 4, 9), "PreVoteRequest.lastLogTerm is 9, above");
    }

    @Test
    void anAcceptedForwardedCommandHasAnIndexAndAnEntryTermUpToTheLeaders() {
        valid(new ForwardCommandResponse("kv", N1, N2, 5, 8, true, 1, 1));
        valid(new ForwardCommandResponse("kv", N1, N2, 5, 8, true, 7, 5));
        invalid(new ForwardCommandResponse("kv", N1, N2, 5, 8, true, 0, 5), "ForwardCommandResponse.index is 0");
        invalid(new ForwardCommandResponse("kv", N1, N2, 5, 8, true, 7, 0), "entryTerm is 0");
        invalid(new ForwardCommandResponse("kv", N1, N2, 5, 8, true, 7, 6), "entryTerm is 6");
    }

    @Test
    void theFirstBrokenRuleIsReported() {
        assertThatThrownBy(() -> RaftMessageValidator.validate(null)).isInstanceOf(InvalidRaftMessageException.class);
        assertThat(RaftMessageValidator.isValidGroupName(null)).isFalse();
        // group before receiver: a message that breaks both names the group
        invalid(new TimeoutNow("k v", N1, N3, 5), "group 'k v'");
    }

    @Test
    void snapshotChunksLieWithinTheirSnapshotOfAnIndexAndTermTheSenderCanHave() {
        valid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 4, 0, 10, new byte[4], 0));
        valid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 5, 6, 10, new byte[4], 0)); // the last chunk
        valid(new InstallSnapshotResponse("kv", N1, N2, 5, 100, 4, false));
        valid(new SnapshotRequest("kv", N1, N2, 5, 100));
        invalid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 6, 0, 10, new byte[4], 0), "lastTerm");
        invalid(new InstallSnapshotRequest("kv", N1, N2, 5, 0, 0, 0, 10, new byte[4], 0), "lastTerm");
        invalid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 4, 8, 10, new byte[4], 0), "data");
        invalid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 4, 0, 10, new byte[0], 0), "data");
        invalid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 4, -1, 10, new byte[4], 0), "offset is negative");
        invalid(new InstallSnapshotResponse("kv", N1, N2, 5, 100, -4, false), "received is negative");
        invalid(new InstallSnapshotResponse("kv", N1, N2, 5, 0, 4, false), "lastIndex");
        invalid(new SnapshotRequest("kv", N1, N2, 5, -1), "needIndex is negative");
        // offset + length must not overflow past totalSize
        invalid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 4, Long.MAX_VALUE - 7, Long.MAX_VALUE,
                new byte[16], 0), "data");
        valid(new InstallSnapshotRequest("kv", N1, N2, 5, 100, 4, Long.MAX_VALUE - 16, Long.MAX_VALUE,
                new byte[16], 0));
    }

    @Test
    void aTermLeavesRoomToCampaign() {
        long max = RaftMessageValidator.MAX_TERM;
        valid(new AppendEntriesRequest("kv", N1, N2, max, 0, 0, List.of(), 0, 0));
        valid(new VoteResponse("kv", N1, N2, max, false));
        invalid(new AppendEntriesRequest("kv", N1, N2, Long.MAX_VALUE, 0, 0, List.of(), 0, 0),
                "AppendEntriesRequest.term is " + Long.MAX_VALUE, "above the highest term " + max);
        invalid(new TimeoutNow("kv", N1, N2, max + 1), "TimeoutNow.term");
        invalid(new PreVoteRequest("kv", N1, N2, max + 1, 0, 0), "PreVoteRequest.term");
    }
}
