package io.raftex.core.runtime;

import io.raftex.core.ApplyContext;
import io.raftex.core.Codec;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import io.raftex.core.session.EncodedStateMachine;

import java.io.IOException;
import java.io.InputStream;

/**
 * Presents a typed {@link StateMachine} as an {@link EncodedStateMachine}. Remembers the typed result of the last
 * apply so that the member that proposed a command can answer it without decoding the result again.
 */
final class StateMachineAdapter<C, R> implements EncodedStateMachine {

    private final StateMachine<C, R> machine;
    private final Codec<C> commandCodec;
    private final Codec<R> resultCodec;
    private boolean hasLast;
    private R last;

    StateMachineAdapter(StateMachine<C, R> machine, Codec<C> commandCodec, Codec<R> resultCodec) {
        this.machine = machine;
        this.commandCodec = commandCodec;
        this.resultCodec = resultCodec;
    }

    StateMachine<C, R> machine() {
        return machine;
    }

    @Override
    public byte[] apply(byte[] command, ApplyContext context) {
        R result = machine.apply(commandCodec.decode(command), context);
        last = result;
        hasLast = true;
        return resultCodec.encode(result);
    }

    /** Forgets the last result; called before each entry is applied. */
    void clearLast() {
        hasLast = false;
        last = null;
    }

    boolean hasLast() {
        return hasLast;
    }

    R last() {
        return last;
    }

    byte[] encodeCommand(C command) {
        return commandCodec.encode(command);
    }

    R decodeResult(byte[] bytes) {
        return resultCodec.decode(bytes);
    }

    @Override
    public StateSnapshot snapshot() {
        return machine.snapshot();
    }

    @Override
    public void restore(InputStream in) throws IOException {
        machine.restore(in);
    }
}
