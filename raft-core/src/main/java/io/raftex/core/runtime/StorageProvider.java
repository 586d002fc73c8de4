package io.raftex.core.runtime;


import io.raftex.core.MemberId;
import io.raftex.core.log.GroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.snapshot.SnapshotStore;

/**
 * Where a node keeps the logs of its groups. A node opens one {@link GroupLog} per group it hosts and closes it when
 * the group stops; the provider may share resources (a write-ahead log, a MapDB file, a flush thread) among them.
 *
 * <p>{@link #open} and {@link #close(String, GroupLog)} are called on the group's thread; {@link #close()} once,
 * when the node closes, after every group has been closed.
 */
public interface StorageProvider extends AutoCloseable {

    /**
     * Opens the log of {@code group} for member {@code self}: the stored log and metadata if the group was stored
     * before, else an empty log whose metadata is {@code initial}.
     *
     * @throws io.raftex.core.log.StorageException if the store cannot be opened or is corrupt
     */
    GroupLog open(String group, MemberId self, PersistentState initial);

    /**
     * The snapshot store of {@code group} for member {@code self}. Like the log, it outlives the group: a group
     * stopped and opened again finds the snapshots it wrote.
     *
     * @throws io.raftex.core.log.StorageException if the store cannot be opened
     */
    SnapshotStore snapshots(String group, MemberId self);

    /**
     * The incarnation of the node's data directory: a random non-zero number made when the directory was created,
     * the same for as long as it exists (see {@code docs/membership.md}, "Incarnations"). A member sends it with every
     * vote and acknowledgement; a configuration counts only the incarnation it binds, so a member whose disk was
     * lost is worth nothing to a quorum until the leader binds its new one. 0: the provider has no identity (the
     * protocol then works without incarnations, as a test may want).
     */
    default long incarnation() {
        return 0;
    }

    /** Closes a log opened by {@link #open}; writes not yet durable may be lost. Must not throw for a failed log. */
    void close(String group, GroupLog log);

    /** Releases everything the provider holds (files, threads). Idempotent. */
    @Override
    void close();
}
