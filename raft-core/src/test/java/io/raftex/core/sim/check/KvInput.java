package io.raftex.core.sim.check;

import java.util.Objects;

/** A request to the key-value store checked by {@link KvModel}. Every request addresses exactly one key. */
public sealed interface KvInput permits KvInput.Put, KvInput.Get, KvInput.Cas, KvInput.Delete {

    /** The key this request addresses. */
    String key();

    /** Unconditionally sets {@code key} to {@code value}; answered by {@link KvOutput.PutOk}. */
    record Put(String key, String value) implements KvInput {
        /** Rejects null key or value. */
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value (use Delete to remove a key)");
        }
    }

    /** Reads {@code key}; answered by {@link KvOutput.GetResult}. */
    record Get(String key) implements KvInput {
        /** Rejects a null key. */
        public Get {
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * Sets {@code key} to {@code value} iff its current value equals {@code expected} ({@code null} = the key is
     * absent); answered by {@link KvOutput.CasResult}.
     */
    record Cas(String key, String expected, String value) implements KvInput {
        /** Rejects null key or value ({@code expected} may be null). */
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** Removes {@code key}; answered by {@link KvOutput.DeleteResult}. */
    record Delete(String key) implements KvInput {
        /** Rejects a null key. */
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }
}
