package io.raftex.autoconfigure;

import io.raftex.core.Codec;

/**
 * Refuses commands whose encoding could not travel to the other members in one RPC (raft.rpc.max-batch-bytes):
 * such a command would be appended but never replicated.
 */
final class SizeLimitedCodec<T> implements Codec<T> {

    private final Codec<T> codec;
    private final long maxBytes;

    SizeLimitedCodec(Codec<T> codec, long maxBytes) {
        this.codec = codec;
        this.maxBytes = maxBytes;
    }

    @Override
    public byte[] encode(T value) {
        byte[] bytes = codec.encode(value);
        if (bytes.length > maxBytes) {
            throw new IllegalArgumentException("the command encodes to " + bytes.length + " bytes, more than the "
                    + maxBytes + " that fit in one RPC (raise raft.rpc.max-batch-bytes to send larger commands)");
        }
        return bytes;
    }

    @Override
    public T decode(byte[] bytes) {
        return codec.decode(bytes);
    }
}
