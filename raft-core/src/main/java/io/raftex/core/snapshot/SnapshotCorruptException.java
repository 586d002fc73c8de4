package io.raftex.core.snapshot;

import java.io.IOException;

/** A snapshot's bytes do not verify: a broken header, a wrong length, or a checksum mismatch. */
public class SnapshotCorruptException extends IOException {

    public SnapshotCorruptException(String message) {
        super(message);
    }
}
