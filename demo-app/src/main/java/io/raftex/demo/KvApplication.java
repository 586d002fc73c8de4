package io.raftex.demo;

import io.raftex.autoconfigure.RaftProperties;
import io.raftex.autoconfigure.RaftStateMachine;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The demo: a key-value store replicated by the Raft group {@value #GROUP}, served over HTTP by {@link KvController}.
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

    public static void main(String[] args) {
        SpringApplication.run(KvApplication.class, args);
    }
}
