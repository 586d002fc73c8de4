package io.raftex.autoconfigure;

import io.raftex.core.Codec;
import tools.jackson.databind.ObjectMapper;

import java.lang.reflect.Type;

/** The default {@link RaftCodecFactory}: JSON with a Jackson mapper. */
public final class JacksonRaftCodecFactory implements RaftCodecFactory {

    private final ObjectMapper mapper;

    public JacksonRaftCodecFactory(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public <T> Codec<T> codec(String group, Type type) {
        return new JsonCodec<>(mapper, type);
    }
}
