package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The Actuator endpoint {@code raft} ({@link RaftEndpoint}), when it is available (exposed, and not switched off with
 * {@code management.endpoint.raft.access=none}). Expose it over HTTP with
 * {@code management.endpoints.web.exposure.include=...,raft}.
 */
@AutoConfiguration(after = RaftAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(RaftNodeLifecycle.class)
public final class RaftEndpointAutoConfiguration {

    // on the method, not the class: a class-level condition whose class is missing (no Actuator) fails the
    // evaluation of the class's conditions before @ConditionalOnClass can skip it
    @Bean
    @ConditionalOnAvailableEndpoint(RaftEndpoint.class)
    @ConditionalOnMissingBean
    RaftEndpoint raftEndpoint(RaftNodeLifecycle lifecycle) {
        return new RaftEndpoint(lifecycle);
    }
}
