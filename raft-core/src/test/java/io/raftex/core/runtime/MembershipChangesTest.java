package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.protocol.ConfigChange;
import io.raftex.core.protocol.Effect;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link MembershipChanges} on a virtual clock, against a core that records what it is asked. */
class MembershipChangesTest {

    private static final long TIMEOUT = 10_000;
    private static final long RESEND = 500;
    private static final long BACKOFF = 100;

    private final Member a = Member.voter("a", "a:1");
    private final Member b = Member.voter("b", "b:1");
    private final Member c = Member.voter("c", "c:1");
    private final RecordingCore core = new RecordingCore();
    private long now = 1_000;
    private final MembershipChanges changes = new MembershipChanges("g", MemberId.of("a"), core,
            new Answers(Runnable::run), () -> now, TIMEOUT, RESEND, BACKOFF);

    /** The core and log, as a test sets them; records each change asked of it. */
    static final class RecordingCore implements MembershipChanges.Core {
        boolean forwards;
        ClusterConfig config;
        long commitIndex;
        long snapshotIndex;
        final Map<Long, Long> terms = new HashMap<>();
        long nextRequestId = 100;
        final List<Long> asked = new ArrayList<>();

        @Override
        public boolean forwardsToLeader() {
            return forwards;
        }

        @Override
        public ClusterConfig config() {
            return config;
        }

        @Override
        public long commitIndex() {
            return commitIndex;
        }

        @Override
        public long termAt(long index) {
            return terms.getOrDefault(index, -1L);
        }

        @Override
        public long snapshotIndex() {
            return snapshotIndex;
        }

        @Override
        public long nextRequestId() {
            return nextRequestId++;
        }

        @Override
        public void changeMembership(long requestId, ConfigChange change) {
            asked.add(requestId);
        }

        long lastAsked() {
            return asked.get(asked.size() - 1);
        }
    }

    private CompletableFuture<ClusterConfig> add(Member m) {
        CompletableFuture<ClusterConfig> f = new CompletableFuture<>();
        changes.add(new ConfigChange.Add(m), f, now + TIMEOUT);
        return f;
    }

    private CompletableFuture<ClusterConfig> remove(Member m) {
        CompletableFuture<ClusterConfig> f = new CompletableFuture<>();
        changes.add(new ConfigChange.Remove(m.id()), f, now + TIMEOUT);
        return f;
    }

    private static Effect.ChangeRejected rejected(long requestId, ChangeRejection reason) {
        return new Effect.ChangeRejected(requestId, reason, Optional.empty());
    }

    @Test
    void aChangeIsAnsweredOnceItsEntryIsCommittedWithItsTerm() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> f = add(c);
        assertThat(core.asked).containsExactly(100L);

        changes.onAccepted(new Effect.ChangeAccepted(100, 7, 3));
        assertThat(f).as("not committed yet").isNotDone();

        core.config = ClusterConfig.ofVoters(List.of(a, b, c));
        core.commitIndex = 7;
        core.terms.put(7L, 3L);
        changes.onCommitAdvanced();
        assertThat(f).isCompletedWithValue(core.config);
        assertThat(changes.size()).isZero();
    }

    @Test
    void aChangeWhoseEntryWasOverwrittenIsAskedAgain() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> f = add(c);
        changes.onAccepted(new Effect.ChangeAccepted(100, 7, 3));
        core.commitIndex = 7;
        core.terms.put(7L, 4L); // another leader's entry was committed there
        changes.onCommitAdvanced();
        assertThat(f).isNotDone();
        assertThat(core.asked).containsExactly(100L, 101L);
    }

    @Test
    void aFinalRefusalFailsTheChangeWithItsReason() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> f = remove(c);
        changes.onRejected(rejected(100, ChangeRejection.UNKNOWN_MEMBER));
        assertThat(f).isCompletedExceptionally();
        assertThat(failure(f)).isInstanceOf(MembershipChangeException.class)
                .hasMessageContaining("c is not a member");
        assertThat(((MembershipChangeException) failure(f)).reason())
                .isEqualTo(MembershipChangeException.Reason.UNKNOWN_MEMBER);
    }

    @Test
    void aPassingRefusalIsRetriedAfterTheBackOffOrAtOnceWhenALeaderIsFound() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> f = add(c);
        changes.onRejected(rejected(100, ChangeRejection.NO_LEADER));
        assertThat(f).isNotDone();

        changes.sweep(now + BACKOFF - 1, false);
        assertThat(core.asked).as("still backing off").containsExactly(100L);
        changes.sweep(now, true);
        assertThat(core.asked).as("a leader was found").containsExactly(100L, 101L);

        changes.onRejected(rejected(101, ChangeRejection.NOT_READY));
        changes.sweep(now + BACKOFF, false);
        assertThat(core.asked).containsExactly(100L, 101L, 102L);
    }

    @Test
    void anAttemptWithNoAnswerIsSentAgain() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        add(c);
        changes.sweep(now + RESEND - 1, false);
        assertThat(core.asked).containsExactly(100L);
        changes.sweep(now + RESEND, false);
        assertThat(core.asked).containsExactly(100L, 101L);
    }

    @Test
    void aRefusalAfterAnAttemptThatMayHaveBeenAppendedIsNotFinal() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        core.forwards = true; // the first attempt goes to a leader elsewhere: it may be appended, its answer lost
        CompletableFuture<ClusterConfig> f = add(c);
        now += RESEND;
        changes.sweep(now, false);
        changes.onRejected(rejected(101, ChangeRejection.CONFLICT));
        assertThat(f).as("the first attempt may still take effect").isNotDone();
    }

    @Test
    void aRemovalRefusedAsUnknownAfterAnEarlierAttemptMayHaveRemovedItSucceeds() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        core.forwards = true;
        CompletableFuture<ClusterConfig> f = remove(c);
        changes.sweep(now + RESEND, false);
        changes.onRejected(rejected(101, ChangeRejection.UNKNOWN_MEMBER));
        assertThat(f).isCompletedWithValue(core.config);
    }

    @Test
    void theDeadlineFailsAChangeAsNoLeaderOrAsMayStillTakeEffect() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> notForwarded = add(c);
        core.forwards = true;
        CompletableFuture<ClusterConfig> forwarded = remove(b);
        core.forwards = false; // the leader is gone: later attempts are refused here, but the first may be appended

        changes.sweep(now + TIMEOUT - 1, false);
        assertThat(notForwarded).isNotDone();
        changes.sweep(now + TIMEOUT, false);
        assertThat(failure(notForwarded)).isInstanceOf(NoLeaderException.class);
        assertThat(failure(forwarded)).isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("may still take effect");
        assertThat(changes.size()).isZero();
    }

    @Test
    void aChangeWhoseEntryASnapshotCoversIsAnsweredByTheConfiguration() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> held = add(c);
        CompletableFuture<ClusterConfig> reversed = add(Member.voter("d", "d:1"));
        changes.onAccepted(new Effect.ChangeAccepted(100, 7, 3));
        changes.onAccepted(new Effect.ChangeAccepted(101, 8, 3));
        core.config = ClusterConfig.ofVoters(List.of(a, b, c));
        core.commitIndex = 20;
        core.snapshotIndex = 10; // the log no longer holds 7 or 8
        changes.onCommitAdvanced();
        assertThat(held).isCompletedWithValue(core.config);
        assertThat(failure(reversed)).isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("reversed since");
    }

    @Test
    void failAllSaysWhichChangesMayStillTakeEffect() {
        core.config = ClusterConfig.ofVoters(List.of(a, b));
        CompletableFuture<ClusterConfig> open = add(c);
        CompletableFuture<ClusterConfig> accepted = remove(b);
        changes.onAccepted(new Effect.ChangeAccepted(101, 7, 3));
        GroupStoppedException stopped = new GroupStoppedException("stopped", null);

        changes.failAll(stopped);
        assertThat(failure(open)).isSameAs(stopped);
        assertThat(failure(accepted)).isInstanceOf(CommandOutcomeUnknownException.class).hasCause(stopped);
        assertThat(changes.size()).isZero();
        changes.sweep(now + TIMEOUT, true);
        assertThat(core.asked).as("nothing left to ask").containsExactly(100L, 101L);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        return f.handle((v, t) -> t).join();
    }
}
