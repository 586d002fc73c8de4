package io.raftex.core.sim;

import io.raftex.core.MemberId;

import java.util.List;
import java.util.Optional;

/**
 * A group of simulated members on one seeded scheduler, whichever shell runs each member: what the {@link Invariants}
 * and the {@link Nemesis} need from it. {@link SimCluster} runs the protocol core in the simulator's own small shell;
 * {@link RuntimeCluster} runs the real {@link io.raftex.core.runtime.GroupRuntime} per member.
 */
interface SimulatedCluster {

    long seed();

    SimScheduler scheduler();

    SimNetwork network();

    Invariants invariants();

    List<MemberId> ids();

    /** Every member, up or down, in the order of {@link #ids()}. */
    List<? extends SimMember> members();

    boolean isUp(int i);

    /** The live leader of the highest term, if any. */
    Optional<Integer> leader();

    /** Cuts every link between member {@code i} and the others. */
    void disconnect(int i);

    void healNetwork();

    /** Kills member {@code i}'s process: unsynced writes are lost, nothing it had queued runs. */
    void crash(int i);

    /** Crashes member {@code i} if it is up, then starts it again on what survived of its disk. */
    void restart(int i);

    /** Restarts member {@code i} 50 ms to 1.5 s from now, unless it is up again by then. */
    default void restartLater(int i) {
        SimScheduler s = scheduler();
        s.after(s.between(50, 1_500), () -> {
            if (!isUp(i)) {
                restart(i);
            }
        });
    }

    /** The state of every member, for failure messages. */
    String describe();
}
