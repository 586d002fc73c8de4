package io.raftex.core.log;

/**
 * A data directory is not this node's to open: it belongs to another node or another cluster, or is written in a
 * format newer than this version reads. The message names both sides; nothing in the directory is changed.
 */
public class IdentityMismatchException extends StorageException {

    public IdentityMismatchException(String message) {
        super(message);
    }
}
