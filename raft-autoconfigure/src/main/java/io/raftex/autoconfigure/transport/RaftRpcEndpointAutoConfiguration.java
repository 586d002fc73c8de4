package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.RaftSettings;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.DispatcherServlet;

/** {@code POST /raft/rpc} in a servlet web application that uses the {@link HttpTransport}. */
@AutoConfiguration(after = RaftTransportAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean({HttpTransport.class, RaftNodeLifecycle.class})
public final class RaftRpcEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    RaftRpcController raftRpcController(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                                        RaftSettings settings) {
        return new RaftRpcController(transport, json, lifecycle, settings.maxBatchBytes(), settings.clusterToken());
    }
}
