package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.RaftNode;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

/**
 * Spring events for role and leader changes of every group ({@link RaftRoleChangedEvent},
 * {@link RaftLeaderChangedEvent}), through {@link RaftEventPublisher}.
 */
@AutoConfiguration(after = RaftAutoConfiguration.class)
@ConditionalOnBean({RaftNodeLifecycle.class, RaftNode.class})
public final class RaftEventsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    RaftEventPublisher raftEventPublisher(RaftNodeLifecycle lifecycle, ApplicationEventPublisher publisher,
                                          RaftNode node) {
        return new RaftEventPublisher(lifecycle, publisher, node);
    }
}
