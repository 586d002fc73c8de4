package io.raftex.autoconfigure.testapp;

import io.raftex.autoconfigure.RaftStateMachine;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** A web application with one Raft group, "counter". */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class CounterApp {

    @Bean
    @RaftStateMachine("counter")
    CounterStateMachine counterStateMachine() {
        return new CounterStateMachine();
    }
}
