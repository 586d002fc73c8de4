package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * A member hands a client command to the leader, which appends it to its log.
 *
 * @param requestId  the forwarding member's id for the proposal
 * @param clientId   the client session
 * @param sequence   the command's sequence number in the session
 * @param ackedBelow every lower sequence number of the session has been answered
 * @param payload    the encoded command
 */
public record ForwardCommand(String group, MemberId from, MemberId to, long term, long requestId, long clientId,
                             long sequence, long ackedBelow, byte[] payload) implements RaftMessage {
}
