package io.raftex.autoconfigure;

import io.raftex.core.Codec;

import java.lang.reflect.Type;

/**
 * Makes the codecs of the commands and results of {@link RaftStateMachine} groups. The default encodes JSON with
 * the application's Jackson {@code JsonMapper}; declare a bean of this type to use another encoding. Every node of
 * a cluster must encode the same way.
 */
@FunctionalInterface
public interface RaftCodecFactory {

    /**
     * A codec for values of {@code type}, as resolved from a state machine's {@code StateMachine<C, R>} signature.
     *
     * @param group the group the codec is for
     * @param type  the command or result type, possibly generic
     */
    <T> Codec<T> codec(String group, Type type);
}
