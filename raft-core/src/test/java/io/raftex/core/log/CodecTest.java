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
