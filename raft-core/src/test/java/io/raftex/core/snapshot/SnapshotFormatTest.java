package io.raftex.core.snapshot;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The header checks of the shared form: each broken field is named, even when the CRC was fixed up to match. */
class SnapshotFormatTest {

    private static final SnapshotMeta META = SnapshotStoreContractTest.meta(12, 3);
    private static final byte[] STATE = SnapshotStoreContractTest.state(100, 1);

    private static SnapshotMeta verify(byte[] form) throws IOException {
        return SnapshotFormat.verify(new ByteArrayInputStream(form), form.length, "under test");
    }

    /** The form with {@code change} applied to it and the CRC recomputed, so only the header checks can object. */
    private static byte[] withCrcFixed(Consumer<ByteBuffer> change) {
        byte[] form = SnapshotFormat.encode(META, STATE);
        change.accept(ByteBuffer.wrap(form));
        int body = form.length - SnapshotFormat.TRAILER_BYTES;
        ByteBuffer.wrap(form).putInt(body, SnapshotFormat.crc(form, 0, body));
        return form;
    }

    private static int headerBytes() {
        return SnapshotFormat.header(META, STATE.length).length;
    }

    @Test
    void aFormVerifiesAndStreamsItsState() throws IOException {
        byte[] form = SnapshotFormat.encode(META, STATE);

        assertThat(verify(form)).isEqualTo(META);
        assertThat(form).hasSize(headerBytes() + STATE.length + 4);
        try (InputStream in = SnapshotFormat.stateStream(new ByteArrayInputStream(form), form.length, "x")) {
            assertThat(SnapshotFormat.headerOf(in).meta()).isEqualTo(META);
            assertThat(in.readAllBytes()).isEqualTo(STATE);
        }
    }

    @Test
    void theChecksumCoversTheHeader() {
        byte[] form = SnapshotFormat.encode(META, STATE);
        form[12] ^= 0x01; // inside the index: still a valid header, for another index

        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("CRC32C mismatch");
    }

    @Test
    void aBadMagicIsNamed() {
        byte[] form = withCrcFixed(b -> b.put(0, (byte) 'X'));
        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessage("snapshot under test is corrupt (bad magic 0x58465853, expected RFXS)");
    }

    @Test
    void anUnknownVersionIsNamed() {
        byte[] form = withCrcFixed(b -> b.put(4, (byte) 2));
        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("unsupported format version 2, expected 1");
    }

    @Test
    void anImpossibleMemberCountIsNamed() {
        byte[] form = withCrcFixed(b -> b.putInt(21, 1_000_000));
        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("impossible member count 1000000");
    }

    @Test
    void anImpossibleStringLengthIsNamed() {
        byte[] form = withCrcFixed(b -> b.putInt(25, Integer.MAX_VALUE));
        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("impossible string length");
    }

    @Test
    void anUnknownMembershipIsNamed() {
        // n1's membership byte follows magic, version, index, term, count, id "n1", address
        int at = 4 + 1 + 8 + 8 + 4 + (4 + 2) + (4 + "http://n1:8080/12".length());
        byte[] form = withCrcFixed(b -> b.put(at, (byte) 9));
        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("unknown membership code 9");
    }

    @Test
    void aStateLengthThatDoesNotFitIsNamed() {
        byte[] form = withCrcFixed(b -> b.putLong(headerBytes() - 8, STATE.length + 1));
        assertThatThrownBy(() -> verify(form)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("length mismatch: the header announces 101 state bytes, 100 are there");
    }

    @Test
    void aTruncatedHeaderIsNamed() {
        byte[] form = SnapshotFormat.encode(META, STATE);
        assertThatThrownBy(() -> SnapshotFormat.verify(new ByteArrayInputStream(form, 0, 10), 10, "under test"))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("truncated");
    }

    @Test
    void bytesAfterTheTrailerAreRefused() {
        byte[] form = SnapshotFormat.encode(META, STATE);
        byte[] longer = java.util.Arrays.copyOf(form, form.length + 1);
        // the size given is the form's own: the extra byte is only seen by reading on
        assertThatThrownBy(() -> SnapshotFormat.verify(new ByteArrayInputStream(longer), form.length, "under test"))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("bytes after the CRC32C trailer");
    }
}
