package io.raftex.core.sim.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OperationTest {

    @Test
    void completedOperationKeepsItsInterval() {
        Operation<String, Integer> op = Operation.of(3, "read", 7, 10, 20);
        assertThat(op.clientId()).isEqualTo(3);
        assertThat(op.callTime()).isEqualTo(10);
        assertThat(op.returnTime()).isEqualTo(20);
        assertThat(op.isUnknown()).isFalse();
        assertThat(Operation.of(0, "x", null, 5, 5).isUnknown()).as("zero duration is allowed").isFalse();
    }

    @Test
    void unknownOperationNeverReturns() {
        Operation<KvInput, KvOutput> op = KvModel.unknown(1, new KvInput.Put("k", "v"), 42);
        assertThat(op.isUnknown()).isTrue();
        assertThat(op.returnTime()).isEqualTo(Long.MAX_VALUE).isEqualTo(Operation.NEVER_RETURNED);
        assertThat(op.output()).isEqualTo(new KvOutput.Unknown());
        assertThat(Operation.unknown(1, "w", "?", 3)).isEqualTo(new Operation<>(1, "w", "?", 3, Long.MAX_VALUE));
    }

    @Test
    void rejectsInvertedIntervalsAndMissingInput() {
        assertThatThrownBy(() -> Operation.of(0, "x", null, 10, 9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("before callTime");
        assertThatThrownBy(() -> Operation.of(0, null, null, 1, 2)).isInstanceOf(NullPointerException.class);
    }
}
