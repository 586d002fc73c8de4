package io.raftex.core.runtime;

import io.raftex.core.GroupListener;
import io.raftex.core.GroupMetrics;
import io.raftex.core.MemberId;
import io.raftex.core.ReadConsistency;
import io.raftex.core.Role;
import io.raftex.core.RoleChangeEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link GroupEvents}: each event is counted, then told to every listener; a failing listener is skipped. */
class GroupEventsTest {

    private final RuntimeCounters counters = new RuntimeCounters();
    private final List<GroupListener> listeners = new CopyOnWriteArrayList<>();
    private final GroupEvents events = new GroupEvents("g", MemberId.of("n1"), listeners, counters);

    private GroupMetrics metrics() {
        return counters.metrics("g", "n1", true, null);
    }

    /** Writes down what it hears. */
    private static final class Recording implements GroupListener {
        final List<String> heard = new ArrayList<>();

        @Override
        public void onRoleChange(RoleChangeEvent event) {
            heard.add("role " + event.newRole());
        }

        @Override
        public void onLeaderChange(RoleChangeEvent event) {
            heard.add("leader " + event.newLeader().map(MemberId::value).orElse("none"));
        }

        @Override
        public void onCommandCompleted(long latencyNanos) {
            heard.add("completed " + latencyNanos);
        }

        @Override
        public void onCommandFailed(Throwable reason) {
            heard.add("failed " + reason.getMessage());
        }

        @Override
        public void onQueryEnded(ReadConsistency consistency, Throwable failure) {
            heard.add("query " + consistency + (failure == null ? "" : " " + failure.getMessage()));
        }

        @Override
        public void onSnapshotTaken(long durationNanos) {
            heard.add("taken " + durationNanos);
        }

        @Override
        public void onSnapshotInstalled(long durationNanos) {
            heard.add("installed " + durationNanos);
        }
    }

    @Test
    void eachEventIsCountedAndToldToTheListeners() {
        Recording listener = new Recording();
        listeners.add(listener);

        events.commandCompleted(70);
        events.commandFailed(new IllegalStateException("boom"));
        events.queryCompleted(ReadConsistency.LINEARIZABLE);
        events.queryFailed(ReadConsistency.LOCAL, new IllegalStateException("late"));
        events.snapshotTaken(5);
        events.snapshotInstalled(42, 6);

        assertThat(listener.heard).containsExactly("completed 70", "failed boom", "query LINEARIZABLE",
                "query LOCAL late", "taken 5", "installed 6");
        GroupMetrics m = metrics();
        assertThat(m.commandsCompleted()).isEqualTo(1);
        assertThat(m.commandLatencyNanosMax()).isEqualTo(70);
        assertThat(m.commandsFailed()).isEqualTo(1);
        assertThat(m.queriesCompleted()).isEqualTo(1);
        assertThat(m.queriesFailed()).isEqualTo(1);
        assertThat(m.snapshotsTaken()).isEqualTo(1);
        assertThat(m.snapshotsInstalled()).isEqualTo(1);
        assertThat(m.lastApplied()).as("where the installed snapshot left the state machine").isEqualTo(42);
    }

    @Test
    void aRoleChangeTellsTheRoleThenTheLeaderAndOnlyWhatChanged() {
        Recording listener = new Recording();
        listeners.add(listener);
        MemberId n2 = MemberId.of("n2");

        events.roleChanged(new RoleChangeEvent("g", "n1", Role.CANDIDATE, Role.FOLLOWER, 3, Optional.empty(),
                Optional.of(n2)));
        events.roleChanged(new RoleChangeEvent("g", "n1", Role.FOLLOWER, Role.FOLLOWER, 4, Optional.of(n2),
                Optional.empty()));
        events.roleChanged(new RoleChangeEvent("g", "n1", Role.FOLLOWER, Role.PRE_CANDIDATE, 4, Optional.empty(),
                Optional.empty()));

        assertThat(listener.heard).containsExactly("role FOLLOWER", "leader n2", "leader none", "role PRE_CANDIDATE");
    }

    @Test
    void aListenerThatThrowsIsSkippedAndTheOthersStillHear() {
        listeners.add(new GroupListener() {
            @Override
            public void onCommandFailed(Throwable reason) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onRoleChange(RoleChangeEvent event) {
                throw new IllegalStateException("listener bug");
            }
        });
        Recording listener = new Recording();
        listeners.add(listener);

        events.commandFailed(new IllegalStateException("boom"));
        events.roleChanged(new RoleChangeEvent("g", "n1", Role.FOLLOWER, Role.LEADER, 2, Optional.empty(),
                Optional.of(MemberId.of("n1"))));

        assertThat(listener.heard).containsExactly("failed boom", "role LEADER", "leader n1");
        assertThat(metrics().commandsFailed()).isEqualTo(1);
    }

    @Test
    void listenersAddedLaterHearLaterEvents() {
        events.snapshotTaken(1);
        Recording listener = new Recording();
        listeners.add(listener);
        events.snapshotTaken(2);
        assertThat(listener.heard).containsExactly("taken 2");
        assertThat(metrics().snapshotsTaken()).isEqualTo(2);
    }
}
