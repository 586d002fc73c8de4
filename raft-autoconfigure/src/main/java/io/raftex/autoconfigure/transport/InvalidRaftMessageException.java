package io.raftex.autoconfigure.transport;

/**
 * An inbound peer message is structurally invalid (see {@link RaftMessageValidator}); the message says which field
 * is wrong and why. A transport answers it as a malformed request and hands nothing of that request to the node.
 */
public class InvalidRaftMessageException extends RuntimeException {

    public InvalidRaftMessageException(String message) {
        super(message);
    }
}
