package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Binary encoding of {@link PersistentState}: {@code version:u8 term:i64 hasVote:u8 [votedFor:str]
 * memberCount:i32 (id:str address:str membership:u8)* crc32c:i32}, strings as {@code length:i32 utf8}.
 * The CRC is verified on every decode, so a damaged record can never reset a term or a vote silently.
 */
public final class StateCodec {

    private static final byte VERSION = 1;
    private static final Membership[] MEMBERSHIPS = Membership.values();

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
                writeString(out, state.votedFor().get().value());
            }
            List<Member> members = state.config().members();
            out.writeInt(members.size());
            for (Member m : members) {
                writeString(out, m.id().value());
                writeString(out, m.address());
                out.writeByte(m.membership().ordinal());
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
            if (in.get() != VERSION) {
                throw new StorageException("corrupt " + what + ": unknown version");
            }
            long term = in.getLong();
            Optional<MemberId> vote = in.get() != 0 ? Optional.of(MemberId.of(readString(in))) : Optional.empty();
            int count = in.getInt();
            if (count < 0 || count > in.remaining()) {
                throw new StorageException("corrupt " + what + ": impossible member count " + count);
            }
            List<Member> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                MemberId id = MemberId.of(readString(in));
                String address = readString(in);
                members.add(new Member(id, address, MEMBERSHIPS[in.get()]));
            }
            return new PersistentState(term, vote, new ClusterConfig(members));
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StorageException("corrupt " + what + ": " + e, e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("impossible string length " + length);
        }
        byte[] b = new byte[length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
