package io.raftex.core.session;

import io.raftex.core.ApplyContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A state machine seen at the byte level: commands and results already encoded. */
public interface EncodedStateMachine {

    /** Applies one encoded command; deterministic. */
    byte[] apply(byte[] command, ApplyContext context);

    /** Writes the whole state. */
    void writeSnapshot(OutputStream out) throws IOException;

    /** Replaces the whole state. */
    void readSnapshot(InputStream in) throws IOException;
}
