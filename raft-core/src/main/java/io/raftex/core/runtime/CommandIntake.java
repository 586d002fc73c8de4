package io.raftex.core.runtime;

import io.raftex.core.GroupStoppedException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Commands submitted from any thread on their way to the group's loop: queued without a lock, and taken into the
 * session as one batch by a single task of the loop, however many were submitted before it ran. A command queued
 * while or after the group stops fails, as does one the loop no longer takes a task for.
 */
final class CommandIntake {

    /** The group's loop as the intake sees it. */
    interface Loop {
        /** Queues {@code task} on the loop; false if it takes no more tasks. */
        boolean execute(Runnable task);

        /** Runs {@code task} as a step of the loop if the group runs (a throw stops the group). */
        void step(Runnable task);

        /** Whether the group refuses commands: it is stopping or stopped. */
        boolean stopping();

        /** Whether the group has stopped. */
        boolean stopped();

        /** The failure of a command that reached a stopped group. */
        GroupStoppedException stoppedException();

        /** Takes {@code batch} into the session and proposes it (on the loop). */
        void submit(List<CommandTracker.Pending> batch);

        /** A command failed before it reached the session: count it, tell the listeners, fail its future. */
        void failed(CommandTracker.Pending command, Throwable reason);
    }

    private final ConcurrentLinkedQueue<CommandTracker.Pending> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Loop loop;

    CommandIntake(Loop loop) {
        this.loop = loop;
    }

    /** Queues a submitted command (encoded, with its deadline), from any thread. */
    void offer(CommandTracker.Pending command) {
        incoming.add(command);
        if (drainScheduled.compareAndSet(false, true) && !scheduleDrain()) {
            failAll(loop.stoppedException());
        }
        if (loop.stopping()) {
            failAll(loop.stoppedException()); // the group stopped while we queued it
        }
    }

    private boolean scheduleDrain() {
        return loop.execute(() -> {
            loop.step(this::drain);
            if (loop.stopped()) {
                failAll(loop.stoppedException());
            }
        });
    }

    /** Takes the commands queued so far into the session as one batch. */
    private void drain() {
        drainScheduled.set(false);
        List<CommandTracker.Pending> batch = new ArrayList<>();
        CommandTracker.Pending raw;
        while ((raw = incoming.poll()) != null) {
            batch.add(raw);
        }
        loop.submit(batch);
    }

    /** Fails every command queued and not yet taken into the session. */
    void failAll(Throwable reason) {
        CommandTracker.Pending raw;
        while ((raw = incoming.poll()) != null) {
            loop.failed(raw, reason);
        }
    }
}
