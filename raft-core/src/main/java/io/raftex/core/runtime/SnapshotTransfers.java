package io.raftex.core.runtime;

import io.raftex.core.GroupStatus;
import io.raftex.core.MemberId;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.protocol.Effect;
import io.raftex.core.snapshot.SnapshotCorruptException;
import io.raftex.core.snapshot.SnapshotMeta;
import io.raftex.core.snapshot.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Moves snapshots between members for one group's shell, on the group thread: as leader, streams the newest snapshot
 * to each follower the core asks for ({@link Effect.SendSnapshot}), one chunk in flight, paced by the follower's
 * answers ({@link Effect.SnapshotChunkAcked}) and sent again when an answer is overdue; as follower, writes a
 * leader's chunks in order ({@link Effect.SnapshotChunk}), verifies the whole, and hands it to the shell to install.
 * The core keeps the protocol state; this class keeps only the bytes in flight.
 */
final class SnapshotTransfers {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotTransfers.class);

    /**
     * What the transfers need from the shell around them: two facts (the newest snapshot, the term), the clock, and
     * the reports to the core and the store the transfers make; never the core itself.
     */
    interface Host {
        /** The newest snapshot held, or null. */
        SnapshotMeta newestSnapshot();

        /** The member's current term, which a leader's chunks carry. */
        long term();

        long nowMillis();

        void send(RaftMessage message);

        /** Tells the core that no snapshot can be sent to {@code to} now. */
        void snapshotSendFailed(MemberId to);

        /** Tells the core how much of the leader's snapshot, of which {@code chunk} is part, is stored (0: none). */
        void chunkStored(InstallSnapshotRequest chunk, long received);

        /**
         * The newest snapshot does not cover {@code atLeast}, which {@code to} needs: take one that does and send it
         * once written, if possible; false if not (nothing applied that far).
         */
        boolean takeSnapshotFor(MemberId to, long atLeast);

        /**
         * A received snapshot is verified and durable: restore from it and tell the core.
         *
         * @param startedMillis when its first chunk arrived
         */
        void install(SnapshotMeta meta, InstallSnapshotRequest last, long startedMillis) throws IOException;
    }

    /** How often, at most, a follower logs how far it is with a snapshot it receives. */
    static final long PROGRESS_LOG_INTERVAL_MILLIS = 5_000;

    /** A snapshot on its way to one follower. */
    private static final class Sender {
        final MemberId to;
        final SnapshotMeta meta;
        final long size;
        long offset;
        long sentAtMillis;

        Sender(MemberId to, SnapshotMeta meta, long size) {
            this.to = to;
            this.meta = meta;
            this.size = size;
        }
    }

    private final String group;
    private final MemberId self;
    private final SnapshotStore snapshots;
    private final int chunkBytes;
    private final long resendAfterMillis;
    private final Host host;
    private final Map<MemberId, Sender> senders = new HashMap<>();
    private SnapshotStore.Incoming receiving;
    private MemberId receivingFrom;
    private long receivingLeaderTerm;
    private long receivingStartedMillis;
    private long progressLoggedAtMillis;
    // ---- published for other threads
    private volatile long bytesSent;
    private volatile long bytesReceived;
    private volatile long installFailures;
    /** The snapshot being received, or null; replaced whole, so that a reader sees one consistent value. */
    private volatile GroupStatus.SnapshotInstall progress;

    SnapshotTransfers(String group, MemberId self, SnapshotStore snapshots, int chunkBytes, long resendAfterMillis,
                      Host host) {
        this.group = group;
        this.self = self;
        this.snapshots = snapshots;
        this.chunkBytes = chunkBytes;
        this.resendAfterMillis = resendAfterMillis;
        this.host = host;
    }

    // ------------------------------------------------------------------ leader

    /** Sends {@code to} the newest snapshot (one covering {@code atLeast}, if more than 0), or goes on with it. */
    void send(MemberId to, long atLeast) {
        SnapshotMeta newest = host.newestSnapshot();
        if (atLeast > 0 && (newest == null || newest.index() < atLeast) && host.takeSnapshotFor(to, atLeast)) {
            return;
        }
        Sender current = senders.get(to);
        if (current != null && newest != null && current.meta.index() == newest.index()) {
            sendChunk(current); // the transfer was restarted: go on from where it stood
            return;
        }
        if (newest == null) {
            LOG.warn("[{}@{}] {} needs entries this member compacted, but no snapshot is held", group, self, to);
            host.snapshotSendFailed(to);
            return;
        }
        try {
            Sender sender = new Sender(to, newest, snapshots.size(newest));
            senders.put(to, sender);
            LOG.info("[{}@{}] sending snapshot {} ({} bytes) to {}", group, self, newest.index(), sender.size, to);
            sendChunk(sender);
        } catch (IOException e) {
            LOG.warn("[{}@{}] cannot read snapshot {} to send it: {}", group, self, newest.index(), e.toString());
            senders.remove(to);
            host.snapshotSendFailed(to);
        }
    }

    private void sendChunk(Sender s) {
        byte[] data;
        try {
            data = snapshots.read(s.meta, s.offset, chunkBytes);
        } catch (IOException e) {
            senders.remove(s.to);
            SnapshotMeta newest = host.newestSnapshot();
            if (newest != null && newest.index() > s.meta.index()) {
                // a newer snapshot replaced this one meanwhile: send that one instead, from its start
                LOG.debug("[{}@{}] snapshot {} for {} was replaced by {}", group, self, s.meta.index(), s.to,
                        newest.index());
                send(s.to, 0);
                return;
            }
            LOG.warn("[{}@{}] cannot read snapshot {} to send it: {}", group, self, s.meta.index(), e.toString());
            host.snapshotSendFailed(s.to);
            return;
        }
        s.sentAtMillis = host.nowMillis();
        bytesSent += data.length;
        host.send(new InstallSnapshotRequest(group, self, s.to, host.term(), s.meta.index(), s.meta.term(),
                s.offset, s.size, data, crc32c(data)));
    }

    /** The follower holds {@code received} bytes: send on from there. */
    void onChunkAcked(Effect.SnapshotChunkAcked ack) {
        Sender s = senders.get(ack.from());
        if (s == null || s.meta.index() != ack.lastIndex()) {
            return; // an answer about another transfer
        }
        s.offset = ack.received() >= 0 && ack.received() <= s.size ? ack.received() : 0;
        if (s.offset < s.size) {
            sendChunk(s);
        }
        // else: the follower has it all and is verifying it; its "installed" (or a restart from 0) comes next
    }

    /** The follower installed its snapshot: nothing more to send it. */
    void installedBy(MemberId follower) {
        senders.remove(follower);
    }

    /** This member no longer leads: its transfers end (a new leader starts its own). */
    void stopSending() {
        senders.clear();
    }

    /** A chunk, or the answer to it, was lost: send it again once an answer is overdue. */
    void resendStalled() {
        if (senders.isEmpty()) {
            return;
        }
        long now = host.nowMillis();
        for (Sender s : new ArrayList<>(senders.values())) {
            if (now - s.sentAtMillis >= resendAfterMillis) {
                sendChunk(s);
            }
        }
    }

    // ------------------------------------------------------------------ follower

    /** Stores one chunk of the leader's snapshot; once all of it is here and verifies, hands it to the host. */
    void onChunk(InstallSnapshotRequest c) {
        try {
            if (receiving == null || receiving.index() != c.lastIndex() || receiving.term() != c.lastTerm()
                    || !c.from().equals(receivingFrom) || c.term() != receivingLeaderTerm) {
                abortReceiving();
                if (c.offset() != 0) {
                    host.chunkStored(c, 0); // a transfer this member does not hold
                    return;
                }
                receiving = snapshots.receive(c.lastIndex(), c.lastTerm());
                receivingFrom = c.from();
                receivingLeaderTerm = c.term();
                receivingStartedMillis = host.nowMillis();
                progressLoggedAtMillis = receivingStartedMillis;
                LOG.info("[{}@{}] receiving snapshot {} ({} bytes) from {}", group, self, c.lastIndex(),
                        c.totalSize(), c.from());
            }
            if (c.offset() != receiving.received() || crc32c(c.data()) != c.crc()
                    || c.offset() + c.data().length > c.totalSize()) {
                host.chunkStored(c, receiving.received()); // out of place or damaged
                return;
            }
            receiving.write(c.offset(), c.data());
            bytesReceived += c.data().length;
            progress = new GroupStatus.SnapshotInstall(c.lastIndex(), receiving.received(), c.totalSize());
            long now = host.nowMillis();
            if (!c.last() && now - progressLoggedAtMillis >= PROGRESS_LOG_INTERVAL_MILLIS) {
                progressLoggedAtMillis = now;
                LOG.info("[{}@{}] receiving snapshot {} from {}: {} of {} bytes", group, self, c.lastIndex(),
                        c.from(), receiving.received(), c.totalSize());
            }
            if (!c.last()) {
                host.chunkStored(c, receiving.received());
                return;
            }
            SnapshotMeta meta;
            try {
                meta = receiving.complete();
            } catch (SnapshotCorruptException e) {
                LOG.warn("[{}@{}] snapshot {} from {} does not verify ({}); asking for it again", group, self,
                        c.lastIndex(), c.from(), e.getMessage());
                installFailed();
                abortReceiving();
                host.chunkStored(c, 0);
                return;
            }
            receiving = null;
            progress = null;
            host.install(meta, c, receivingStartedMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("group '" + group + "': cannot store a snapshot from " + c.from(), e);
        }
    }

    /** Drops a snapshot being received (the group stops, or another transfer replaces it). */
    void abortReceiving() {
        if (receiving != null) {
            receiving.close();
            receiving = null;
        }
        progress = null;
    }

    /** A received snapshot could not be installed (it did not verify, or the state machine refused it). */
    void installFailed() {
        installFailures++;
    }

    /** Bytes of snapshot chunks sent to followers; readable from any thread. */
    long bytesSent() {
        return bytesSent;
    }

    /** Bytes of snapshot chunks stored from a leader; readable from any thread. */
    long bytesReceived() {
        return bytesReceived;
    }

    /** Received snapshots that could not be installed; readable from any thread. */
    long installFailures() {
        return installFailures;
    }

    /** The snapshot being received now, if any; readable from any thread. */
    Optional<GroupStatus.SnapshotInstall> progress() {
        return Optional.ofNullable(progress);
    }

    private static int crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return (int) crc.getValue();
    }
}
