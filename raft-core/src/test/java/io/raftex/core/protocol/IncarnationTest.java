package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.Role;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.InstallSnapshotResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.raftex.core.protocol.ProtocolFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Incarnations (docs/membership.md, "Incarnations"): a vote or an acknowledgement counts only from the incarnation the
 * configuration binds; a member that lost its disk (a new incarnation) can neither elect nor be elected until the
 * leader has bound it, as promotable, by a configuration entry that commits like any change, and caught it up; a new
 * group forms only with every voter and binds them in its first entry.
 */
class IncarnationTest {

    private static final long I1 = 0x11;
    private static final long I2 = 0x22;
    private static final long I3 = 0x33;
    /** n3's incarnation after its disk was lost. */
    private static final long I3_NEW = 0x77;
    /** The members as a new group's bootstrap configuration names them: bound to no incarnation. */
    private static final ClusterConfig UNBOUND = THREE;
    private static final ClusterConfig BOUND = new ClusterConfig(List.of(
            new Member(N1, "a1", Membership.VOTER, I1), new Member(N2, "a2", Membership.VOTER, I2),
            new Member(N3, "a3", Membership.VOTER, I3)));

    private static RaftMember member(MemberId id, long incarnation, RecordingLog log) {
        RaftMember m = ProtocolFixture.member(id, log);
        m.setIncarnation(incarnation);
        return m;
    }

    /** n1 of a group whose log binds every member (entry 1, term 1) and holds a command (entry 2, term 1). */
    private static RecordingLog boundLog() {
        return logWithConfigs(1, UNBOUND, configEntry(1, 1, BOUND), entry(2, 1));
    }

    /** Makes n1 (incarnation I1) leader of term 2 with n2's pre-vote and vote. */
    private static RaftMember boundLeader(RecordingLog log) {
        RaftMember m = member(N1, I1, log);
        tickUntil(m, e -> !sent(e, PreVoteRequest.class).isEmpty());
        m.handle(new PreVoteResponse(G, N2, N1, 2, true, I2));
        m.handle(new VoteResponse(G, N2, N1, 2, true, I2));
        assertThat(m.role()).isEqualTo(Role.LEADER);
        return m;
    }

    // ------------------------------------------------------------------ votes

    @Test
    void aPreVoteOrVoteOfAnIncarnationTheConfigurationDoesNotBindIsNotCounted() {
        RaftMember m = member(N1, I1, boundLog());
        tickUntil(m, e -> !sent(e, PreVoteRequest.class).isEmpty());
        m.handle(new PreVoteResponse(G, N3, N1, 2, true, I3_NEW));
        assertThat(m.role()).as("n3's pre-vote is of an incarnation not bound").isEqualTo(Role.PRE_CANDIDATE);
        m.handle(new PreVoteResponse(G, N2, N1, 2, true, 0));
        assertThat(m.role()).as("nor does one without an incarnation count").isEqualTo(Role.PRE_CANDIDATE);
        m.handle(new PreVoteResponse(G, N2, N1, 2, true, I2));
        assertThat(m.role()).isEqualTo(Role.CANDIDATE);
        m.handle(new VoteResponse(G, N3, N1, 2, true, I3_NEW));
        assertThat(m.role()).as("n3's vote is of an incarnation not bound").isEqualTo(Role.CANDIDATE);
        m.handle(new VoteResponse(G, N2, N1, 2, true, I2));
        assertThat(m.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void anEmptiedMemberCannotHelpElectAMemberThatLacksAnAcknowledgedEntry() {
        // the scenario of the issue: n3 was cut off and lacks entry 2, which n1 and n2 acknowledged; n2 lost its disk
        // (a new incarnation, empty), n1 died. n3's configuration binds n2's old incarnation.
        RecordingLog n3log = logWithConfigs(1, UNBOUND, configEntry(1, 1, BOUND));
        RaftMember n3 = member(N3, I3, n3log);
        tickUntil(n3, e -> !sent(e, PreVoteRequest.class).isEmpty());
        long emptiedN2 = 0x98;
        RaftMember n2 = member(N2, emptiedN2, log(0, UNBOUND));
        n3.handle(new PreVoteResponse(G, N2, N3, 2, true, emptiedN2));
        assertThat(n3.role()).as("the emptied member's pre-vote does not count").isEqualTo(Role.PRE_CANDIDATE);
        // even if it got as far as a vote, the vote of the emptied member would not count
        VoteResponse grant = sent(n2.handle(new VoteRequest(G, N3, N2, 2, 1, 1, false)), VoteResponse.class).get(0);
        assertThat(grant.granted()).as("it answers, with its new incarnation").isTrue();
        assertThat(grant.incarnation()).isEqualTo(emptiedN2);
        n3.handle(new PreVoteResponse(G, N1, N3, 2, false, I1)); // nothing from n1: it is down
        n3.handle(grant);
        assertThat(n3.role()).isNotEqualTo(Role.LEADER);
    }

    @Test
    void anEmptiedMemberIsNotElectedWhileItsIncarnationIsNotBound() {
        // n2 came back empty; its bootstrap configuration binds nobody, so it may only form a new group, which needs
        // every voter: n3 (holding the log) refuses, and n1 is down
        long emptiedN2 = 0x98;
        RaftMember n2 = member(N2, emptiedN2, log(0, UNBOUND));
        tickUntil(n2, e -> !sent(e, PreVoteRequest.class).isEmpty());
        n2.handle(new PreVoteResponse(G, N3, N2, 1, true, I3)); // granted even, by a member unaware of anything
        assertThat(n2.role()).isEqualTo(Role.PRE_CANDIDATE);
        RaftMember n3 = member(N3, I3, logWithConfigs(1, UNBOUND, configEntry(1, 1, BOUND)));
        assertThat(sent(n3.handle(new PreVoteRequest(G, N2, N3, 1, 0, 0)), PreVoteResponse.class).get(0).granted())
                .as("a member that holds the log does not grant an empty one").isFalse();
        // and once the leader's configuration reaches it, binding its old incarnation, it does not campaign at all
        RaftMember rejoined = member(N2, emptiedN2, logWithConfigs(1, UNBOUND, configEntry(1, 1, BOUND)));
        assertThat(rejoined.incarnationBound()).isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(sent(rejoined.tick(i), PreVoteRequest.class)).isEmpty();
        }
        assertThat(rejoined.status().incarnationBound()).isFalse();
    }

    // ------------------------------------------------------------------ acknowledgements and binding

    @Test
    void anAcknowledgementOfAnotherIncarnationIsNotCountedAndTheLeaderBindsItAsPromotable() {
        RecordingLog log = boundLog();
        RaftMember m = boundLeader(log); // its no-op is entry 3, term 2
        m.onLogDurable(3, 2, 0);
        m.handle(ack(N3, 2, 3, I3_NEW));
        assertThat(m.commitIndex()).as("n3's new incarnation holds nothing the group counts").isEqualTo(0);
        m.handle(ack(N2, 2, 3, I2));
        assertThat(m.commitIndex()).isEqualTo(3);
        // the leader may now append a change: it binds n3's new incarnation, as promotable
        m.handle(ack(N3, 2, 0, I3_NEW));
        assertThat(log.lastIndex()).isEqualTo(4);
        LogEntry binding = log.entry(4);
        assertThat(binding.type()).isEqualTo(EntryType.CONFIG);
        ClusterConfig rebound = ConfigCodec.decode(binding.payload());
        assertThat(rebound.member(N3)).contains(new Member(N3, "a3", Membership.PROMOTABLE, I3_NEW));
        assertThat(rebound.voters()).containsExactly(N1, N2);
        assertThat(m.status().peers()).filteredOn(p -> p.id().equals(N3)).singleElement()
                .satisfies(p -> assertThat(p.incarnation()).isEqualTo(I3_NEW));
        // the binding commits like any change: with a majority of the voters of the configuration it makes
        m.onLogDurable(4, 2, 0);
        assertThat(m.commitIndex()).isEqualTo(3);
        m.handle(ack(N2, 2, 4, I2));
        assertThat(m.commitIndex()).isEqualTo(4);
        // a late answer of the old incarnation neither counts nor binds it again
        m.handle(ack(N3, 2, 4, I3));
        assertThat(log.lastIndex()).isEqualTo(4);
        assertThat(m.config().member(N3).orElseThrow().incarnation()).isEqualTo(I3_NEW);
        // the new incarnation catches up and is promoted, still bound to its incarnation
        m.handle(ack(N3, 2, 4, I3_NEW));
        assertThat(log.lastIndex()).isEqualTo(5);
        assertThat(ConfigCodec.decode(log.entry(5).payload()).member(N3))
                .contains(new Member(N3, "a3", Membership.VOTER, I3_NEW));
        m.onLogDurable(5, 2, 0);
        m.handle(ack(N3, 2, 5, I3_NEW));
        assertThat(m.commitIndex()).as("now n3's acknowledgement counts").isEqualTo(5);
    }

    @Test
    void anInstallSnapshotAnswerOfAnotherIncarnationIsNotCounted() {
        RecordingLog log = boundLog();
        RaftMember m = boundLeader(log);
        m.onLogDurable(3, 2, 0);
        m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 3, 0, true, I3_NEW));
        assertThat(m.commitIndex()).isEqualTo(0);
        m.handle(new InstallSnapshotResponse(G, N3, N1, 2, 3, 0, true, I3));
        assertThat(m.commitIndex()).isEqualTo(3);
    }

    @Test
    void aFollowerSendsItsIncarnationWithEveryAnswer() {
        RaftMember f = member(N2, I2, boundLog());
        List<io.raftex.core.protocol.Effect> effects = f.handle(new io.raftex.core.message.AppendEntriesRequest(G, N1,
                N2, 2, 2, 1, List.of(), 2, 0));
        assertThat(sent(effects, AppendEntriesResponse.class)).singleElement()
                .satisfies(a -> assertThat(a.incarnation()).isEqualTo(I2));
        assertThat(sent(f.handle(new PreVoteRequest(G, N3, N2, 3, 2, 1)), PreVoteResponse.class)).singleElement()
                .satisfies(p -> assertThat(p.incarnation()).isEqualTo(I2));
    }

    // ------------------------------------------------------------------ forming a group

    @Test
    void aNewGroupFormsOnlyWithEveryVoterAndItsFirstEntryBindsThem() {
        RecordingLog log = log(0, UNBOUND);
        RaftMember m = member(N1, I1, log);
        tickUntil(m, e -> !sent(e, PreVoteRequest.class).isEmpty());
        m.handle(new PreVoteResponse(G, N2, N1, 1, true, I2));
        assertThat(m.role()).as("a majority of empty members does not prove that nobody holds anything")
                .isEqualTo(Role.PRE_CANDIDATE);
        m.handle(new PreVoteResponse(G, N3, N1, 1, true, I3));
        assertThat(m.role()).isEqualTo(Role.CANDIDATE);
        m.handle(new VoteResponse(G, N2, N1, 1, true, I2));
        assertThat(m.role()).isEqualTo(Role.CANDIDATE);
        m.handle(new VoteResponse(G, N3, N1, 1, true, I3));
        assertThat(m.role()).isEqualTo(Role.LEADER);
        assertThat(log.entry(1).type()).as("the first entry binds every member").isEqualTo(EntryType.CONFIG);
        assertThat(ConfigCodec.decode(log.entry(1).payload())).isEqualTo(BOUND);
        assertThat(m.config()).isEqualTo(BOUND);
        m.onLogDurable(1, 1, 0);
        m.handle(ack(N2, 1, 1, I2));
        assertThat(m.commitIndex()).isEqualTo(1);
    }

    @Test
    void aSingleMemberGroupFormsAlone() {
        ClusterConfig one = new ClusterConfig(List.of(Member.voter("n1", "a1")));
        RecordingLog log = log(0, one);
        RaftMember m = member(N1, I1, log);
        tickUntil(m, e -> m.role() == Role.LEADER);
        assertThat(ConfigCodec.decode(log.entry(1).payload()).member(N1).orElseThrow().incarnation()).isEqualTo(I1);
        m.onLogDurable(1, 1, 0);
        assertThat(m.commitIndex()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ members added by a change

    @Test
    void aMemberAddedByAChangeIsBoundAtOnceKeepingItsMembershipAndChangesWaitMeanwhile() {
        RecordingLog log = boundLog();
        RaftMember m = boundLeader(log); // no-op at 3, term 2
        m.onLogDurable(3, 2, 0);
        m.handle(ack(N2, 2, 3, I2));
        assertThat(m.commitIndex()).isEqualTo(3);
        MemberId n4 = MemberId.of("n4");
        long i4 = 0x44;
        List<Effect> added = m.changeMembership(1, new ConfigChange.Add(Member.voter("n4", "a4")));
        assertThat(added).anyMatch(e -> e instanceof Effect.ChangeAccepted);
        assertThat(m.config().member(n4)).as("added, no incarnation known yet")
                .contains(new Member(n4, "a4", Membership.VOTER, Member.ADDED));
        // its answers count for nothing, but the leader binds it at once, on top of the uncommitted change
        m.handle(new AppendEntriesResponse(G, n4, N1, 2, false, 0, 3, 0, 1, 0, i4));
        assertThat(log.lastIndex()).isEqualTo(5);
        assertThat(ConfigCodec.decode(log.entry(5).payload()).member(n4))
                .as("it never counted, so it keeps its membership")
                .contains(new Member(n4, "a4", Membership.VOTER, i4));
        // a change asked meanwhile is to be retried shortly, not refused as another change in progress
        List<Effect> meanwhile = m.changeMembership(2, new ConfigChange.Remove(N3));
        assertThat(meanwhile).anyMatch(e -> e instanceof Effect.ChangeRejected r
                && r.reason() == io.raftex.core.message.ChangeRejection.NOT_READY);
        // both entries commit with a majority of the four voters, n4's own acknowledgement counting now
        m.onLogDurable(5, 2, 0);
        m.handle(ack(n4, 2, 5, i4));
        assertThat(m.commitIndex()).isEqualTo(3);
        m.handle(ack(N2, 2, 5, I2));
        assertThat(m.commitIndex()).isEqualTo(5);
    }
}
