package io.raftex.core.protocol;

import io.raftex.core.MemberId;
import io.raftex.core.Role;
import io.raftex.core.message.ChangeRejection;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.RaftMessage;

import java.util.Optional;

/**
 * Something the protocol core asks its shell to do. The core performs no I/O; every call returns the effects it
 * wants carried out, in order.
 */
public sealed interface Effect {

    /** Send a message to another member. */
    record Send(RaftMessage message) implements Effect {
    }

    /** The commit index rose; apply every entry up to {@code commitIndex}. */
    record CommitAdvanced(long commitIndex) implements Effect {
    }

    /**
     * A proposal was appended at {@code index} in {@code term}; it is applied there if the entry applied at that
     * index has this term.
     */
    record ProposalAccepted(long requestId, long index, long term) implements Effect {
    }

    /** A proposal was not appended; the client may retry elsewhere. */
    record ProposalRejected(long requestId, Rejection reason, Optional<MemberId> leaderHint) implements Effect {
    }

    /** A query may run once this member has applied up to {@code readIndex}. */
    record ReadReady(long requestId, long readIndex) implements Effect {
    }

    /** A query could not be given a read index. */
    record ReadRejected(long requestId, Rejection reason, Optional<MemberId> leaderHint) implements Effect {
    }

    /**
     * A follower needs entries this member no longer holds, or asked for a snapshot: send it the newest snapshot, in
     * chunks, starting where the follower says it stands (it may hold part of the same snapshot already). The
     * snapshot must cover at least {@code atLeast} (0: any will do).
     */
    record SendSnapshot(MemberId to, long atLeast) implements Effect {
    }

    /** A follower holds {@code received} bytes of the snapshot at {@code lastIndex}: send on from there. */
    record SnapshotChunkAcked(MemberId from, long lastIndex, long received) implements Effect {
    }

    /**
     * A chunk of the leader's snapshot arrived: store it, and answer through
     * {@link RaftMember#snapshotChunkStored}; once the whole snapshot is stored and verified, restore the state from
     * it and report {@link RaftMember#snapshotInstalled}.
     */
    record SnapshotChunk(InstallSnapshotRequest chunk) implements Effect {
    }

    /**
     * A membership change was appended at {@code index} in {@code term}; it has taken effect once that index is
     * committed with an entry of this term.
     */
    record ChangeAccepted(long requestId, long index, long term) implements Effect {
    }

    /** A membership change was not appended. */
    record ChangeRejected(long requestId, ChangeRejection reason, Optional<MemberId> leaderHint) implements Effect {
    }

    /** The member's role, term or known leader changed. */
    record RoleChanged(Role role, long term, Optional<MemberId> leader) implements Effect {
    }

    /**
     * The member refused something no correct peer sends, or a step it must not take (a term past the limit, an
     * append contradicting a committed entry, a campaign at the highest term): once per sender and term, for the
     * shell to log; the member carries on.
     */
    record Refused(String reason) implements Effect {
    }

    /** Why a proposal or read was turned down. */
    enum Rejection {
        /** No leader is known. */
        NO_LEADER,
        /** This member is not the leader and cannot forward (it was a forwarded request, or forwarding is off). */
        NOT_LEADER,
        /** The leader lost its leadership before it could serve the request. */
        LEADERSHIP_LOST,
        /** Too many requests are already waiting. */
        OVERLOADED,
        /** The leader is handing leadership to another member; retry shortly. */
        LEADERSHIP_TRANSFER
    }
}
