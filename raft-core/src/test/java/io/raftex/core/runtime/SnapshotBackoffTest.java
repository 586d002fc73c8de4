package io.raftex.core.runtime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SnapshotBackoff} on a virtual clock. */
class SnapshotBackoffTest {

    @Test
    void aSnapshotMayBeTriedAtOnceUntilOneFails() {
        SnapshotBackoff b = new SnapshotBackoff();
        assertThat(b.mayTry(0)).isTrue();
        assertThat(b.mayTry(Long.MIN_VALUE)).isTrue();
        assertThat(b.failures()).isZero();
        assertThat(b.failuresInARow()).isZero();
    }

    @Test
    void eachStepWaitsTwiceAsLongUpToTheBound() {
        SnapshotBackoff b = new SnapshotBackoff();
        long now = 1_000_000;
        long expected = SnapshotBackoff.INITIAL_MILLIS;
        for (int step = 1; step <= 20; step++) {
            long wait = b.failed(now);
            assertThat(wait).as("step " + step).isEqualTo(expected);
            assertThat(b.mayTry(now + wait - 1)).isFalse();
            assertThat(b.mayTry(now + wait)).isTrue();
            assertThat(b.failuresInARow()).isEqualTo(step);
            now += wait;
            expected = Math.min(SnapshotBackoff.MAX_MILLIS, expected * 2);
        }
        assertThat(b.failed(now)).isEqualTo(SnapshotBackoff.MAX_MILLIS);
    }

    @Test
    void failuresWithinAStepAreCountedButStartNoNewStep() {
        SnapshotBackoff b = new SnapshotBackoff();
        assertThat(b.failed(0)).isEqualTo(SnapshotBackoff.INITIAL_MILLIS);
        assertThat(b.failed(10)).as("already reported").isZero();
        assertThat(b.failed(999)).isZero();
        assertThat(b.failures()).isEqualTo(3);
        assertThat(b.failuresInARow()).isEqualTo(1);
        assertThat(b.failed(1_000)).isEqualTo(2 * SnapshotBackoff.INITIAL_MILLIS);
    }

    @Test
    void aSuccessEndsTheBackOff() {
        SnapshotBackoff b = new SnapshotBackoff();
        b.failed(0);
        b.failed(SnapshotBackoff.INITIAL_MILLIS);
        b.succeeded();
        assertThat(b.mayTry(SnapshotBackoff.INITIAL_MILLIS + 1)).isTrue();
        assertThat(b.failuresInARow()).isZero();
        assertThat(b.failures()).as("a total since the start").isEqualTo(2);
        assertThat(b.failed(5_000)).as("the next failure starts over").isEqualTo(SnapshotBackoff.INITIAL_MILLIS);
    }
}
