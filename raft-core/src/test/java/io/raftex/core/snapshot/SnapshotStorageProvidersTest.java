package io.raftex.core.snapshot;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.log.PersistentState;
import io.raftex.core.runtime.DurableStorageProvider;
import io.raftex.core.runtime.InMemoryStorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static io.raftex.core.snapshot.SnapshotStoreContractTest.meta;
import static io.raftex.core.snapshot.SnapshotStoreContractTest.state;
import static io.raftex.core.snapshot.SnapshotStoreContractTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the storage providers hand out snapshot stores: where, how many, and what outlives what. */
class SnapshotStorageProvidersTest {

    private static final MemberId SELF = MemberId.of("n1");
    private static final PersistentState INITIAL =
            new PersistentState(0, Optional.empty(), new ClusterConfig(List.of(Member.voter("n1", "local"))));

    @TempDir
    Path dataDir;

    @Test
    void theDurableProviderKeepsSnapshotsUnderTheDataDirectoryPerGroup() throws IOException {
        try (DurableStorageProvider provider = DurableStorageProvider.open(dataDir)) {
            SnapshotStore g1 = provider.snapshots("g1", SELF);

            assertThat(g1).isInstanceOf(FileSnapshotStore.class);
            assertThat(((FileSnapshotStore) g1).directory()).isEqualTo(dataDir.resolve("snapshots").resolve("g1"));
            assertThat(provider.snapshots("g1", SELF)).isSameAs(g1);
            assertThat(provider.snapshots("g-2.x_y", SELF)).isNotSameAs(g1);
            write(g1, 10, 2, state(100, 1));
        }
        try (DurableStorageProvider provider = DurableStorageProvider.open(dataDir)) {
            SnapshotStore g1 = provider.snapshots("g1", SELF);
            assertThat(g1.latestValid()).contains(meta(10, 2));
            assertThat(provider.snapshots("g-2.x_y", SELF).list()).isEmpty();
        }
    }

    @Test
    void theDurableProviderRefusesGroupNamesThatLeaveTheSnapshotDirectory() {
        try (DurableStorageProvider provider = DurableStorageProvider.open(dataDir)) {
            for (String bad : List.of("..", ".", "", "../g1", "a/b", "a\\b", "a..b", "/abs")) {
                assertThatThrownBy(() -> provider.snapshots(bad, SELF))
                        .as("group name '%s'", bad)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void theInMemoryProviderKeepsOneStorePerGroupAcrossReopeningUntilWiped() throws IOException {
        InMemoryStorageProvider provider = new InMemoryStorageProvider();
        provider.open("g1", SELF, INITIAL);
        SnapshotStore g1 = provider.snapshots("g1", SELF);
        assertThat(g1).isInstanceOf(InMemorySnapshotStore.class);
        write(g1, 10, 2, state(100, 1));
        assertThat(provider.snapshots("g2", SELF)).isNotSameAs(g1);

        provider.open("g1", SELF, INITIAL); // the node restarted
        assertThat(provider.snapshots("g1", SELF)).isSameAs(g1);
        assertThat(provider.snapshotStore("g1")).containsSame((InMemorySnapshotStore) g1);
        assertThat(g1.latestValid()).contains(meta(10, 2));

        provider.wipe("g1");
        assertThat(provider.snapshotStore("g1")).isEmpty();
        assertThat(provider.snapshots("g1", SELF).list()).isEmpty();
    }

    @Test
    void reopeningAGroupInMemoryDropsTheSnapshotItsPreviousRunWasWriting() throws IOException {
        InMemoryStorageProvider provider = new InMemoryStorageProvider();
        provider.open("g1", SELF, INITIAL);
        SnapshotStore.Sink unfinished = provider.snapshots("g1", SELF).create(meta(10, 2));
        unfinished.stream().write(state(100, 1));

        provider.open("g1", SELF, INITIAL);

        assertThatThrownBy(unfinished::commit).isInstanceOf(IOException.class);
        assertThat(provider.snapshots("g1", SELF).list()).isEmpty();
    }
}
