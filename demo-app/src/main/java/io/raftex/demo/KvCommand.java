package io.raftex.demo;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.Objects;

/**
 * A change to the store, as it is written to the Raft log (JSON, with its kind in the field {@code "op"}). The
 * records check their limits when they are made, so a command that a state machine could not apply never reaches
 * the log: a request breaking them is refused with 400, and a forwarded one fails to decode.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
        @JsonSubTypes.Type(value = KvCommand.Put.class, name = "put"),
        @JsonSubTypes.Type(value = KvCommand.Delete.class, name = "delete"),
        @JsonSubTypes.Type(value = KvCommand.CompareAndSet.class, name = "cas")})
public sealed interface KvCommand permits KvCommand.Put, KvCommand.Delete, KvCommand.CompareAndSet {

    /** Longest key, in characters. */
    int MAX_KEY_LENGTH = 256;

    /** Longest value, in characters. */
    int MAX_VALUE_LENGTH = 65_536;

    /** The key the command changes. */
    String key();

    /**
     * Sets {@code key} to {@code value}.
     *
     * @param key   the key
     * @param value the new value
     */
    record Put(String key, String value) implements KvCommand {
        public Put {
            checkKey(key);
            checkValue("value", value);
        }
    }

    /**
     * Removes {@code key}.
     *
     * @param key the key
     */
    record Delete(String key) implements KvCommand {
        public Delete {
            checkKey(key);
        }
    }

    /**
     * Sets {@code key} to {@code value} if its current value is {@code expected}, where a null {@code expected}
     * means "only if the key is absent".
     *
     * @param key      the key
     * @param expected the value the key must have now, or null for "absent"
     * @param value    the new value
     */
    record CompareAndSet(String key, String expected, String value) implements KvCommand {
        public CompareAndSet {
            checkKey(key);
            if (expected != null) {
                checkValue("expected", expected);
            }
            checkValue("value", value);
        }
    }

    /** Throws {@link IllegalArgumentException} unless {@code key} is a non-empty key of at most the longest length. */
    static void checkKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key is " + key.length() + " characters long; the limit is "
                    + MAX_KEY_LENGTH);
        }
        checkWellFormed("key", key);
    }

    /** Throws {@link IllegalArgumentException} unless {@code value} is present and within the longest length. */
    static void checkValue(String field, String value) {
        if (value == null) {
            throw new IllegalArgumentException("'" + field + "' is required");
        }
        if (value.length() > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("'" + field + "' is " + value.length()
                    + " characters long; the limit is " + MAX_VALUE_LENGTH);
        }
        checkWellFormed("'" + field + "'", value);
    }

    /**
     * Throws {@link IllegalArgumentException} if {@code text} holds an unpaired surrogate: such a string is not
     * Unicode text, has no UTF-8 form, and a snapshot of the store could not be written with it in.
     */
    private static void checkWellFormed(String what, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " holds an unpaired surrogate (U+"
                        + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT) + ") at character " + i
                        + ": it is not Unicode text");
            }
        }
    }
}
