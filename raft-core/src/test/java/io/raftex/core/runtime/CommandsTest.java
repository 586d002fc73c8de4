package io.raftex.core.runtime;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.NoLeaderException;
import io.raftex.core.protocol.Effect;
import io.raftex.core.protocol.Proposal;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Commands} on a virtual clock, through a host that records the proposals handed to the core. */
class CommandsTest {

    private static final long TIMEOUT = 5_000;
    private static final long RESEND = 500;
    private static final long ACCEPTED_WAIT = 2_000;
    private static final long BACKOFF = 100;

    private final CommandTracker tracker = new CommandTracker(42);
    private final RecordingHost host = new RecordingHost();
    private long now = 1_000;
    private final Commands commands = new Commands("g", MemberId.of("a"), tracker, host, () -> now, TIMEOUT, RESEND,
            ACCEPTED_WAIT, BACKOFF);

    /** Records proposals, retries and failures; the applied index is set by the test. */
    static final class RecordingHost implements Commands.Host {
        long nextRequestId = 100;
        final List<Proposal> proposed = new ArrayList<>();
        long lastApplied;
        int retries;
        final List<Throwable> failures = new ArrayList<>();
        GroupStoppedException submittedFailedWith;

        @Override
        public long nextRequestId() {
            return nextRequestId++;
        }

        @Override
        public void propose(List<Proposal> proposals) {
            proposed.addAll(proposals);
        }

        @Override
        public long lastApplied() {
            return lastApplied;
        }

        @Override
        public void retried() {
            retries++;
        }

        @Override
        public void failed(CommandTracker.Pending command, Throwable reason) {
            failures.add(reason);
        }

        @Override
        public void failSubmitted(GroupStoppedException reason) {
            submittedFailedWith = reason;
        }

        List<Long> requestIds() {
            return proposed.stream().map(Proposal::requestId).toList();
        }
    }

    private void submit(String... payloads) {
        List<CommandTracker.Pending> batch = new ArrayList<>();
        for (String p : payloads) {
            batch.add(new CommandTracker.Pending(p.getBytes(StandardCharsets.UTF_8), new CompletableFuture<>(),
                    0, now + TIMEOUT));
        }
        commands.submit(batch);
    }

    @Test
    void submittedCommandsGetTheNextSequencesAndAreProposedAsOneBatch() {
        submit("x", "y");
        assertThat(host.proposed).extracting(Proposal::sequence).containsExactly(1L, 2L);
        assertThat(host.requestIds()).containsExactly(100L, 101L);
        assertThat(host.proposed).extracting(Proposal::clientId).containsOnly(42L);
        assertThat(host.retries).isZero();
    }

    @Test
    void anAttemptWithNoAnswerIsProposedAgainUnderAFreshRequestId() {
        submit("x");
        commands.sweep(now + RESEND - 1, false);
        assertThat(host.proposed).hasSize(1);
        commands.sweep(now + RESEND, false);
        assertThat(host.requestIds()).containsExactly(100L, 101L);
        assertThat(host.proposed.get(1).sequence()).as("same sequence").isEqualTo(1);
        assertThat(host.retries).isEqualTo(1);
    }

    @Test
    void aRefusedCommandIsRetriedAfterTheBackOffOrAtOnceWhenALeaderIsFound() {
        submit("x");
        commands.onRejected(new Effect.ProposalRejected(100, Effect.Rejection.NO_LEADER, Optional.empty()));
        commands.sweep(now + BACKOFF - 1, false);
        assertThat(host.proposed).hasSize(1);
        commands.sweep(now, true);
        assertThat(host.requestIds()).containsExactly(100L, 101L);
    }

    @Test
    void anAcceptedCommandWaitsForItsIndexAndIsProposedAgainIfThatIndexWasAppliedAlready() {
        submit("x", "y");
        commands.onAccepted(new Effect.ProposalAccepted(100, 7, 2));
        commands.sweep(now + RESEND, false);
        assertThat(host.requestIds()).as("only the unanswered one again").containsExactly(100L, 101L, 102L);

        host.lastApplied = 9;
        commands.onAccepted(new Effect.ProposalAccepted(102, 8, 2));
        assertThat(host.requestIds()).as("8 was applied, and it was not this command")
                .containsExactly(100L, 101L, 102L, 103L);
    }

    @Test
    void commandsAcceptedWhereASnapshotNowReachesAreProposedAgain() {
        submit("x", "y");
        commands.onAccepted(new Effect.ProposalAccepted(100, 7, 2));
        commands.onAccepted(new Effect.ProposalAccepted(101, 12, 2));
        commands.coveredBySnapshot(10);
        assertThat(host.proposed).hasSize(3);
        assertThat(host.proposed.get(2).sequence()).isEqualTo(1);
    }

    @Test
    void theDeadlineFailsACommandAsNoLeaderOnlyIfNoAttemptCanHaveBeenAppended() {
        submit("refused", "open");
        commands.onRejected(new Effect.ProposalRejected(100, Effect.Rejection.NO_LEADER, Optional.empty()));
        commands.sweep(now + TIMEOUT, false);
        assertThat(host.failures).hasSize(2);
        assertThat(host.failures.get(0)).isInstanceOf(NoLeaderException.class);
        assertThat(host.failures.get(1)).isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("may still be applied");
        assertThat(tracker.size()).isZero();
    }

    @Test
    void failAllSaysWhichCommandsMayStillBeAppliedAndFailsTheSubmittedOnes() {
        submit("refused", "open");
        commands.onRejected(new Effect.ProposalRejected(100, Effect.Rejection.NO_LEADER, Optional.empty()));
        GroupStoppedException stopped = new GroupStoppedException("stopped", null);
        commands.failAll(stopped);
        assertThat(host.failures.get(0)).isSameAs(stopped);
        assertThat(host.failures.get(1)).isInstanceOf(CommandOutcomeUnknownException.class).hasCause(stopped);
        assertThat(host.submittedFailedWith).isSameAs(stopped);
        assertThat(tracker.size()).isZero();
    }
}
