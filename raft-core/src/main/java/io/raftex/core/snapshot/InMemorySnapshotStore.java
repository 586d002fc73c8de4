package io.raftex.core.snapshot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link SnapshotStore} in memory, holding each snapshot as the byte array of its whole form (the same bytes a
 * {@link FileSnapshotStore} file holds, verified by the same code). It serves as a disk that outlives a node: a
 * snapshot becomes visible only when committed or completed, and {@link #crash()} drops whatever was still being
 * written, as a crash and the next open would. {@link #corrupt} and {@link #truncate} damage a held snapshot for
 * tests.
 *
 * <p>Every method is thread-safe; held forms are never changed in place (damage replaces them), so a stream opened
 * on one keeps reading the bytes it started with.
 */
public final class InMemorySnapshotStore implements SnapshotStore {

    private static final Logger LOG = LoggerFactory.getLogger(InMemorySnapshotStore.class);
    private static final Comparator<Key> NEWEST_FIRST =
            Comparator.comparingLong(Key::index).thenComparingLong(Key::term).reversed();

    private final String name;
    private final TreeMap<Key, Held> held = new TreeMap<>(NEWEST_FIRST); // guarded by this
    private long generation;                                              // guarded by this; bumped by crash()
    private MemoryIncoming incoming;                                      // guarded by this
    /** Held forms {@link #latestValid} found damaged, by identity; {@link #retain} deletes them. */
    private final Set<Held> damaged = Collections.newSetFromMap(new IdentityHashMap<>()); // guarded by this

    /** An empty store named {@code "memory"} in log lines. */
    public InMemorySnapshotStore() {
        this("memory");
    }

    /** An empty store; {@code name} (for example the group) appears in log lines and errors. */
    public InMemorySnapshotStore(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    private record Key(long index, long term) {
    }

    private record Held(SnapshotMeta meta, byte[] form) {
    }

    @Override
    public synchronized List<SnapshotMeta> list() {
        List<SnapshotMeta> metas = new ArrayList<>(held.size());
        for (Held h : held.values()) {
            metas.add(h.meta());
        }
        return metas;
    }

    @Override
    public Optional<SnapshotMeta> latestValid() {
        List<Held> candidates;
        synchronized (this) {
            candidates = new ArrayList<>(held.values());
        }
        for (int i = 0; i < candidates.size(); i++) {
            Held h = candidates.get(i);
            try {
                SnapshotMeta meta = verify(h.form(), what(h.meta().index(), h.meta().term()));
                if (meta.index() != h.meta().index() || meta.term() != h.meta().term()) {
                    throw SnapshotFormat.corrupt(what(h.meta().index(), h.meta().term()), "its header is for index "
                            + meta.index() + " term " + meta.term());
                }
                return Optional.of(meta);
            } catch (SnapshotCorruptException e) {
                synchronized (this) {
                    if (held.get(new Key(h.meta().index(), h.meta().term())) == h) {
                        damaged.add(h);
                    }
                }
                LOG.warn("{}; {}", e.getMessage(),
                        i + 1 < candidates.size() ? "trying an older one" : "no older snapshot left");
            } catch (IOException e) {
                throw new IllegalStateException("cannot happen on a byte array", e);
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized Sink create(SnapshotMeta meta) {
        return new MemorySink(Objects.requireNonNull(meta, "meta"), generation);
    }

    @Override
    public InputStream openState(SnapshotMeta meta) throws IOException {
        Held h = get(meta);
        return SnapshotFormat.stateStream(new ByteArrayInputStream(h.form()), h.form().length,
                what(meta.index(), meta.term()));
    }

    @Override
    public long size(SnapshotMeta meta) throws IOException {
        return get(meta).form().length;
    }

    @Override
    public byte[] read(SnapshotMeta meta, long offset, int maxBytes) throws IOException {
        if (offset < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("offset and maxBytes must not be negative: " + offset + ", " + maxBytes);
        }
        byte[] form = get(meta).form();
        if (offset > form.length) {
            throw new IllegalArgumentException("offset " + offset + " is past the end of " + what(meta.index(),
                    meta.term()) + " (" + form.length + " bytes)");
        }
        int from = (int) offset;
        return Arrays.copyOfRange(form, from, from + Math.min(maxBytes, form.length - from));
    }

    @Override
    public Incoming receive(long index, long term) {
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException("a snapshot covers index >= 1 in term >= 1: " + index + "/" + term);
        }
        MemoryIncoming previous;
        MemoryIncoming next;
        synchronized (this) {
            previous = incoming;
            next = new MemoryIncoming(index, term, generation);
            incoming = next;
        }
        if (previous != null) {
            previous.close(); // outside the store's monitor: complete takes the incoming's first, then the store's
        }
        return next;
    }

    @Override
    public synchronized void retain(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one snapshot: " + keep);
        }
        int kept = 0;
        for (Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (!damaged.remove(h) && kept < keep) {
                kept++;
            } else {
                it.remove();
            }
        }
    }

    @Override
    public synchronized void delete(SnapshotMeta meta) {
        Held gone = held.remove(new Key(meta.index(), meta.term()));
        if (gone != null) {
            damaged.remove(gone);
        }
    }

    /**
     * Drops every snapshot still being written or received, as a crash followed by the next open would: their
     * {@code commit()} and {@code complete()} fail from now on. Held snapshots stay.
     */
    public synchronized void crash() {
        generation++;
        incoming = null;
    }

    /**
     * Test hook: flips one byte (in the middle) of the held snapshot at {@code index} (the newest term there), so
     * that it no longer verifies; streams opened before keep the old bytes.
     *
     * @throws IllegalArgumentException if no snapshot at {@code index} is held
     */
    public synchronized void corrupt(long index) {
        Map.Entry<Key, Held> e = entryAt(index);
        byte[] form = e.getValue().form().clone();
        form[form.length / 2] ^= (byte) 0xff;
        e.setValue(new Held(e.getValue().meta(), form));
    }

    /**
     * Test hook: drops the last {@code bytes} bytes of the held snapshot at {@code index} (the newest term there),
     * as a torn write would.
     *
     * @throws IllegalArgumentException if no snapshot at {@code index} is held
     */
    public synchronized void truncate(long index, int bytes) {
        Map.Entry<Key, Held> e = entryAt(index);
        byte[] form = e.getValue().form();
        e.setValue(new Held(e.getValue().meta(), Arrays.copyOf(form, Math.max(0, form.length - bytes))));
    }

    @Override
    public String toString() {
        return "InMemorySnapshotStore[" + name + "]";
    }

    private Map.Entry<Key, Held> entryAt(long index) {
        for (Map.Entry<Key, Held> e : held.entrySet()) {
            if (e.getKey().index() == index) {
                return e;
            }
        }
        throw new IllegalArgumentException("no snapshot at index " + index + " in " + this);
    }

    private synchronized Held get(SnapshotMeta meta) throws NoSuchFileException {
        Held h = held.get(new Key(meta.index(), meta.term()));
        if (h == null) {
            throw new NoSuchFileException(what(meta.index(), meta.term()), null, "not held");
        }
        return h;
    }

    private String what(long index, long term) {
        return "index " + index + " term " + term + " in " + this;
    }

    private static SnapshotMeta verify(byte[] form, String what) throws IOException {
        return SnapshotFormat.verify(new ByteArrayInputStream(form), form.length, what);
    }

    /** Makes a verified form visible, replacing any held at the same index, unless the store crashed meanwhile. */
    private synchronized void publish(SnapshotMeta meta, byte[] form, long since) throws IOException {
        if (since != generation) {
            throw new IOException("snapshot " + what(meta.index(), meta.term())
                    + " was still being written when the store crashed; it is lost");
        }
        held.keySet().removeIf(k -> k.index() == meta.index());
        Held replaced = held.put(new Key(meta.index(), meta.term()), new Held(meta, form));
        if (replaced != null) {
            damaged.remove(replaced);
        }
    }

    private synchronized void forget(MemoryIncoming done) {
        if (incoming == done) {
            incoming = null;
        }
    }

    private enum State { OPEN, DONE, DROPPED }

    /** A local snapshot being written: the state gathers in memory, the form is built by commit. */
    private final class MemorySink extends SinkBase {
        private final long since;
        private final ByteArrayOutputStream state = new ByteArrayOutputStream();

        MemorySink(SnapshotMeta meta, long since) {
            super(meta);
            this.since = since;
        }

        @Override
        protected OutputStream target() {
            return state;
        }

        @Override
        protected void publish() throws IOException {
            InMemorySnapshotStore.this.publish(meta, SnapshotFormat.encode(meta, state.toByteArray()), since);
        }

        @Override
        protected void discard() {
            // nothing was visible; the bytes go with the sink
        }
    }

    /** A snapshot arriving in chunks, gathered in memory. */
    private final class MemoryIncoming implements Incoming {
        private final long index;
        private final long term;
        private final long since;
        private final ByteArrayOutputStream form = new ByteArrayOutputStream(); // guarded by this
        private State status = State.OPEN;                                     // guarded by this

        MemoryIncoming(long index, long term, long since) {
            this.index = index;
            this.term = term;
            this.since = since;
        }

        @Override
        public long index() {
            return index;
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public synchronized long received() {
            return form.size();
        }

        @Override
        public synchronized void write(long offset, byte[] chunk) {
            Objects.requireNonNull(chunk, "chunk");
            checkOpen();
            if (offset != form.size()) {
                throw new IllegalArgumentException("chunk of the snapshot at index " + index + " term " + term
                        + " starts at offset " + offset + ", expected " + form.size());
            }
            form.writeBytes(chunk);
        }

        @Override
        public synchronized SnapshotMeta complete() throws IOException {
            checkOpen();
            status = State.DONE;
            String what = "received for index " + index + " term " + term + " in " + InMemorySnapshotStore.this;
            try {
                byte[] bytes = form.toByteArray();
                SnapshotMeta meta = verify(bytes, what);
                if (meta.index() != index || meta.term() != term) {
                    throw SnapshotFormat.corrupt(what, "its header is for index " + meta.index() + " term "
                            + meta.term() + ", not index " + index + " term " + term);
                }
                publish(meta, bytes, since);
                return meta;
            } catch (IOException | RuntimeException e) {
                status = State.DROPPED;
                throw e;
            } finally {
                form.reset();
                forget(this);
            }
        }

        @Override
        public synchronized void close() {
            if (status == State.OPEN) {
                status = State.DROPPED;
                form.reset();
                forget(this);
            }
        }

        private void checkOpen() {
            if (status != State.OPEN) {
                throw new IllegalStateException("the snapshot at index " + index + " term " + term
                        + " being received was already completed or dropped (a newer receive drops it)");
            }
        }
    }
}
