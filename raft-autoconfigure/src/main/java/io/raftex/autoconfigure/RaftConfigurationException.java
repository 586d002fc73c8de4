package io.raftex.autoconfigure;

/**
 * The {@code raft.*} configuration is invalid; the application does not start. The message names the property
 * and says what is wrong with it.
 */
public class RaftConfigurationException extends RuntimeException {

    private final String property;

    public RaftConfigurationException(String property, String message) {
        super(message);
        this.property = property;
    }

    public RaftConfigurationException(String property, String message, Throwable cause) {
        super(message, cause);
        this.property = property;
    }

    /** The property at fault, for example {@code raft.node-id}. */
    public String property() {
        return property;
    }
}
