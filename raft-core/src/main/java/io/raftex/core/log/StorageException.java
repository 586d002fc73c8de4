package io.raftex.core.log;

/** The store could not do what was asked; the group that uses it stops (fail-stop). */
public class StorageException extends RuntimeException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
