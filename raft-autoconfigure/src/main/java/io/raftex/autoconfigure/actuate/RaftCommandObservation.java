package io.raftex.autoconfigure.actuate;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.raftex.autoconfigure.client.RaftCommandObserver;

import java.util.function.Supplier;

/**
 * Wraps every command {@link io.raftex.autoconfigure.client.RaftClient} submits in an Observation named
 * {@value #NAME}, with the low-cardinality key values {@code group} and {@code outcome} (as on {@code raft.commands}:
 * success, failed, timeout, no-leader, rejected) and the failure as its error. The observation is current while the
 * command is submitted, so it is the child of the caller's observation (an HTTP request's, say) and shows in its
 * trace; with Micrometer's meter handler it is also a timer {@value #NAME}.
 */
public final class RaftCommandObservation implements RaftCommandObserver {

    /** The observation's name. */
    public static final String NAME = "raft.command";

    private final Supplier<ObservationRegistry> registry;

    /** Observations in the registry {@code registry} supplies when a command starts (NOOP: none). */
    public RaftCommandObservation(Supplier<ObservationRegistry> registry) {
        this.registry = registry;
    }

    @Override
    public Command started(String group) {
        ObservationRegistry r = registry.get();
        if (r == null || r.isNoop()) {
            return Command.NONE;
        }
        Observation observation = Observation.createNotStarted(NAME, r)
                .contextualName("raft command " + group)
                .lowCardinalityKeyValue("group", group)
                .start();
        return new Command() {
            @Override
            public <T> T submit(Supplier<T> submission) {
                try (Observation.Scope ignored = observation.openScope()) {
                    return submission.get();
                }
            }

            @Override
            public void ended(Throwable failure) {
                GroupMeterState.Outcome outcome = failure == null
                        ? GroupMeterState.Outcome.SUCCESS : GroupMeterState.Outcome.of(failure);
                observation.lowCardinalityKeyValue("outcome", outcome.tag());
                if (failure != null) {
                    observation.error(failure);
                }
                observation.stop();
            }
        };
    }
}
