package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.RaftProperties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * The health component {@code raft} (one entry per group), switched off with
 * {@code management.health.raft.enabled=false}. It is in no health group by default; add it to readiness with
 * {@code management.endpoint.health.group.readiness.include=readinessState,raft}. Keep it out of liveness: a node
 * without a leader must not be restarted for it. With {@code raft.health.require-caught-up=true} a group is DOWN
 * while this member catches up (receives a snapshot, or applies a long backlog).
 */
@AutoConfiguration(after = RaftAutoConfiguration.class,
        beforeName = "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnClass({HealthContributor.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(RaftNodeLifecycle.class)
public final class RaftHealthContributorAutoConfiguration {

    // on the method, not the class: a class-level condition whose class is missing (no Actuator) fails the
    // evaluation of the class's conditions before @ConditionalOnClass can skip it
    @Bean
    @ConditionalOnEnabledHealthIndicator("raft")
    @ConditionalOnMissingBean(name = {"raftHealthIndicator", "raftHealthContributor"})
    RaftHealthContributor raftHealthContributor(RaftNodeLifecycle lifecycle, RaftProperties properties) {
        return new RaftHealthContributor(lifecycle, properties.getHealth().isRequireCaughtUp());
    }
}
