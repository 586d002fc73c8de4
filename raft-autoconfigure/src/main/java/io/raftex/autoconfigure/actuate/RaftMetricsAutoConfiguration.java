package io.raftex.autoconfigure.actuate;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.runtime.StorageProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters of the Raft groups ({@link RaftMetrics}) and of the write-ahead log's group commits
 * ({@link StorageCommitMetrics}). The transport's {@code raft.rpc} timer and the resilience4j meters come from
 * {@link io.raftex.autoconfigure.transport.RaftTransportAutoConfiguration}.
 */
@AutoConfiguration(after = RaftAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(RaftNodeLifecycle.class)
public final class RaftMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    RaftMetrics raftMetrics(RaftNodeLifecycle lifecycle) {
        return new RaftMetrics(lifecycle);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(StorageProvider.class)
    StorageCommitMetrics raftStorageCommitMetrics(StorageProvider storage) {
        return new StorageCommitMetrics(storage);
    }
}
