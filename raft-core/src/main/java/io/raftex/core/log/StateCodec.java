package io.raftex.core.log;

import io.raftex.core.MemberId;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Binary encoding of {@link PersistentState}: {@code version:u8 term:i64 hasVote:u8 [votedFor:str]
 * configCount:i32 (index:i64 term:i64 config)* crc32c:i32}, each configuration as {@link ConfigCodec} writes it,
 * strings as {@code length:i32 utf8}. Version 1 records (one configuration, without index and term) still decode.
 * The CRC is verified on every decode, so a damaged record can never reset a term or a vote silently.
 */
public final class StateCodec {

    private static final byte VERSION = 2;
    private static final byte VERSION_1 = 1;

    private StateCodec() {
    }

    /** Encodes the state with a trailing CRC32C. */
    public static byte[] encode(PersistentState state) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeLong(state.currentTerm());
            out.writeBoolean(state.votedFor().isPresent());
            if (state.votedFor().isPresent()) {
                ConfigCodec.writeString(out, state.votedFor().get().value());
            }
            out.writeInt(state.configs().size());
            for (ConfigEntry c : state.configs()) {
                out.writeLong(c.index());
                out.writeLong(c.term());
                ConfigCodec.write(out, c.config());
            }
            byte[] body = bytes.toByteArray();
            out.writeInt(EntryCodec.crc(body, 0, body.length));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen on a byte array
        }
    }

    /**
     * Decodes a state, verifying its CRC first.
     *
     * @param what names the record in the error message, e.g. {@code "state of group g1"}
     * @throws StorageException if the record is damaged
     */
    public static PersistentState decode(byte[] record, String what) {
        if (record == null || record.length < 5) {
            throw new StorageException("corrupt " + what + ": truncated");
        }
        int stored = ByteBuffer.wrap(record, record.length - 4, 4).getInt();
        if (stored != EntryCodec.crc(record, 0, record.length - 4)) {
            throw new StorageException("corrupt " + what + ": CRC32C mismatch");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(record, 0, record.length - 4);
            byte version = in.get();
            if (version != VERSION && version != VERSION_1) {
                throw new StorageException("corrupt " + what + ": unknown version " + version);
            }
            long term = in.getLong();
            Optional<MemberId> vote = in.get() != 0
                    ? Optional.of(MemberId.of(ConfigCodec.readString(in))) : Optional.empty();
            if (version == VERSION_1) {
                return new PersistentState(term, vote, ConfigCodec.read(in));
            }
            int count = in.getInt();
            if (count < 1 || count > in.remaining()) {
                throw new StorageException("corrupt " + what + ": impossible configuration count " + count);
            }
            List<ConfigEntry> configs = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long index = in.getLong();
                long entryTerm = in.getLong();
                configs.add(new ConfigEntry(index, entryTerm, ConfigCodec.read(in)));
            }
            return new PersistentState(term, vote, configs);
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StorageException("corrupt " + what + ": " + e, e);
        }
    }
}
