package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.protocol.Effect;
import io.raftex.core.snapshot.InMemorySnapshotStore;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.snapshot.SnapshotStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SnapshotTransfers} between a leader and a follower, each through a host that records what the transfers
 * report; the messages are carried by hand and the clock is virtual.
 */
class SnapshotTransfersTest {

    private static final int CHUNK = 64;
    private static final long RESEND = 100;

    private final MemberId leaderId = MemberId.of("a");
    private final MemberId followerId = MemberId.of("b");
    private final SnapshotMeta meta = new SnapshotMeta(40, 3, ClusterConfig.ofVoters(List.of(
            Member.voter("a", "a:1"), Member.voter("b", "b:1"))));
    private final byte[] state = new byte[1_000];
    private final InMemorySnapshotStore leaderStore = new InMemorySnapshotStore("leader");
    private final InMemorySnapshotStore followerStore = new InMemorySnapshotStore("follower");
    private final RecordingHost leaderHost = new RecordingHost();
    private final RecordingHost followerHost = new RecordingHost();
    private final SnapshotTransfers leader = new SnapshotTransfers("g", leaderId, leaderStore, CHUNK, RESEND,
            leaderHost);
    private final SnapshotTransfers follower = new SnapshotTransfers("g", followerId, followerStore, CHUNK, RESEND,
            followerHost);

    /** A host with a term, a newest snapshot and a clock set by the test; records every report and message. */
    static final class RecordingHost implements SnapshotTransfers.Host {
        SnapshotMeta newest;
        long term = 5;
        long now = 1_000;
        boolean canTakeSnapshot;
        final List<InstallSnapshotRequest> sent = new ArrayList<>();
        final List<MemberId> sendFailed = new ArrayList<>();
        final List<Long> stored = new ArrayList<>();
        final List<String> snapshotsAskedFor = new ArrayList<>();
        final List<SnapshotMeta> installed = new ArrayList<>();
        byte[] installedState;
        SnapshotStore store;

        @Override
        public SnapshotMeta newestSnapshot() {
            return newest;
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public long nowMillis() {
            return now;
        }

        @Override
        public void send(RaftMessage message) {
            sent.add((InstallSnapshotRequest) message);
        }

        @Override
        public void snapshotSendFailed(MemberId to) {
            sendFailed.add(to);
        }

        @Override
        public void chunkStored(InstallSnapshotRequest chunk, long received) {
            stored.add(received);
        }

        @Override
        public boolean takeSnapshotFor(MemberId to, long atLeast) {
            snapshotsAskedFor.add(to + "@" + atLeast);
            return canTakeSnapshot;
        }

        @Override
        public void install(SnapshotMeta meta, InstallSnapshotRequest last, long startedMillis) throws IOException {
            installed.add(meta);
            try (InputStream in = store.openState(meta)) {
                installedState = in.readAllBytes();
            }
        }

        InstallSnapshotRequest lastSent() {
            return sent.get(sent.size() - 1);
        }
    }

    SnapshotTransfersTest() throws IOException {
        for (int i = 0; i < state.length; i++) {
            state[i] = (byte) (i * 31);
        }
        try (SnapshotStore.Sink sink = leaderStore.create(meta)) {
            sink.stream().write(state);
            leaderHost.newest = sink.commit();
        }
        followerHost.store = followerStore;
    }

    /** Carries the leader's last chunk to the follower and the follower's answer back. */
    private void deliverLastChunk() {
        InstallSnapshotRequest chunk = leaderHost.lastSent();
        follower.onChunk(chunk);
        if (!followerHost.installed.isEmpty()) {
            leader.installedBy(followerId);
            return;
        }
        long received = followerHost.stored.get(followerHost.stored.size() - 1);
        leader.onChunkAcked(new Effect.SnapshotChunkAcked(followerId, chunk.lastIndex(), received));
    }

    @Test
    void theLeaderStreamsItsNewestSnapshotOneChunkPerAnswerAndTheFollowerInstallsIt() throws IOException {
        long size = leaderStore.size(meta);
        leader.send(followerId, 0);
        assertThat(leaderHost.sent).hasSize(1);
        assertThat(leaderHost.lastSent().term()).as("the host's term").isEqualTo(5);
        assertThat(leaderHost.lastSent().offset()).isZero();
        assertThat(leaderHost.lastSent().totalSize()).isEqualTo(size);

        int rounds = 0;
        while (followerHost.installed.isEmpty()) {
            int before = leaderHost.sent.size();
            deliverLastChunk();
            if (followerHost.installed.isEmpty()) {
                assertThat(leaderHost.sent).as("one chunk per answer").hasSize(before + 1);
            }
            assertThat(++rounds).isLessThan(100);
        }
        assertThat(leaderHost.sent).hasSize((int) ((size + CHUNK - 1) / CHUNK));
        assertThat(followerHost.installed).containsExactly(meta);
        assertThat(followerHost.installedState).isEqualTo(state);
        assertThat(leaderHost.sendFailed).isEmpty();

        leaderHost.now += RESEND;
        leader.resendStalled();
        assertThat(leaderHost.sent).as("done with this follower").hasSize((int) ((size + CHUNK - 1) / CHUNK));
    }

    @Test
    void aChunkWithNoAnswerIsSentAgainOnceTheAnswerIsOverdue() {
        leader.send(followerId, 0);
        leaderHost.now += RESEND - 1;
        leader.resendStalled();
        assertThat(leaderHost.sent).hasSize(1);
        leaderHost.now += 1;
        leader.resendStalled();
        assertThat(leaderHost.sent).hasSize(2);
        assertThat(leaderHost.sent.get(1).offset()).isZero();

        leader.stopSending();
        leaderHost.now += RESEND;
        leader.resendStalled();
        assertThat(leaderHost.sent).as("no longer leads").hasSize(2);
    }

    @Test
    void withoutASnapshotTheLeaderReportsThatItCannotSend() {
        leaderHost.newest = null;
        leader.send(followerId, 0);
        assertThat(leaderHost.sent).isEmpty();
        assertThat(leaderHost.sendFailed).containsExactly(followerId);
    }

    @Test
    void aSnapshotTooOldForTheFollowerIsTakenAnewIfItCanBe() {
        leaderHost.canTakeSnapshot = true;
        leader.send(followerId, 50);
        assertThat(leaderHost.snapshotsAskedFor).containsExactly("b@50");
        assertThat(leaderHost.sent).as("sent once taken").isEmpty();

        leaderHost.canTakeSnapshot = false;
        leader.send(followerId, 50);
        assertThat(leaderHost.sent).as("the newest one, then").hasSize(1);
    }

    @Test
    void theFollowerAsksAgainFromWhatItHoldsForAChunkOutOfPlaceOrDamaged() {
        leader.send(followerId, 0);
        InstallSnapshotRequest first = leaderHost.lastSent();
        follower.onChunk(first);
        assertThat(followerHost.stored).containsExactly((long) CHUNK);

        follower.onChunk(first); // a duplicate: out of place now
        assertThat(followerHost.stored).containsExactly((long) CHUNK, (long) CHUNK);

        leader.onChunkAcked(new Effect.SnapshotChunkAcked(followerId, meta.index(), CHUNK));
        InstallSnapshotRequest second = leaderHost.lastSent();
        byte[] damaged = Arrays.copyOf(second.data(), second.data().length);
        damaged[0] ^= 1;
        follower.onChunk(new InstallSnapshotRequest(second.group(), second.from(), second.to(), second.term(),
                second.lastIndex(), second.lastTerm(), second.offset(), second.totalSize(), damaged, second.crc()));
        assertThat(followerHost.stored).as("the damaged chunk is not stored")
                .containsExactly((long) CHUNK, (long) CHUNK, (long) CHUNK);
        assertThat(followerHost.installed).isEmpty();
    }

    @Test
    void theFollowerStartsOverForAChunkOfATransferItDoesNotHold() {
        leader.send(followerId, 0);
        leader.onChunkAcked(new Effect.SnapshotChunkAcked(followerId, meta.index(), CHUNK));
        follower.onChunk(leaderHost.lastSent()); // the first chunk never arrived
        assertThat(followerHost.stored).containsExactly(0L);
        assertThat(followerHost.installed).isEmpty();
    }
}
