package io.raftex.core.protocol;

import java.util.Objects;

/**
 * A client command offered to the group.
 *
 * @param requestId  the proposing member's id for it, echoed in the effect that answers it
 * @param clientId   the client session
 * @param sequence   the command's sequence number in the session (from 1)
 * @param ackedBelow every lower sequence number of the session has been answered to the client
 * @param payload    the encoded command
 */
public record Proposal(long requestId, long clientId, long sequence, long ackedBelow, byte[] payload) {

    public Proposal {
        Objects.requireNonNull(payload, "payload");
    }
}
