package io.raftex.core.log;

import io.raftex.core.runtime.DurableStorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The identity record of a data directory (docs/storage.md): made once with a random incarnation, kept across opens,
 * and a directory of another node, another cluster or a newer format refused with both values named.
 */
class DataDirIdentityTest {

    @TempDir
    Path dir;

    @Test
    void anEmptyDirectoryGetsANewIncarnationThatLastsUntilItIsRecreated() throws IOException {
        DataDirIdentity first = DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty());
        assertThat(first.incarnation()).isNotZero();
        assertThat(first.nodeId()).isEqualTo("n1");
        assertThat(first.format()).isEqualTo(DataDirIdentity.FORMAT);
        assertThat(DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty())).isEqualTo(first);
        Files.delete(dir.resolve(DataDirIdentity.FILE));
        assertThat(DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty()).incarnation())
                .as("a recreated directory is a new incarnation").isNotEqualTo(first.incarnation());
    }

    @Test
    void aDirectoryOfAnotherNodeIsRefusedNamingBoth() {
        DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty());
        assertThatThrownBy(() -> DataDirIdentity.open(dir, Optional.of("n2"), Optional.empty()))
                .isInstanceOf(IdentityMismatchException.class)
                .hasMessageContaining("belongs to node 'n1', not to this node 'n2'");
        assertThatThrownBy(() -> DurableStorageProvider.open(dir, StorageOptions.defaults(), Optional.of("n2")))
                .isInstanceOf(IdentityMismatchException.class);
    }

    @Test
    void aDirectoryOfAnotherClusterIsRefusedNamingBoth() {
        DataDirIdentity id = DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty());
        id.withClusterId(dir, "c-east");
        assertThat(DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty()).cluster()).contains("c-east");
        assertThatThrownBy(() -> DataDirIdentity.open(dir, Optional.of("n1"), Optional.of("c-west")))
                .isInstanceOf(IdentityMismatchException.class)
                .hasMessageContaining("belongs to cluster 'c-east', not to this node's cluster 'c-west'");
    }

    @Test
    void aNewerFormatIsRefusedNamingBothVersions() throws IOException {
        DataDirIdentity id = new DataDirIdentity(DataDirIdentity.FORMAT + 1, 7, "n1", "");
        Files.createDirectories(dir);
        Files.write(dir.resolve(DataDirIdentity.FILE), DataDirIdentity.encode(id));
        assertThatThrownBy(() -> DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty()))
                .isInstanceOf(IdentityMismatchException.class)
                .hasMessageContaining("format " + (DataDirIdentity.FORMAT + 1))
                .hasMessageContaining("format " + DataDirIdentity.FORMAT + ",");
    }

    @Test
    void aDamagedRecordIsNeverMisread() throws IOException {
        DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty());
        Path file = dir.resolve(DataDirIdentity.FILE);
        byte[] b = Files.readAllBytes(file);
        b[12] ^= 1; // inside the incarnation
        Files.write(file, b);
        assertThatThrownBy(() -> DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty()))
                .isInstanceOf(StorageException.class).hasMessageContaining("CRC32C mismatch");
    }

    @Test
    void aDirectoryWithDataWrittenBeforeIdentitiesGetsIncarnationZero() throws IOException {
        Files.createDirectories(dir.resolve("wal"));
        DataDirIdentity id = DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty());
        assertThat(id.incarnation()).as("counted as before incarnations existed").isZero();
        assertThat(DataDirIdentity.open(dir, Optional.of("n1"), Optional.empty()).incarnation()).isZero();
    }

    @Test
    void theStorageProviderReportsTheIncarnation() {
        try (DurableStorageProvider p = DurableStorageProvider.open(dir, StorageOptions.defaults(), Optional.of("n1"))) {
            assertThat(p.incarnation()).isEqualTo(p.identity().incarnation()).isNotZero();
        }
    }

    @Test
    void theRecordLayoutIsAsDocumented() {
        byte[] b = DataDirIdentity.encode(new DataDirIdentity(1, 0x0102030405060708L, "n1", ""));
        ByteBuffer in = ByteBuffer.wrap(b);
        byte[] magic = new byte[4];
        in.get(magic);
        assertThat(new String(magic, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("RFXI");
        assertThat(in.get()).isEqualTo((byte) 1);
        assertThat(in.getInt()).isEqualTo(1);
        assertThat(in.getLong()).isEqualTo(0x0102030405060708L);
        assertThat(b).hasSize(4 + 1 + 4 + 8 + 4 + 2 + 4 + 4);
    }
}
