package io.raftex.core.bench;

import io.raftex.core.ApplyContext;
import io.raftex.core.ClusterConfig;
import io.raftex.core.Codec;
import io.raftex.core.Member;
import io.raftex.core.RaftGroup;
import io.raftex.core.RaftNode;
import io.raftex.core.Role;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.log.StorageOptions;
import io.raftex.core.log.SyncMode;
import io.raftex.core.runtime.DurableStorageProvider;
import io.raftex.core.transport.InMemoryNetwork;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One command, end to end, through a three-node cluster in one JVM: the real runtime and real storage (shared WAL +
 * MapDB on the build's disk), with the in-memory transport instead of HTTP. Sequential, so the score is the
 * latency of a command from submit to result (commit on a quorum with fsync, then apply), sent to the leader or to
 * a follower (which forwards it). Sample mode gives percentiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ClusterCommandBenchmark {

    /** Counts commands; answers with the count. */
    public static final class CountingMachine implements StateMachine<byte[], Long> {
        private long applied;

        @Override
        public Long apply(byte[] command, ApplyContext context) {
            return ++applied;
        }

        @Override
        public StateSnapshot snapshot() {
            return StateSnapshot.ofBytes(ByteBuffer.allocate(8).putLong(applied).array());
        }

        @Override
        public void restore(InputStream in) throws IOException {
            applied = ByteBuffer.wrap(in.readAllBytes()).getLong();
        }
    }

    private static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    private static final Codec<Long> LONGS = new Codec<>() {
        @Override
        public byte[] encode(Long value) {
            return ByteBuffer.allocate(8).putLong(value).array();
        }

        @Override
        public Long decode(byte[] bytes) {
            return ByteBuffer.wrap(bytes).getLong();
        }
    };

    @Param({"leader", "follower"})
    public String via;

    @Param({"DATASYNC"})
    public SyncMode sync;

    private final List<RaftNode> nodes = new ArrayList<>();
    private Path dir;
    private RaftGroup<byte[], Long> target;
    private final byte[] command = new byte[100];

    @Setup(Level.Trial)
    public void startCluster() throws Exception {
        dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "cluster-bench");
        InMemoryNetwork network = new InMemoryNetwork();
        ClusterConfig config = ClusterConfig.ofVoters(List.of(
                Member.voter("n1", "mem://n1"), Member.voter("n2", "mem://n2"), Member.voter("n3", "mem://n3")));
        for (Member m : config.members()) {
            String id = m.id().value();
            RaftNode node = RaftNode.builder()
                    .nodeId(id)
                    .transport(network.transport(id))
                    .storage(DurableStorageProvider.open(dir.resolve(id), StorageOptions.defaults().withSyncMode(sync)))
                    .tickInterval(Duration.ofMillis(50))
                    .electionTimeout(Duration.ofMillis(500))
                    .commandTimeout(Duration.ofSeconds(30))
                    .build();
            node.start();
            node.startGroup("bench", config, new CountingMachine(), BYTES, LONGS);
            nodes.add(node);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        RaftNode leader = null;
        while (leader == null && System.nanoTime() < deadline) {
            for (RaftNode n : nodes) {
                if (n.requireGroup("bench").status().role() == Role.LEADER) {
                    leader = n;
                }
            }
            if (leader == null) {
                Thread.onSpinWait();
            }
        }
        if (leader == null) {
            throw new IllegalStateException("no leader within 30 s");
        }
        RaftNode chosen = leader;
        if (via.equals("follower")) {
            for (RaftNode n : nodes) {
                if (n != leader) {
                    chosen = n;
                    break;
                }
            }
        }
        target = chosen.requireGroup("bench");
        for (int i = 0; i < 200; i++) {
            target.command(command).get(30, TimeUnit.SECONDS); // warm the path and the leader's view
        }
    }

    @Benchmark
    public Long command() throws Exception {
        return target.command(command).get(30, TimeUnit.SECONDS);
    }

    @TearDown(Level.Trial)
    public void stopCluster() throws IOException {
        for (RaftNode n : nodes) {
            n.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
