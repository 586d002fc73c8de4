package io.raftex.core.log;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code state.db} is replaced whole on every change; the replaced files must not stay mapped into the process (a
 * deleted file that is still mapped keeps its disk space until a GC happens to free the mapping).
 */
class StateFileMappingTest {

    private static final Path MAPS = Path.of("/proc/self/maps");

    @TempDir
    Path dir;

    @Test
    void replacedStateFilesAreUnmappedAtOnce() throws IOException {
        assumeTrue(Files.isReadable(MAPS), "needs /proc/self/maps (Linux)");
        Path data = dir.toRealPath();
        ClusterConfig config = ClusterConfig.ofVoters(List.of(Member.voter("n1", "local")));
        SegmentStore first = new SegmentStore(data, 4, 1 << 20, Long.MAX_VALUE, FileIo.standard());
        first.persistState("g", new PersistentState(0, Optional.empty(), config));
        first.close();

        // reopened, so that the state file is also read on open before it is replaced
        SegmentStore store = new SegmentStore(data, 4, 1 << 20, Long.MAX_VALUE, FileIo.standard());
        try {
            for (int term = 1; term <= 40; term++) {
                store.persistState("g", new PersistentState(term, Optional.of(MemberId.of("n1")), config));
            }
            assertThat(deletedMappingsUnder(data)).as("mappings of deleted files under %s", data).isEmpty();
            assertThat(store.loadState("g").currentTerm()).isEqualTo(40);
        } finally {
            store.close();
        }
    }

    /** Lines of /proc/self/maps for files under {@code dir} that have been deleted. */
    static List<String> deletedMappingsUnder(Path dir) throws IOException {
        String prefix = dir.toString() + "/";
        return Files.readAllLines(MAPS).stream()
                .filter(line -> line.contains(prefix) && line.endsWith("(deleted)"))
                .toList();
    }
}
