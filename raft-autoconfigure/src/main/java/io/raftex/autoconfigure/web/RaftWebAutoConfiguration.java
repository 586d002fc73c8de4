package io.raftex.autoconfigure.web;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftSettings;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * In a servlet MVC application with a Raft node: {@link RaftExceptionHandler}, so that a controller calling
 * {@code RaftClient} answers "no leader" with 503 and {@code Retry-After} (twice {@code raft.election-timeout}, about
 * the time an election takes) and an unknown outcome with 504. Declare a bean of that type to replace it.
 */
@AutoConfiguration(after = RaftAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean(RaftSettings.class)
public final class RaftWebAutoConfiguration {

    /** Maps the RaftEx exceptions of MVC handlers to 503/504 problem details. */
    @Bean
    @ConditionalOnMissingBean
    RaftExceptionHandler raftExceptionHandler(RaftSettings settings) {
        return new RaftExceptionHandler(settings.electionTimeout().multipliedBy(2));
    }
}
