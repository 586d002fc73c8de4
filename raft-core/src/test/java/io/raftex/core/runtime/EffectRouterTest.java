package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.Role;
import io.raftex.core.protocol.Effect;
import io.raftex.core.protocol.ProtocolConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link EffectRouter}: one receiver per kind of effect, and the runtime's table covers every kind. */
class EffectRouterTest {

    @Test
    void everyKindOfEffectIsAPermittedSubtypeOfTheSealedInterface() {
        assertThat(Effect.class.isSealed()).isTrue();
        assertThat(EffectRouter.effectTypes()).hasSize(Effect.class.getPermittedSubclasses().length)
                .contains(Effect.Send.class, Effect.Refused.class);
    }

    @Test
    void theRuntimeRoutesEveryKindOfEffect() {
        ManualGroup.Executor executor = new ManualGroup.Executor();
        Random seeds = new Random(7);
        GroupEnvironment env = new GroupEnvironment((node, group) -> executor, () -> 0L, () -> 0L, seeds::nextLong,
                Runnable::run);
        RuntimeSettings settings = new RuntimeSettings("n1", ProtocolConfig.defaults().withTiming(10, 2),
                Duration.ofMillis(10), Duration.ofSeconds(5), Duration.ofSeconds(5), 100, Runnable::run);
        GroupRuntime<String, Integer> runtime = new GroupRuntime<>("g", new ClusterConfig(List.of(
                Member.voter("n1", "a1"))), new ListMachine(), ListMachine.COMMANDS, ListMachine.RESULTS, settings,
                new ManualGroup.Outbox(), new InMemoryStorageProvider(), env);
        assertThat(runtime.routedEffectTypes()).containsExactlyInAnyOrderElementsOf(EffectRouter.effectTypes());
    }

    @Test
    void eachEffectGoesToTheReceiverOfItsTypeOnly() {
        List<String> received = new ArrayList<>();
        EffectRouter.Builder builder = EffectRouter.builder();
        for (Class<?> type : EffectRouter.effectTypes()) {
            builder.on(type.asSubclass(Effect.class), e -> received.add(type.getSimpleName() + ":" + e));
        }
        EffectRouter router = builder.build();
        Effect.RoleChanged roleChanged = new Effect.RoleChanged(Role.LEADER, 3, Optional.empty());
        Effect.CommitAdvanced commit = new Effect.CommitAdvanced(7);
        router.route(roleChanged);
        router.route(commit);
        assertThat(received).containsExactly("RoleChanged:" + roleChanged, "CommitAdvanced:" + commit);
    }

    @Test
    void aRouterWithoutAReceiverForSomeEffectIsNotBuilt() {
        EffectRouter.Builder builder = EffectRouter.builder();
        for (Class<?> type : EffectRouter.effectTypes()) {
            if (type != Effect.Refused.class) {
                builder.on(type.asSubclass(Effect.class), e -> { });
            }
        }
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no receiver for [Refused]");
    }

    @Test
    void aTypeTakesOneReceiverOnly() {
        EffectRouter.Builder builder = EffectRouter.builder().on(Effect.Send.class, e -> { });
        assertThatThrownBy(() -> builder.on(Effect.Send.class, e -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Send has a receiver already");
    }
}
