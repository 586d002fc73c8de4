package io.raftex.autoconfigure;

import io.raftex.autoconfigure.transport.RaftMessageValidator;
import io.raftex.core.StateMachine;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Finds the {@link RaftStateMachine} beans and resolves their command and result types. */
final class RaftStateMachineScanner {

    private RaftStateMachineScanner() {
    }

    static List<RaftGroupDefinition> scan(ConfigurableListableBeanFactory beanFactory) {
        Map<String, RaftGroupDefinition> byGroup = new LinkedHashMap<>();
        for (String beanName : beanFactory.getBeanNamesForAnnotation(RaftStateMachine.class)) {
            RaftStateMachine annotation = beanFactory.findAnnotationOnBean(beanName, RaftStateMachine.class);
            if (annotation == null) {
                continue;
            }
            String group = annotation.value();
            if (!RaftMessageValidator.isValidGroupName(group)) {
                // the same rule as on the wire: a peer's messages name the group
                throw new RaftConfigurationException("@RaftStateMachine", "@RaftStateMachine(\"" + group
                        + "\") on bean '" + beanName + "': " + RaftMessageValidator.GROUP_NAME_RULE);
            }
            Object bean = beanFactory.getBean(beanName);
            if (!(bean instanceof StateMachine<?, ?> stateMachine)) {
                throw new RaftConfigurationException("@RaftStateMachine", "bean '" + beanName
                        + "' is annotated @RaftStateMachine(\"" + group + "\") but is not a "
                        + StateMachine.class.getName());
            }
            ResolvableType type = resolve(beanFactory, beanName, bean);
            RaftGroupDefinition definition = new RaftGroupDefinition(group, beanName, stateMachine,
                    type.getGeneric(0).getType(), type.getGeneric(1).getType(), type.getGeneric(0).toClass());
            RaftGroupDefinition previous = byGroup.put(group, definition);
            if (previous != null) {
                throw new RaftConfigurationException("@RaftStateMachine", "beans '" + previous.beanName()
                        + "' and '" + beanName + "' both declare the Raft group '" + group + "'");
            }
        }
        return new ArrayList<>(byGroup.values());
    }

    /** {@code StateMachine<C, R>} of the bean with both generics resolved. */
    private static ResolvableType resolve(ConfigurableListableBeanFactory beanFactory, String beanName, Object bean) {
        ResolvableType fromClass = ResolvableType.forClass(AopUtils.getTargetClass(bean)).as(StateMachine.class);
        if (resolved(fromClass)) {
            return fromClass;
        }
        if (beanFactory.containsBeanDefinition(beanName)) {
            BeanDefinition definition = beanFactory.getMergedBeanDefinition(beanName);
            ResolvableType fromDefinition = definition.getResolvableType().as(StateMachine.class);
            if (resolved(fromDefinition)) {
                return fromDefinition;
            }
        }
        throw new RaftConfigurationException("@RaftStateMachine", "cannot tell the command and result types of "
                + "@RaftStateMachine bean '" + beanName + "' (" + AopUtils.getTargetClass(bean).getName()
                + "): implement StateMachine<C, R> with concrete types, for example "
                + "class Counter implements StateMachine<Increment, Long>");
    }

    private static boolean resolved(ResolvableType type) {
        return type != ResolvableType.NONE && !type.hasUnresolvableGenerics()
                && type.getGeneric(0).resolve() != null && type.getGeneric(1).resolve() != null;
    }
}
