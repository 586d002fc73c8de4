package io.raftex.core.session;


import io.raftex.core.ApplyContext;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client session table: at most once, first result on retry, deterministic refusal and eviction. */
class SessionStateMachineTest {

    /** Counts applies; refuses commands that start with "bad". */
    private static final class Counter implements EncodedStateMachine {
        final List<String> applied = new ArrayList<>();

        @Override
        public byte[] apply(byte[] command, ApplyContext context) {
            String c = new String(command, StandardCharsets.UTF_8);
            if (c.startsWith("bad")) {
                throw new IllegalArgumentException("cannot " + c);
            }
            applied.add(c);
            return Integer.toString(applied.size()).getBytes(StandardCharsets.UTF_8);
        }
    }

    private long index;

    private LogEntry cmd(long client, long seq, long ackedBelow, String payload) {
        return new LogEntry(++index, 1, EntryType.COMMAND, client, seq, ackedBelow, 0,
                payload.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(CommandResult r) {
        return new String(r.bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aRetriedCommandAppliesOnceAndAnswersItsFirstResult() {
        Counter m = new Counter();
        SessionStateMachine s = new SessionStateMachine(m, 10);
        CommandResult first = s.apply(cmd(7, 1, 1, "a")).orElseThrow();
        s.apply(cmd(8, 1, 1, "b"));
        CommandResult retry = s.apply(cmd(7, 1, 1, "a")).orElseThrow();
        assertThat(first).isInstanceOf(CommandResult.Applied.class);
        assertThat(retry).isInstanceOf(CommandResult.Duplicate.class);
        assertThat(text(retry)).isEqualTo(text(first)).isEqualTo("1");
        assertThat(m.applied).containsExactly("a", "b");
    }

    @Test
    void acknowledgedResultsAreDroppedAndTheirRetriesRefused() {
        Counter m = new Counter();
        SessionStateMachine s = new SessionStateMachine(m, 10);
        s.apply(cmd(7, 1, 1, "a"));
        s.apply(cmd(7, 2, 2, "b")); // the client has seen the answer to 1
        assertThat(s.apply(cmd(7, 1, 1, "a")).orElseThrow()).isInstanceOf(CommandResult.SessionExpired.class);
        assertThat(m.applied).containsExactly("a", "b");
    }

    @Test
    void aRefusedCommandChangesNothingAndARetryIsRefusedAlike() {
        Counter m = new Counter();
        SessionStateMachine s = new SessionStateMachine(m, 10);
        CommandResult r = s.apply(cmd(7, 1, 1, "bad-x")).orElseThrow();
        assertThat(r).isInstanceOf(CommandResult.Failed.class);
        assertThat(((CommandResult.Failed) r).reason()).contains("cannot bad-x");
        assertThat(s.apply(cmd(7, 1, 1, "bad-x")).orElseThrow()).isEqualTo(r);
        assertThat(s.apply(cmd(7, 2, 1, "ok")).orElseThrow()).isInstanceOf(CommandResult.Applied.class);
        assertThat(m.applied).containsExactly("ok");
    }

    @Test
    void entriesMustComeInOrderExactlyOnce() {
        SessionStateMachine s = new SessionStateMachine(new Counter(), 10);
        s.apply(cmd(7, 1, 1, "a"));
        LogEntry skipped = new LogEntry(5, 1, EntryType.NOOP, 0, 0, 0, 0, new byte[0]);
        assertThatThrownBy(() -> s.apply(skipped)).isInstanceOf(IllegalStateException.class);
        LogEntry again = new LogEntry(1, 1, EntryType.NOOP, 0, 0, 0, 0, new byte[0]);
        assertThatThrownBy(() -> s.apply(again)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theLeastRecentlyUsedSessionIsEvictedAndItsLaterCommandsRefused() {
        Counter m = new Counter();
        SessionStateMachine s = new SessionStateMachine(m, 2);
        s.apply(cmd(1, 1, 1, "a"));
        s.apply(cmd(2, 1, 1, "b"));
        s.apply(cmd(3, 1, 1, "c")); // evicts client 1, used longest ago
        assertThat(s.sessionCount()).isEqualTo(2);
        assertThat(s.apply(cmd(1, 2, 2, "d")).orElseThrow()).isInstanceOf(CommandResult.SessionExpired.class);
        assertThat(m.applied).containsExactly("a", "b", "c");
    }

    @Test
    void aSessionTableCarriedInASnapshotAnswersRetriesWithTheFirstResultsWithoutApplyingThem() throws Exception {
        SessionStateMachine s = new SessionStateMachine(new Counter(), 10);
        CommandResult first = s.apply(cmd(7, 1, 1, "a")).orElseThrow();
        s.apply(cmd(8, 1, 1, "bad"));
        byte[] table = s.encodeSessions();

        Counter other = new Counter();
        SessionStateMachine restored = new SessionStateMachine(other, 10);
        restored.install(SessionStateMachine.decodeSessions(table), index);
        assertThat(restored.lastApplied()).isEqualTo(index);
        CommandResult retry = restored.apply(cmd(7, 1, 1, "a")).orElseThrow();
        assertThat(retry).isInstanceOf(CommandResult.Duplicate.class);
        assertThat(text(retry)).isEqualTo(text(first));
        assertThat(restored.apply(cmd(8, 1, 1, "bad")).orElseThrow()).isInstanceOf(CommandResult.Failed.class);
        assertThat(other.applied).as("nothing applied again").isEmpty();
    }

    @Test
    void aMalformedSessionTableIsRefusedWhole() {
        SessionStateMachine s = new SessionStateMachine(new Counter(), 10);
        s.apply(cmd(7, 1, 1, "a"));
        byte[] table = s.encodeSessions();
        for (int cut = 0; cut < table.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(table, cut);
            assertThatThrownBy(() -> SessionStateMachine.decodeSessions(truncated)).as("cut at %d", cut)
                    .isInstanceOf(java.io.IOException.class);
        }
        byte[] longer = java.util.Arrays.copyOf(table, table.length + 1);
        assertThatThrownBy(() -> SessionStateMachine.decodeSessions(longer)).isInstanceOf(java.io.IOException.class);
    }
}
