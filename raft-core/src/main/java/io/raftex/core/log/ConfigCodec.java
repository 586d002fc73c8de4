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

/**
 * Binary encoding of a {@link ClusterConfig}: {@code memberCount:i32 (id:str address:str membership:u8
 * [incarnation:i64])*}, strings as {@code length:i32 utf8}, membership 0 voter, 1 promotable, 2 non-voter. A member
 * whose incarnation is bound has {@link #BOUND_FLAG} set in its membership byte and its incarnation after it; an
 * unbound member is written without, exactly as before incarnations existed, so member lists written earlier decode
 * (as unbound) and a configuration with no binding has the same bytes as then. The one form of a member list
 * everywhere: the payload of a {@link EntryType#CONFIG} entry, the persisted state, and a snapshot's header.
 */
public final class ConfigCodec {

    /** More members than any group has; a count above it is damage, not a configuration. */
    private static final int MAX_MEMBERS = 1_000;
    /** Set in the membership byte of a member whose incarnation follows it. */
    static final int BOUND_FLAG = 0x80;

    private ConfigCodec() {
    }

    /** The payload of a configuration entry. */
    public static byte[] encode(ClusterConfig config) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            write(out, config);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen on a byte array
        }
    }

    /**
     * Decodes a configuration entry's payload.
     *
     * @throws IllegalArgumentException if it is not a valid configuration (bytes left over included)
     */
    public static ClusterConfig decode(byte[] payload) {
        ByteBuffer in = ByteBuffer.wrap(payload);
        ClusterConfig config = read(in);
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " bytes after the configuration");
        }
        return config;
    }

    /** Writes {@code config} in this form. */
    public static void write(DataOutputStream out, ClusterConfig config) throws IOException {
        List<Member> members = config.members();
        out.writeInt(members.size());
        for (Member m : members) {
            writeString(out, m.id().value());
            writeString(out, m.address());
            if (m.incarnation() != Member.UNBOUND) {
                out.writeByte(code(m.membership()) | BOUND_FLAG);
                out.writeLong(m.incarnation());
            } else {
                out.writeByte(code(m.membership()));
            }
        }
    }

    /** Reads a configuration; throws {@link IllegalArgumentException} (or a buffer exception) on bad input. */
    static ClusterConfig read(ByteBuffer in) {
        try {
            int count = in.getInt();
            if (count < 1 || count > MAX_MEMBERS || count > in.remaining()) {
                throw new IllegalArgumentException("impossible member count " + count);
            }
            List<Member> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                MemberId id = MemberId.of(readString(in));
                String address = readString(in);
                int code = in.get() & 0xff;
                long incarnation = Member.UNBOUND;
                if ((code & BOUND_FLAG) != 0) {
                    incarnation = in.getLong();
                    if (incarnation == Member.UNBOUND) {
                        throw new IllegalArgumentException("member " + id + " bound to incarnation 0");
                    }
                }
                members.add(new Member(id, address, membership(code & ~BOUND_FLAG), incarnation));
            }
            return new ClusterConfig(members);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated configuration", e);
        }
    }

    /** The code of a membership in this form. */
    public static int code(Membership membership) {
        return switch (membership) {
            case VOTER -> 0;
            case PROMOTABLE -> 1;
            case NON_VOTER -> 2;
        };
    }

    /**
     * The membership of a code in this form.
     *
     * @throws IllegalArgumentException for an unknown code
     */
    public static Membership membership(int code) {
        return switch (code) {
            case 0 -> Membership.VOTER;
            case 1 -> Membership.PROMOTABLE;
            case 2 -> Membership.NON_VOTER;
            default -> throw new IllegalArgumentException("unknown membership code " + code);
        };
    }

    /** Whether a membership byte says that an incarnation follows it. */
    public static boolean isBound(int code) {
        return (code & BOUND_FLAG) != 0;
    }

    /** The membership code of a membership byte, without the incarnation flag. */
    public static int unflagged(int code) {
        return code & ~BOUND_FLAG;
    }

    /** Writes a string as {@code length:i32 utf8}. */
    public static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("impossible string length " + length);
        }
        byte[] b = new byte[length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
