package io.raftex.demo;

import io.raftex.autoconfigure.RaftProperties;
import io.raftex.autoconfigure.RaftStateMachine;
import io.raftex.autoconfigure.client.RaftClient;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo: a key-value store replicated by the Raft group {@value #GROUP}, served over HTTP by {@link KvServlet}.
 * Every node runs the same application; {@code raft.node-id} and {@code raft.members} tell them apart.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class KvApplication {

    /** The name of the Raft group that holds the store. */
    public static final String GROUP = "kv";

    /**
     * The replicated state: an in-memory H2 database of this node. Closed after the Raft group stopped, because the
     * starter stops its groups in the lifecycle phase, before beans are destroyed.
     */
    @Bean(destroyMethod = "close")
    @RaftStateMachine(GROUP)
    KvStateMachine kvStateMachine(RaftProperties raft) {
        return KvStateMachine.inMemory(raft.getNodeId());
    }

    /** The store's HTTP API on {@code /kv/*} (see {@link KvServlet} for why it is a servlet). */
    @Bean
    ServletRegistrationBean<KvServlet> kvServlet(RaftClient raft, JsonMapper json, RaftProperties properties,
            @Value("${kv.max-concurrent-body-reads:" + KvServlet.DEFAULT_MAX_CONCURRENT_BODY_READS + "}")
            int maxConcurrentBodyReads) {
        ServletRegistrationBean<KvServlet> registration = new ServletRegistrationBean<>(
                new KvServlet(raft, json, properties.getElectionTimeout(),
                        properties.getCommandTimeout(), maxConcurrentBodyReads), "/kv/*");
        registration.setName("kv");
        registration.setAsyncSupported(true);
        registration.setLoadOnStartup(1);
        return registration;
    }

    public static void main(String[] args) {
        SpringApplication.run(KvApplication.class, args);
    }
}
