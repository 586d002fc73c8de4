package io.raftex.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a {@link io.raftex.core.StateMachine} bean the replicated state of the Raft group named {@link #value()},
 * with the members given by {@code raft.members}. Put it on the bean's class or on its {@code @Bean} method.
 *
 * <p>The command and result types are read from the bean's {@code StateMachine<C, R>} signature, so they must be
 * concrete there; commands and results travel and are logged as JSON (Jackson), so they must round-trip through
 * it. Send commands and queries through {@link io.raftex.autoconfigure.client.RaftClient}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface RaftStateMachine {

    /** The group's name: letters, digits, '-', '_' and '.', at most 64 characters. */
    String value();
}
