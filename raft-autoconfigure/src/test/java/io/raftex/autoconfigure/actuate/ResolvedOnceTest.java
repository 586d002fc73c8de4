package io.raftex.autoconfigure.actuate;

import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The command observation's registry: asked of the bean factory until it is there, then never again. */
class ResolvedOnceTest {

    @Test
    void theRegistryIsLookedUpUntilItIsThereAndThenKept() {
        AtomicInteger lookups = new AtomicInteger();
        AtomicReference<ObservationRegistry> bean = new AtomicReference<>();
        ObjectProvider<ObservationRegistry> provider = new ObjectProvider<>() {
            @Override
            public ObservationRegistry getObject() {
                return bean.get();
            }

            @Override
            public ObservationRegistry getIfAvailable() {
                lookups.incrementAndGet();
                return bean.get();
            }
        };
        RaftObservationAutoConfiguration.ResolvedOnce registry =
                new RaftObservationAutoConfiguration.ResolvedOnce(provider);

        assertThat(registry.get()).as("none yet: no observations").isSameAs(ObservationRegistry.NOOP);
        assertThat(registry.get()).isSameAs(ObservationRegistry.NOOP);
        assertThat(lookups).hasValue(2);

        ObservationRegistry real = ObservationRegistry.create();
        bean.set(real);
        for (int i = 0; i < 1_000; i++) {
            assertThat(registry.get()).isSameAs(real);
        }
        assertThat(lookups).as("one more lookup, then the kept registry").hasValue(3);
    }
}
