package io.raftex.autoconfigure;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.client.RaftCommandObserver;
import io.raftex.core.RaftNode;
import io.raftex.core.runtime.DurableStorageProvider;
import io.raftex.core.runtime.StorageProvider;
import io.raftex.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.json.JsonMapper;

import java.util.Optional;

/**
 * The Raft node: validated settings, durable storage in {@code raft.data-dir}, the {@link RaftNode}, the lifecycle
 * that starts one group per {@link RaftStateMachine} bean, and the {@link RaftClient}. The HTTP transport comes
 * from {@link RaftTransportAutoConfiguration}. Every bean backs off when the application defines its own.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnClass(RaftNode.class)
@ConditionalOnBooleanProperty(name = "raft.enabled", matchIfMissing = true)
@EnableConfigurationProperties(RaftProperties.class)
public final class RaftAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RaftAutoConfiguration.class);

    /** The checked configuration; creating it is the startup validation of {@code raft.*}. */
    @Bean
    @ConditionalOnMissingBean
    RaftSettings raftSettings(RaftProperties properties) {
        RaftSettings settings = RaftSettings.from(properties); // refuses other members without a token
        if (settings.clusterToken().isEmpty()) {
            log.warn("raft.security.cluster-token is not set: peer RPCs on /raft/rpc are not authenticated{}",
                    settings.allowUnauthenticatedPeers() ? " (raft.security.allow-unauthenticated-peers=true)" : "");
        }
        return settings;
    }

    /** JSON codecs of commands and results, with the application's Jackson mapper. */
    @Bean
    @ConditionalOnMissingBean
    RaftCodecFactory raftCodecFactory(ObjectProvider<JsonMapper> jsonMapper) {
        return new JacksonRaftCodecFactory(jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()));
    }

    /** The shared WAL and MapDB store of every group, in {@code raft.data-dir}. */
    @Bean
    @ConditionalOnMissingBean
    StorageProvider raftStorageProvider(RaftSettings settings) {
        return DurableStorageProvider.open(settings.dataDir(), settings.storageOptions(),
                Optional.of(settings.nodeId().value()), settings.clusterId());
    }

    /**
     * The node; started by {@link RaftNodeLifecycle}, closed with the context. The heartbeat interval is the node's
     * timer tick, so the election timeout is counted in heartbeats; whatever is not configured keeps the core's
     * default.
     */
    @Bean
    @ConditionalOnMissingBean
    RaftNode raftNode(RaftSettings settings, Transport transport, StorageProvider storage) {
        return RaftNode.builder()
                .nodeId(settings.nodeId().value())
                .transport(transport)
                .storage(storage)
                .tickInterval(settings.heartbeatInterval())
                .heartbeatInterval(settings.heartbeatInterval())
                .electionTimeout(settings.electionTimeout())
                .maxBytesPerMessage(settings.maxEntryBytesPerMessage())
                .commandTimeout(settings.commandTimeout())
                .snapshotInterval(settings.snapshotInterval())
                .snapshotChunkBytes(settings.snapshotChunkBytes())
                .build();
    }

    @Bean
    @ConditionalOnMissingBean
    RaftNodeLifecycle raftNodeLifecycle(RaftNode node, RaftSettings settings, RaftCodecFactory codecs,
                                        ConfigurableListableBeanFactory beanFactory, ApplicationContext context) {
        return new RaftNodeLifecycle(node, settings, codecs, beanFactory, context);
    }

    @Bean
    @ConditionalOnMissingBean
    RaftClient raftClient(RaftNodeLifecycle lifecycle, ObjectProvider<RaftCommandObserver> observer) {
        return new RaftClient(lifecycle, observer.getIfUnique(() -> RaftCommandObserver.NONE));
    }
}
