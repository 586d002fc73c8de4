package io.raftex.autoconfigure;

import io.raftex.core.StateMachine;

import java.lang.reflect.Type;

/**
 * A Raft group declared by a {@link RaftStateMachine} bean.
 *
 * @param name         the group's name
 * @param beanName     the state machine bean's name
 * @param stateMachine the state machine
 * @param commandType  {@code C} of its {@code StateMachine<C, R>}
 * @param resultType   {@code R} of its {@code StateMachine<C, R>}
 * @param commandClass the raw class of {@code C}, to check commands sent through the client
 */
public record RaftGroupDefinition(String name, String beanName, StateMachine<?, ?> stateMachine, Type commandType,
                                  Type resultType, Class<?> commandClass) {
}
