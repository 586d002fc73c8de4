package io.raftex.autoconfigure.client;

import java.util.function.Supplier;

/**
 * Watches the commands {@link RaftClient} submits, for tracing: the starter's implementation wraps each one in a
 * Micrometer {@code raft.command} Observation when Micrometer's Observation API is present. Called on the submitting
 * thread; {@link Command#ended} on whichever thread completes the command's future.
 */
@FunctionalInterface
public interface RaftCommandObserver {

    /** An observer that watches nothing. */
    RaftCommandObserver NONE = group -> Command.NONE;

    /** A command to {@code group} is about to be submitted. */
    Command started(String group);

    /** One command being watched. */
    interface Command {

        /** Watches nothing. */
        Command NONE = failure -> { };

        /** Runs the submission of the command, e.g. with the command's observation current. */
        default <T> T submit(Supplier<T> submission) {
            return submission.get();
        }

        /** The command ended: answered ({@code failure} null) or failed with {@code failure}. */
        void ended(Throwable failure);
    }
}
