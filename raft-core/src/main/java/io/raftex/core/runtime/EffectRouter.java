package io.raftex.core.runtime;

import io.raftex.core.protocol.Effect;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Hands each effect of the core to the one receiver registered for its type: the whole mapping from effects to the
 * code that carries them out, in one table. Building the table fails unless every kind of {@link Effect} (the
 * permitted subtypes of the sealed interface) has exactly one receiver, so an effect added to the core cannot go
 * unhandled. Used on the group thread only.
 */
final class EffectRouter {

    private final Map<Class<?>, Consumer<Effect>> receivers;

    private EffectRouter(Map<Class<?>, Consumer<Effect>> receivers) {
        this.receivers = receivers;
    }

    static Builder builder() {
        return new Builder();
    }

    /** Every kind of effect the core can ask for. */
    static Set<Class<?>> effectTypes() {
        return new LinkedHashSet<>(Arrays.asList(Effect.class.getPermittedSubclasses()));
    }

    /** Carries out {@code effect} through its receiver. */
    void route(Effect effect) {
        receivers.get(effect.getClass()).accept(effect);
    }

    /** The effect types this router has receivers for. */
    Set<Class<?>> routedTypes() {
        return Collections.unmodifiableSet(receivers.keySet());
    }

    /** Collects one receiver per effect type. */
    static final class Builder {
        private final Map<Class<?>, Consumer<Effect>> receivers = new HashMap<>();

        private Builder() {
        }

        /** Routes effects of {@code type} to {@code receiver}; a type may have only one. */
        <E extends Effect> Builder on(Class<E> type, Consumer<? super E> receiver) {
            if (receivers.containsKey(type)) {
                throw new IllegalStateException(type.getSimpleName() + " has a receiver already");
            }
            receivers.put(type, effect -> receiver.accept(type.cast(effect)));
            return this;
        }

        /** The router; throws if some kind of effect has no receiver. */
        EffectRouter build() {
            Set<Class<?>> missing = effectTypes();
            missing.removeAll(receivers.keySet());
            if (!missing.isEmpty()) {
                throw new IllegalStateException("no receiver for " + missing.stream().map(Class::getSimpleName)
                        .sorted().toList());
            }
            return new EffectRouter(Map.copyOf(receivers));
        }
    }
}
