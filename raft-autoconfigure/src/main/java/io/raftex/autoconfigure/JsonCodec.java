package io.raftex.autoconfigure;

import io.raftex.core.Codec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;

import java.lang.reflect.Type;

/**
 * Encodes commands or results of a state machine as JSON with Jackson, for the log and for forwarding. Every node
 * must use the same mapper settings so that every member decodes the same value.
 *
 * @param <T> the value type
 */
public final class JsonCodec<T> implements Codec<T> {

    private final JavaType type;
    private final ObjectReader reader;
    private final ObjectWriter writer;

    /** A codec for values of {@code type}, which may be generic (for example {@code List<String>}). */
    public JsonCodec(ObjectMapper mapper, Type type) {
        this.type = mapper.getTypeFactory().constructType(type);
        this.reader = mapper.readerFor(this.type);
        this.writer = mapper.writerFor(this.type);
    }

    @Override
    public byte[] encode(T value) {
        try {
            return writer.writeValueAsBytes(value);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("cannot encode " + type + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public T decode(byte[] bytes) {
        try {
            return reader.readValue(bytes);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("cannot decode " + type + " from JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The type this codec handles. */
    public JavaType type() {
        return type;
    }

    @Override
    public String toString() {
        return "JsonCodec[" + type + "]";
    }
}
