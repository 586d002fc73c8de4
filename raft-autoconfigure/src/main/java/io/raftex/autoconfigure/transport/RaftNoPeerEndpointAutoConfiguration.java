package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * An application that sends to its peers with the {@link HttpTransport} but has no endpoint to receive from them:
 * not a servlet web application, or no Spring MVC on the class path, so no {@code /raft/rpc} and no
 * {@code /raft/stream}. The node still starts (alone it needs no peers, and its {@code RaftClient} works), but when
 * {@code raft.members} names other nodes it cannot hear them, and this says so at startup.
 */
@AutoConfiguration(after = RaftRpcEndpointAutoConfiguration.class)
@ConditionalOnBean({HttpTransport.class, RaftSettings.class})
@ConditionalOnMissingBean({RaftRpcController.class, RaftStreamEndpoint.class})
public final class RaftNoPeerEndpointAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RaftNoPeerEndpointAutoConfiguration.class);

    @Bean
    SmartInitializingSingleton raftNoPeerEndpointWarning(RaftSettings settings) {
        return () -> {
            if (settings.configuredMembers().stream().anyMatch(m -> !m.id().equals(settings.nodeId()))) {
                log.warn("raft.members names other nodes, but this application does not serve {} and {} (it is not a "
                                + "servlet web application with Spring MVC): node {} cannot receive their messages, so "
                                + "it can neither lead nor follow. Add spring-boot-starter-webmvc (the RaftEx starter "
                                + "brings it) and leave spring.main.web-application-type unset or servlet",
                        HttpTransport.RPC_PATH, HttpTransport.STREAM_PATH, settings.nodeId());
            }
        };
    }
}
