package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.Membership;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.protocol.ConfigChanges.Append;
import io.raftex.core.protocol.ConfigChanges.Decision;
import io.raftex.core.protocol.ConfigChanges.Held;
import io.raftex.core.protocol.ConfigChanges.Rejected;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.raftex.core.protocol.ProtocolFixture.FOUR;
import static io.raftex.core.protocol.ProtocolFixture.M4;
import static io.raftex.core.protocol.ProtocolFixture.N1;
import static io.raftex.core.protocol.ProtocolFixture.N2;
import static io.raftex.core.protocol.ProtocolFixture.N3;
import static io.raftex.core.protocol.ProtocolFixture.N4;
import static io.raftex.core.protocol.ProtocolFixture.THREE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's rules for one membership change, alone ({@link ConfigChanges}): what a change makes, what the
 * configuration refuses whatever the moment, and when a valid change must wait. The same rules as the leader applies
 * them are in {@link MembershipTest}.
 */
class ConfigChangesTest {

    /** THREE at index 0, committed up to 1 (a leader's no-op of its term). */
    private static final ConfigHistory COMMITTED = new ConfigHistory(List.of(new ConfigEntry(0, 0, THREE)));
    private static final long COMMIT = 1;

    /** A leader that has committed an entry of its term, transfers nothing and binds no incarnations. */
    private static Decision decide(ConfigChange change, ConfigHistory configs) {
        return ConfigChanges.decide(change, configs, COMMIT, true, false, Member.UNBOUND);
    }

    /** THREE, then FOUR appended at 2 and not committed (the commit index is 1). */
    private static ConfigHistory fourPending() {
        return new ConfigHistory(List.of(new ConfigEntry(0, 0, THREE), new ConfigEntry(2, 1, FOUR)));
    }

    @Test
    void anAddOrARemoveMakesTheNextConfiguration() {
        assertThat(decide(new ConfigChange.Add(M4), COMMITTED)).isEqualTo(new Append(FOUR));
        assertThat(decide(new ConfigChange.Remove(N3), COMMITTED)).isEqualTo(new Append(new ClusterConfig(List.of(
                Member.voter("n1", "a1"), Member.voter("n2", "a2")))));
    }

    @Test
    void aChangeOfMembershipReplacesTheMemberInPlace() {
        Decision d = decide(new ConfigChange.Add(new Member(N2, "a2", Membership.NON_VOTER)), COMMITTED);
        assertThat(d).isEqualTo(new Append(new ClusterConfig(List.of(Member.voter("n1", "a1"),
                new Member(N2, "a2", Membership.NON_VOTER), Member.voter("n3", "a3")))));
    }

    @Test
    void anotherAddressForAKnownIdIsAConflict() {
        assertThat(decide(new ConfigChange.Add(Member.voter("n2", "elsewhere")), COMMITTED))
                .isEqualTo(new Rejected(ChangeRejection.CONFLICT));
    }

    @Test
    void removingAnUnknownMemberIsRefused() {
        assertThat(decide(new ConfigChange.Remove(N4), COMMITTED))
                .isEqualTo(new Rejected(ChangeRejection.UNKNOWN_MEMBER));
    }

    @Test
    void aChangeTheConfigurationHoldsIsDoneWhereItIs() {
        assertThat(decide(new ConfigChange.Add(Member.voter("n2", "a2")), COMMITTED)).isEqualTo(new Held());
        assertThat(decide(new ConfigChange.Add(new Member(N2, "a2", Membership.PROMOTABLE)), COMMITTED))
                .as("a promotable member that is a voter already was promoted").isEqualTo(new Held());
        assertThat(decide(new ConfigChange.Add(M4), fourPending()))
                .as("asked again while its entry is uncommitted").isEqualTo(new Held());
    }

    @Test
    void aRemovalAskedAgainWhileItsEntryIsUncommittedIsDoneWhereItIs() {
        ConfigHistory removing = new ConfigHistory(List.of(new ConfigEntry(0, 0, FOUR), new ConfigEntry(2, 1, THREE)));
        assertThat(decide(new ConfigChange.Remove(N4), removing)).isEqualTo(new Held());
    }

    @Test
    void neitherRemovingNorDemotingTheLastVoterIsAllowed() {
        ConfigHistory alone = new ConfigHistory(List.of(new ConfigEntry(0, 0, new ClusterConfig(List.of(
                Member.voter("n1", "a1"), new Member(N2, "a2", Membership.NON_VOTER))))));
        assertThat(decide(new ConfigChange.Remove(N1), alone)).isEqualTo(new Rejected(ChangeRejection.CONFLICT));
        assertThat(decide(new ConfigChange.Add(new Member(N1, "a1", Membership.NON_VOTER)), alone))
                .isEqualTo(new Rejected(ChangeRejection.CONFLICT));
    }

    @Test
    void aValidChangeWaitsForTheLeadersOwnTermAndForNoTransfer() {
        ConfigChange add = new ConfigChange.Add(M4);
        assertThat(ConfigChanges.decide(add, COMMITTED, COMMIT, false, false, Member.UNBOUND))
                .isEqualTo(new Rejected(ChangeRejection.NOT_READY));
        assertThat(ConfigChanges.decide(add, COMMITTED, COMMIT, true, true, Member.UNBOUND))
                .isEqualTo(new Rejected(ChangeRejection.LEADERSHIP_TRANSFER));
    }

    @Test
    void theConfigurationsRefusalComesBeforeTheMoments() {
        assertThat(ConfigChanges.decide(new ConfigChange.Remove(N4), COMMITTED, COMMIT, false, true, Member.UNBOUND))
                .isEqualTo(new Rejected(ChangeRejection.UNKNOWN_MEMBER));
    }

    @Test
    void oneChangeAtATime() {
        assertThat(decide(new ConfigChange.Remove(N2), fourPending()))
                .isEqualTo(new Rejected(ChangeRejection.IN_PROGRESS));
        ConfigHistory committedFour = fourPending();
        assertThat(ConfigChanges.decide(new ConfigChange.Remove(N2), committedFour, 2, true, false, Member.UNBOUND))
                .as("once the pending entry commits").isInstanceOf(Append.class);
    }

    @Test
    void aPendingBindingOfAnIncarnationIsNotReadyRatherThanInProgress() {
        ClusterConfig bound = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                new Member(N3, "a3", Membership.PROMOTABLE, 0x33)));
        ConfigHistory binding = new ConfigHistory(List.of(new ConfigEntry(0, 0, THREE), new ConfigEntry(2, 1, bound)));
        assertThat(decide(new ConfigChange.Add(M4), binding)).isEqualTo(new Rejected(ChangeRejection.NOT_READY));
    }

    @Test
    void anAddedMemberIsBoundOnceItAnswersAndAChangeOfMembershipKeepsTheBinding() {
        long leaderIncarnation = 0x11;
        assertThat(ConfigChanges.decide(new ConfigChange.Add(M4), COMMITTED, COMMIT, true, false, leaderIncarnation))
                .isEqualTo(new Append(new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                        Member.voter("n3", "a3"), M4.withIncarnation(Member.ADDED)))));
        ConfigHistory boundN2 = new ConfigHistory(List.of(new ConfigEntry(0, 0, new ClusterConfig(List.of(
                Member.voter("n1", "a1"), new Member(N2, "a2", Membership.VOTER, 0x22), Member.voter("n3", "a3"))))));
        Decision d = ConfigChanges.decide(new ConfigChange.Add(new Member(N2, "a2", Membership.NON_VOTER)), boundN2,
                COMMIT, true, false, leaderIncarnation);
        assertThat(((Append) d).next().member(N2)).contains(new Member(N2, "a2", Membership.NON_VOTER, 0x22));
    }
}
