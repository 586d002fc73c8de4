package io.raftex.core.protocol;

import io.raftex.core.ClusterConfig;
import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.log.ConfigEntry;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.log.StorageException;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.TimeoutNow;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.message.VoteResponse;
import io.raftex.core.snapshot.SnapshotMeta;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

import static io.raftex.core.protocol.ProtocolFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration in force after a crash, in the pure core with four members and messages routed by hand: a
 * follower's truncation of a configuration entry is asynchronous while its configuration list is persisted at once,
 * so a crash between the two leaves the entry in the log but not in the list. The log is the authority: after the
 * restart the newest configuration the log holds is in force, and no committed entry is lost on the way.
 */
class ConfigRecoveryTest {

    private static final ClusterConfig WITHOUT_N4 = THREE;

    private final Map<MemberId, InMemoryGroupLog> disks = new HashMap<>();
    private final Map<MemberId, RaftMember> members = new HashMap<>();
    private final Map<MemberId, List<long[]>> reports = new HashMap<>();
    private final Deque<RaftMessage> inFlight = new ArrayDeque<>();
    private int seed;

    @Test
    void aCrashBetweenAFollowersTruncationOfAConfigurationEntryAndItsSyncLosesNoCommittedEntry() {
        for (MemberId id : List.of(N1, N2, N3, N4)) {
            disks.put(id, new InMemoryGroupLog(new PersistentState(0, Optional.empty(), FOUR)));
            start(id);
        }
        // n1 leads term 1; its no-op (index 1) is durable and committed everywhere
        campaign(N1, m -> true);
        flushAll(m -> true);
        heartbeat(N1, m -> true);
        assertThat(members.values()).allMatch(m -> m.commitIndex() == 1);

        // n1 appends {n1, n2, n3} (removing n4) at index 2; only n2 gets it, makes it durable, and its answer is lost
        members.get(N1).changeMembership(1, new ConfigChange.Remove(N4)).forEach(this::collect);
        route(m -> m.to().equals(N2) && !(m instanceof AppendEntriesResponse));
        flush(N2, m -> false);
        assertThat(disks.get(N2).durableTermAt(2)).isEqualTo(1);
        crash(N1); // n1 never synced entry 2
        start(N1);

        // n3 wins term 2 with the votes of n1 and n4; its no-op overwrites index 2 on n2 only, which does not sync it
        campaign(N3, m -> (m instanceof VoteRequest || m instanceof VoteResponse) && !m.to().equals(N2)
                || m instanceof AppendEntriesRequest && m.to().equals(N2));
        assertThat(members.get(N3).role()).isEqualTo(Role.LEADER);
        assertThat(disks.get(N2).termAt(2)).as("n2 truncated the configuration entry").isEqualTo(2);
        crash(N2); // the truncation was not synced: the durable log still holds the configuration entry
        start(N2);
        assertThat(disks.get(N2).entry(2).type()).isEqualTo(EntryType.CONFIG);

        // n2 campaigns in term 3 (nothing reaches n3); its no-op commits index 2 as well
        campaign(N2, m -> !m.to().equals(N3) && !m.from().equals(N3));
        assertThat(members.get(N2).role()).isEqualTo(Role.LEADER);
        flushAll(m -> !m.to().equals(N3) && !m.from().equals(N3));
        heartbeat(N2, m -> !m.to().equals(N3) && !m.from().equals(N3));
        assertThat(members.get(N2).commitIndex()).as("n2 committed its no-op and the configuration entry at 2")
                .isEqualTo(3);
        // an operator removes n3 through n2; only n4 gets the entry
        members.get(N2).changeMembership(2, new ConfigChange.Remove(N3)).forEach(this::collect);
        route(m -> (m.to().equals(N4) || m.to().equals(N2)));
        flushAll(m -> m.to().equals(N4) || m.to().equals(N2));
        heartbeat(N2, m -> m.to().equals(N4) || m.to().equals(N2));
        long committedByN2 = members.get(N2).commitIndex();

        // n1 campaigns in term 4 and only n3 hears it
        campaign(N1, m -> m.to().equals(N3) || m.to().equals(N1));
        RaftMember n1 = members.get(N1);
        if (n1.role() == Role.LEADER) {
            for (long i = 1; i <= committedByN2; i++) {
                assertThat(disks.get(N1).termAt(i)).as("n1 leads term %d, so it holds entry %d, which n2 committed",
                        n1.term(), i).isEqualTo(disks.get(N2).termAt(i));
            }
        }
        assertThat(members.get(N2).configAt(3)).as("n2's configuration in force after its restart: the newest its"
                + " log held").isEqualTo(WITHOUT_N4);
    }

    @Test
    void aRestartedFollowerPutsBackInForceAConfigurationEntryItsLogStillHoldsButItsListLost() {
        InMemoryGroupLog disk = new InMemoryGroupLog(new PersistentState(1, Optional.empty(), FOUR));
        disk.append(List.of(entry(1, 1), configEntry(2, 1, WITHOUT_N4), entry(3, 1)));
        disk.flush();
        // the list lost entry 2 (a truncation persisted it shorter), the log did not (the truncation was not synced)
        RaftMember m = member(N2, disk);
        assertThat(m.config()).isEqualTo(WITHOUT_N4);
        assertThat(m.configIndex()).isEqualTo(2);
        assertThat(m.configAt(1)).isEqualTo(FOUR);
    }

    @Test
    void aMemberRestoredFromAnOlderSnapshotThanItsListsBaseReadsTheConfigurationsBetweenBackFromItsLog() {
        // snapshots at 2 ({n1..n4}) and at 5: the list's base is the newer one's configuration, recorded at 5; the
        // log is kept from the older snapshot and holds the change at 3 that the list forgot when it was rebased
        InMemoryGroupLog disk = new InMemoryGroupLog(new PersistentState(1, Optional.empty(),
                List.of(new ConfigEntry(5, 1, WITHOUT_N4))));
        disk.append(List.of(entry(1, 1), entry(2, 1), configEntry(3, 1, WITHOUT_N4), entry(4, 1), entry(5, 1),
                entry(6, 1)));
        disk.flush();
        disk.compact(2, 1);
        // the snapshot at 5 turned out damaged: the state machine was restored from the one at 2
        RaftMember m = new RaftMember(G, N2, CFG, disk, new Random(1),
                new SnapshotMeta(2, 1, FOUR));
        assertThat(m.configAt(2)).isEqualTo(FOUR);
        assertThat(m.configAt(4)).as("the configuration in force at 4, which a snapshot there records: the entry at"
                + " 3 the log holds").isEqualTo(WITHOUT_N4);
        assertThat(m.config()).isEqualTo(WITHOUT_N4);
        assertThat(m.configIndex()).isEqualTo(3);
    }

    // ------------------------------------------------------------------ the four members, routed by hand

    private void start(MemberId id) {
        InMemoryGroupLog disk = disks.get(id);
        List<long[]> r = new ArrayList<>();
        reports.put(id, r);
        disk.setDurabilityListener(new GroupLog.DurabilityListener() {
            @Override
            public void onDurable(long index, long term, long truncations) {
                r.add(new long[]{index, term, truncations});
            }

            @Override
            public void onFailure(StorageException failure) {
                throw failure;
            }
        });
        members.put(id, new RaftMember(G, id, CFG, disk, new Random(++seed)));
    }

    private void crash(MemberId id) {
        members.remove(id);
        disks.put(id, disks.get(id).crash());
    }

    /** {@code id} campaigns at once (as told by a leadership transfer); messages that pass {@code deliver} arrive. */
    private void campaign(MemberId id, Predicate<RaftMessage> deliver) {
        RaftMember m = members.get(id);
        m.handle(new TimeoutNow(G, N1.equals(id) ? N2 : N1, id, m.term())).forEach(this::collect);
        route(deliver);
        flush(id, deliver);
    }

    /** The leader's heartbeat round, with the followers' answers, until nothing more passes {@code deliver}. */
    private void heartbeat(MemberId leader, Predicate<RaftMessage> deliver) {
        RaftMember m = members.get(leader);
        for (int i = 0; i < CFG.heartbeatTicks(); i++) {
            m.tick(i).forEach(this::collect);
        }
        route(deliver);
        flushAll(deliver);
    }

    private void flushAll(Predicate<RaftMessage> deliver) {
        for (MemberId id : List.of(N1, N2, N3, N4)) {
            flush(id, deliver);
        }
    }

    /** Syncs {@code id}'s disk and hands its durability reports to its member. */
    private void flush(MemberId id, Predicate<RaftMessage> deliver) {
        disks.get(id).flush();
        List<long[]> r = new ArrayList<>(reports.get(id));
        reports.get(id).clear();
        for (long[] ev : r) {
            members.get(id).onLogDurable(ev[0], ev[1], ev[2]).forEach(this::collect);
        }
        route(deliver);
    }

    private void collect(Effect e) {
        if (e instanceof Effect.Send s) {
            inFlight.add(s.message());
        }
    }

    /** Delivers what is in flight (and what that causes) to running members when it passes {@code deliver}. */
    private void route(Predicate<RaftMessage> deliver) {
        while (!inFlight.isEmpty()) {
            RaftMessage msg = inFlight.poll();
            RaftMember to = members.get(msg.to());
            if (to != null && members.containsKey(msg.from()) && deliver.test(msg)) {
                to.handle(msg).forEach(this::collect);
            }
        }
    }
}
