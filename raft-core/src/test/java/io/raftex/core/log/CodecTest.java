package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CodecTest {

    private static final List<LogEntry> ENTRIES = List.of(
            new LogEntry(5, 2, EntryType.COMMAND, Long.MAX_VALUE, 42, 41, 1_700_000_000_123L, "hello".getBytes()),
            LogEntry.noop(6, 3, -1),
            new LogEntry(7, 3, EntryType.CONFIG, 0, 0, 0, 0, new byte[1000]));

    @Test
    void chunkRoundTripsEveryField() {
        byte[] chunk = EntryCodec.encodeChunk(ENTRIES);
        assertThat(EntryCodec.decodeChunk(chunk, "chunk")).containsExactlyElementsOf(ENTRIES);
        assertThat(chunk.length).isEqualTo(9 + ENTRIES.stream().mapToInt(LogEntry::sizeInBytes).sum());
    }

    @Test
    void everySingleBitFlipInAChunkIsCaught() {
        byte[] chunk = EntryCodec.encodeChunk(ENTRIES.subList(0, 2));
        for (int i = 0; i < chunk.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = chunk.clone();
                bad[i] ^= (byte) (1 << bit);
                assertThatThrownBy(() -> EntryCodec.decodeChunk(bad, "chunk at index 5 of group g"))
                        .isInstanceOf(StorageException.class)
                        .hasMessageContaining("chunk at index 5 of group g");
            }
        }
        assertThatThrownBy(() -> EntryCodec.decodeChunk(new byte[3], "tiny")).isInstanceOf(StorageException.class);
    }

    @Test
    void stateRoundTripsAndBitFlipsAreCaught() {
        PersistentState state = new PersistentState(9, Optional.of(MemberId.of("n2")), new ClusterConfig(List.of(
                Member.voter("n1", "http://h1:8080"), new Member(MemberId.of("n2"), "ünïcode", Membership.PROMOTABLE),
                new Member(MemberId.of("n3"), "", Membership.NON_VOTER))));
        byte[] bytes = StateCodec.encode(state);
        assertThat(StateCodec.decode(bytes, "state")).isEqualTo(state);
        PersistentState noVote = new PersistentState(0, Optional.empty(), state.config());
        assertThat(StateCodec.decode(StateCodec.encode(noVote), "state")).isEqualTo(noVote);
        for (int i = 0; i < bytes.length; i++) {
            byte[] bad = bytes.clone();
            bad[i] ^= 0x10;
            assertThatThrownBy(() -> StateCodec.decode(bad, "state of group g7"))
                    .isInstanceOf(StorageException.class).hasMessageContaining("state of group g7");
        }
    }

    @Test
    void aStateWithAConfigurationHistoryRoundTrips() {
        ClusterConfig three = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3")));
        ClusterConfig four = new ClusterConfig(List.of(Member.voter("n1", "a1"), Member.voter("n2", "a2"),
                Member.voter("n3", "a3"), new Member(MemberId.of("n4"), "a4", Membership.PROMOTABLE)));
        PersistentState state = new PersistentState(7, Optional.empty(), List.of(new ConfigEntry(0, 0, three),
                new ConfigEntry(12, 3, four)));
        PersistentState decoded = StateCodec.decode(StateCodec.encode(state), "state");
        assertThat(decoded).isEqualTo(state);
        assertThat(decoded.config()).isEqualTo(four);
        assertThatThrownBy(() -> new PersistentState(1, Optional.empty(), List.of(new ConfigEntry(5, 1, three),
                new ConfigEntry(5, 1, four)))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aVersionOneStateStillDecodes() {
        // version 1 (before configuration histories): version, term, vote, then one member list
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeLong(4);
            out.writeBoolean(true);
            writeString(out, "n1");
            out.writeInt(2);
            writeString(out, "n1");
            writeString(out, "http://h1");
            out.writeByte(Membership.VOTER.ordinal());
            writeString(out, "n2");
            writeString(out, "http://h2");
            out.writeByte(Membership.NON_VOTER.ordinal());
            byte[] body = bytes.toByteArray();
            out.writeInt(EntryCodec.crc(body, 0, body.length));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PersistentState decoded = StateCodec.decode(bytes.toByteArray(), "state");
        assertThat(decoded).isEqualTo(new PersistentState(4, Optional.of(MemberId.of("n1")), new ClusterConfig(List.of(
                Member.voter("n1", "http://h1"), new Member(MemberId.of("n2"), "http://h2", Membership.NON_VOTER)))));
    }

    @Test
    void aConfigurationPayloadRoundTripsAndBadBytesAreRefused() {
        ClusterConfig config = new ClusterConfig(List.of(Member.voter("n1", "http://h1:8080"),
                new Member(MemberId.of("n2"), "http://h2:8080", Membership.PROMOTABLE)));
        byte[] payload = ConfigCodec.encode(config);
        assertThat(ConfigCodec.decode(payload)).isEqualTo(config);
        assertThatThrownBy(() -> ConfigCodec.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigCodec.decode(java.util.Arrays.copyOf(payload, payload.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigCodec.decode(java.util.Arrays.copyOf(payload, payload.length + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] badKind = payload.clone();
        badKind[badKind.length - 1] = 9;
        assertThatThrownBy(() -> ConfigCodec.decode(badKind)).isInstanceOf(IllegalArgumentException.class);
        byte[] noVoter = ConfigCodec.encode(config);
        noVoter[4 + 4 + 2 + 4 + 14] = (byte) Membership.NON_VOTER.ordinal(); // n1's membership byte
        assertThatThrownBy(() -> ConfigCodec.decode(noVoter)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void writeString(java.io.DataOutputStream out, String s) throws java.io.IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    @Test
    void walFramesRoundTripAndRejectDamage() {
        WalRecord append = WalRecord.append("group-ä", ENTRIES);
        WalRecord truncate = WalRecord.truncate("g", 17);
        byte[] a = append.toFrame();
        byte[] t = truncate.toFrame();
        assertThat(WalRecord.parse(a, 0, a.length)).isEqualTo(append);
        assertThat(WalRecord.parse(t, 0, t.length)).isEqualTo(truncate);
        assertThat(WalRecord.frameLength(a, 0)).isEqualTo(a.length);
        assertThat(WalRecord.parse(a, 0, a.length - 1)).isNull();
        for (int i = 0; i < t.length; i++) {
            byte[] bad = t.clone();
            bad[i] ^= 0x01;
            assertThat(WalRecord.parse(bad, 0, bad.length)).isNull();
        }
    }
}
