package io.raftex.core.snapshot;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The life of a {@link SnapshotStore.Sink}, shared by both stores: open, then committed once or dropped. The stream
 * handed to the writer refuses writes once the sink is no longer open, and closing it only flushes it (the sink owns
 * it). A store supplies where the bytes go, how the finished snapshot is published, and how a dropped one is
 * discarded.
 */
abstract class SinkBase implements SnapshotStore.Sink {

    private enum State { OPEN, DONE, DROPPED }

    protected final SnapshotMeta meta;
    private State state = State.OPEN; // guarded by this
    private final OutputStream exposed = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            checkOpen();
            target().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            checkOpen();
            target().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            checkOpen();
            target().flush();
        }

        @Override
        public void close() throws IOException {
            if (isOpen()) {
                target().flush();
            }
        }
    };

    protected SinkBase(SnapshotMeta meta) {
        this.meta = meta;
    }

    /** Where the state's bytes go while the sink is open. */
    protected abstract OutputStream target();

    /** Completes the snapshot's form and makes it durable and visible. */
    protected abstract void publish() throws IOException;

    /** Drops what was written (the sink was closed without a commit, or the commit failed). */
    protected abstract void discard();

    @Override
    public final OutputStream stream() {
        return exposed;
    }

    private synchronized boolean isOpen() {
        return state == State.OPEN;
    }

    private void checkOpen() throws IOException {
        if (!isOpen()) {
            throw new IOException("the snapshot " + meta + " being written was already committed or closed");
        }
    }

    @Override
    public final synchronized SnapshotMeta commit() throws IOException {
        if (state != State.OPEN) {
            throw new IllegalStateException("snapshot " + meta + " was already committed or closed");
        }
        state = State.DONE;
        try {
            publish();
            return meta;
        } catch (IOException | RuntimeException e) {
            state = State.DROPPED;
            discard();
            throw e;
        }
    }

    @Override
    public final synchronized void close() {
        if (state == State.OPEN) {
            state = State.DROPPED;
            discard();
        }
    }
}
