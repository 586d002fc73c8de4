package io.raftex.autoconfigure;

import io.raftex.core.RaftNode;
import io.raftex.core.runtime.InMemoryStorageProvider;
import io.raftex.core.runtime.RuntimeSettings;
import io.raftex.core.transport.InMemoryNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code raft.*} defaults are the core's: properties bound from nothing give the {@code DEFAULT_*} constants of
 * {@link RuntimeSettings}, and the node the starter builds from them runs with the same timing, timeouts and
 * snapshot settings as a plain {@link RaftNode}. The generated configuration metadata lists every property of
 * docs/contracts.md with a description, and its defaults bind to the values the properties really start with.
 */
class RaftPropertiesDefaultsTest {

    private static final Path CONTRACTS = Path.of("..", "docs", "contracts.md").toAbsolutePath().normalize();
    private static final String METADATA = "META-INF/spring-configuration-metadata.json";

    @TempDir
    Path tmp;

    private static RaftProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("raft", RaftProperties.class);
    }

    @Test
    void unsetPropertiesTakeTheCoreDefaults() {
        RaftProperties p = bind(Map.of());
        assertThat(p.getHeartbeatInterval()).isEqualTo(RuntimeSettings.DEFAULT_TICK_INTERVAL);
        assertThat(p.getElectionTimeout()).isEqualTo(RuntimeSettings.DEFAULT_ELECTION_TIMEOUT);
        assertThat(p.getCommandTimeout()).isEqualTo(RuntimeSettings.DEFAULT_COMMAND_TIMEOUT);
        assertThat(p.getSnapshot().getIntervalEntries()).isEqualTo(RuntimeSettings.DEFAULT_SNAPSHOT_INTERVAL);
        assertThat(p.getSnapshot().getChunkSize())
                .isEqualTo(DataSize.ofBytes(RuntimeSettings.DEFAULT_SNAPSHOT_CHUNK_BYTES));
    }

    @Test
    void theStartersNodeWithNoTimingPropertiesRunsAsAPlainRaftNode() {
        // only what the starter requires besides the defaults: an id and a place for its data
        RaftProperties p = bind(Map.of("raft.node-id", "n1", "raft.data-dir", tmp.toString()));
        RaftSettings settings = RaftSettings.from(p);
        try (RaftNode starter = new RaftAutoConfiguration().raftNode(settings, new InMemoryNetwork().transport("n1"),
                new InMemoryStorageProvider());
             RaftNode plain = RaftNode.builder().nodeId("n1").transport(new InMemoryNetwork().transport("n1"))
                     .build()) {
            RuntimeSettings s = starter.settings();
            RuntimeSettings d = plain.settings();
            assertThat(s.tickInterval()).isEqualTo(d.tickInterval()).isEqualTo(Duration.ofMillis(100));
            assertThat(s.electionTimeout()).isEqualTo(d.electionTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(s.heartbeatInterval()).isEqualTo(d.heartbeatInterval());
            assertThat(s.protocol().electionTimeoutTicks()).isEqualTo(d.protocol().electionTimeoutTicks());
            assertThat(s.protocol().heartbeatTicks()).isEqualTo(d.protocol().heartbeatTicks());
            assertThat(s.protocol().preVote()).isEqualTo(d.protocol().preVote());
            assertThat(s.protocol().checkQuorum()).isEqualTo(d.protocol().checkQuorum());
            assertThat(s.commandTimeout()).isEqualTo(d.commandTimeout());
            assertThat(s.queryTimeout()).isEqualTo(d.queryTimeout());
            assertThat(s.maxSessions()).isEqualTo(d.maxSessions());
            assertThat(s.snapshotInterval()).isEqualTo(d.snapshotInterval());
            assertThat(s.snapshotChunkBytes()).isEqualTo(d.snapshotChunkBytes());
            // the one deliberate difference: entry bytes per message follow raft.rpc.max-batch-bytes
            assertThat(s.protocol().maxBytesPerMessage()).isEqualTo(settings.maxEntryBytesPerMessage());
        }
    }

    @Test
    void metadataListsEveryContractPropertyWithADescription() throws IOException {
        Map<String, JsonNode> metadata = metadataProperties();
        Set<String> contract = contractProperties();
        assertThat(contract).as("raft.* properties named in %s", CONTRACTS).hasSizeGreaterThanOrEqualTo(15);
        assertThat(metadata.keySet()).containsAll(contract);
        for (Map.Entry<String, JsonNode> e : metadata.entrySet()) {
            if (e.getKey().startsWith("raft.")) {
                assertThat(text(e.getValue(), "description")).as("description of %s", e.getKey()).isNotBlank();
            }
        }
        // every property with a default in the binder has one in the metadata
        for (String name : List.of("raft.enabled", "raft.election-timeout", "raft.heartbeat-interval",
                "raft.command-timeout", "raft.storage.sync", "raft.storage.max-batch-size",
                "raft.snapshot.interval-entries", "raft.snapshot.chunk-size", "raft.rpc.timeout",
                "raft.rpc.max-batch-bytes", "raft.rpc.stream")) {
            assertThat(metadata.get(name).has("defaultValue")).as("default of %s in the metadata", name).isTrue();
        }
    }

    @Test
    void metadataDefaultsBindToTheValuesThePropertiesStartWith() throws IOException {
        RaftProperties unset = bind(Map.of());
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : metadataProperties().entrySet()) {
            String source = text(e.getValue(), "sourceType");
            JsonNode value = e.getValue().get("defaultValue");
            if (value == null || source == null || !source.startsWith(RaftProperties.class.getName())) {
                continue;
            }
            String name = e.getKey();
            RaftProperties fromMetadata = bind(Map.of(name, value.asString()));
            String path = beanPath(name.substring("raft.".length()));
            assertThat(new BeanWrapperImpl(fromMetadata).getPropertyValue(path))
                    .as("%s: the metadata's default %s", name, value)
                    .isEqualTo(new BeanWrapperImpl(unset).getPropertyValue(path));
            checked.add(name);
        }
        assertThat(checked).contains("raft.election-timeout", "raft.heartbeat-interval", "raft.command-timeout",
                "raft.snapshot.interval-entries", "raft.snapshot.chunk-size");
    }

    /** {@code snapshot.interval-entries} → {@code snapshot.intervalEntries}. */
    private static String beanPath(String kebab) {
        Matcher m = Pattern.compile("-([a-z])").matcher(kebab);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, m.group(1).toUpperCase());
        }
        return m.appendTail(out).toString();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null ? null : value.asString();
    }

    /** The raft.* names of docs/contracts.md's "Configuration properties" section. */
    private static Set<String> contractProperties() throws IOException {
        String doc = Files.readString(CONTRACTS);
        int start = doc.indexOf("## Configuration properties");
        assertThat(start).as("%s has a 'Configuration properties' section", CONTRACTS).isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        String section = doc.substring(start, end < 0 ? doc.length() : end);
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("`(raft(?:\\.[a-z][a-z-]*)+)`").matcher(section);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The properties of this module's generated metadata, by name. */
    private static Map<String, JsonNode> metadataProperties() throws IOException {
        for (URL url : Collections.list(RaftPropertiesDefaultsTest.class.getClassLoader().getResources(METADATA))) {
            JsonNode root;
            try (InputStream in = url.openStream()) {
                root = JsonMapper.builder().build().readTree(in);
            }
            Map<String, JsonNode> byName = new LinkedHashMap<>();
            for (JsonNode property : root.get("properties")) {
                byName.put(property.get("name").asString(), property);
            }
            if (byName.containsKey("raft.node-id")) {
                return byName;
            }
        }
        throw new AssertionError("no " + METADATA + " with raft.node-id on the test class path");
    }
}
