package io.raftex.autoconfigure.transport;

import io.raftex.core.MemberId;
import io.raftex.core.message.RaftMessage;

import java.lang.reflect.RecordComponent;

/**
 * Sanity checks of a decoded inbound message before it reaches the protocol: it is addressed to this node and
 * carries no negative term or index. The protocol trusts authenticated peers beyond that.
 */
final class MessageChecks {

    private MessageChecks() {
    }

    /** What is wrong with {@code message}, or null if nothing. */
    static String problem(RaftMessage message, MemberId localId) {
        if (message.group().isBlank()) {
            return message.getClass().getSimpleName() + " has a blank group";
        }
        if (!message.to().equals(localId)) {
            return message.getClass().getSimpleName() + " is addressed to '" + message.to() + "', but this is node '"
                    + localId + "'";
        }
        for (RecordComponent c : message.getClass().getRecordComponents()) {
            if (c.getType() != long.class && c.getType() != int.class) {
                continue;
            }
            String name = c.getName();
            if (name.equals("term") || name.endsWith("Index") || name.endsWith("Term") || name.equals("leaderCommit")) {
                long value;
                try {
                    value = ((Number) c.getAccessor().invoke(message)).longValue();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
                if (value < 0) {
                    return message.getClass().getSimpleName() + "." + name + " is negative: " + value;
                }
            }
        }
        return null;
    }
}
