package io.raftex.core.runtime;

import io.raftex.core.CommandFailedException;
import io.raftex.core.GroupStatus;
import io.raftex.core.SessionExpiredException;
import io.raftex.core.log.LogEntry;
import io.raftex.core.session.CommandResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Hands committed entries to the {@link Applier} in slices and answers this member's commands with what they
 * return. One slice takes at most {@link #SLICE_ENTRIES} entries, {@link #SLICE_BYTES} bytes read at once or
 * {@link #SLICE_NANOS}; the rest goes on in a task of its own, so that heartbeats, acks and votes queued meanwhile run
 * between slices instead of waiting behind a long replay or a slow state machine. While more than
 * {@link GroupStatus#CATCHING_UP_ENTRIES} committed entries wait, it logs how far it is, at most every
 * {@link #PROGRESS_LOG_INTERVAL_NANOS}. Used on the group thread only.
 */
final class Applying {

    private static final Logger LOG = LoggerFactory.getLogger(Applying.class);

    static final long PROGRESS_LOG_INTERVAL_NANOS = 5_000_000_000L;
    static final int SLICE_ENTRIES = 512;
    static final long SLICE_BYTES = 1L << 20;
    static final long SLICE_NANOS = 5_000_000;

    /** What applying needs from the shell around it. */
    interface Host {
        /** Whether the state machine is behind the start of the log, so that nothing can be applied yet. */
        boolean stateMissing();

        /** Entries of the log from {@code fromIndex} to {@code toIndex}, at most about {@code maxBytes}. */
        List<LogEntry> entries(long fromIndex, long toIndex, long maxBytes);

        /** Queues {@code task} on the group thread; false if the group takes no more tasks. */
        boolean submit(Runnable task);

        /** A slice is applied, up to {@code lastApplied}: serve what waited for it. */
        void sliceApplied(long lastApplied);

        /** Proposes again commands whose accepted entries were displaced (same client id and sequence). */
        void proposeAgain(List<CommandTracker.Pending> commands);

        /** An entry applied nothing: its (client id, sequence) had been applied before. */
        void duplicateApplied();

        /** A command of this member got its value, {@code latencyNanos} after it was submitted. */
        void commandCompleted(long latencyNanos);

        /** A command of this member failed with {@code reason}: count it and fail its future. */
        void commandFailed(CommandTracker.Pending command, Throwable reason);
    }

    private final String group;
    private final Applier<?, ?> applier;
    private final CommandTracker commands;
    private final Host host;
    private final Answers answers;
    private final LongSupplier nanoTime;
    /** The highest commit index heard of; entries up to it are applied in slices. */
    private long target;
    private boolean scheduled;
    private boolean inSlice;
    /** Whether the current backlog was logged, and when (nanoTime); a new backlog is logged at once. */
    private boolean progressLogged;
    private long progressLoggedAt;

    Applying(String group, Applier<?, ?> applier, CommandTracker commands, Host host, Answers answers,
             LongSupplier nanoTime) {
        this.group = group;
        this.applier = applier;
        this.commands = commands;
        this.host = host;
        this.answers = answers;
        this.nanoTime = nanoTime;
    }

    /** Logs how far applying a long backlog is, at most every {@link #PROGRESS_LOG_INTERVAL_NANOS}. */
    private void logProgress() {
        long behind = target - applier.lastApplied();
        if (behind <= GroupStatus.CATCHING_UP_ENTRIES) {
            progressLogged = false;
            return;
        }
        long now = nanoTime.getAsLong();
        if (!progressLogged || now - progressLoggedAt >= PROGRESS_LOG_INTERVAL_NANOS) {
            progressLogged = true;
            progressLoggedAt = now;
            LOG.info("[{}] catching up: applied {} of {} committed entries, {} to go", group, applier.lastApplied(),
                    target, behind);
        }
    }

    /** The commit index rose to {@code commitIndex}. */
    void commitAdvanced(long commitIndex) {
        target = Math.max(target, commitIndex);
    }

    /** Whether a slice should start now: something committed is not applied, and no slice runs or is queued. */
    boolean due() {
        return !inSlice && !scheduled && applier.lastApplied() < target && !host.stateMissing();
    }

    /** Applies one slice of what is committed, then queues the rest as a task of its own. */
    void applySlice() {
        if (host.stateMissing()) {
            return; // nothing can be applied before a snapshot brings the state up to where the log starts
        }
        long deadline = nanoTime.getAsLong() + SLICE_NANOS;
        long to = Math.min(target, applier.lastApplied() + SLICE_ENTRIES);
        inSlice = true; // effects of re-proposals made while applying must not start another slice inside this one
        try {
            while (applier.lastApplied() < to) {
                List<LogEntry> batch = host.entries(applier.lastApplied() + 1, to, SLICE_BYTES);
                for (LogEntry entry : batch) {
                    applyEntry(entry);
                }
                if (nanoTime.getAsLong() >= deadline) {
                    break; // a slow state machine: the rest in the next slice
                }
            }
        } finally {
            inSlice = false;
        }
        host.sliceApplied(applier.lastApplied());
        logProgress();
        if (applier.lastApplied() < target && !scheduled) {
            scheduled = host.submit(() -> {
                scheduled = false;
                applySlice();
            });
        }
    }

    private void applyEntry(LogEntry entry) {
        Optional<CommandResult> result = applier.apply(entry);
        if (result.isPresent() && result.get() instanceof CommandResult.Duplicate) {
            host.duplicateApplied();
        }
        CommandTracker.Pending mine = commands.answeredBy(entry);
        if (mine != null && result.isPresent()) {
            answer(mine, result.get());
        }
        List<CommandTracker.Pending> displaced = commands.displacedBy(entry);
        if (!displaced.isEmpty()) {
            // the leader that accepted them lost that part of its log: propose again, same client id and sequence
            host.proposeAgain(displaced);
        }
    }

    private void answer(CommandTracker.Pending p, CommandResult result) {
        commands.remove(p);
        if (result instanceof CommandResult.Failed f) {
            commands.established();
            host.commandFailed(p, new CommandFailedException("group '" + group + "': command #" + p.sequence
                    + " was refused by the state machine: " + f.reason()));
            return;
        }
        if (result instanceof CommandResult.SessionExpired) {
            host.commandFailed(p, new SessionExpiredException("group '" + group + "': the session of command #"
                    + p.sequence + " expired; it was not applied by this attempt"));
            return;
        }
        commands.established();
        Object value;
        try {
            value = applier.value(result);
        } catch (RuntimeException e) {
            host.commandFailed(p, e);
            return;
        }
        host.commandCompleted(nanoTime.getAsLong() - p.submittedNanos);
        answers.complete(p.future, value);
    }
}
