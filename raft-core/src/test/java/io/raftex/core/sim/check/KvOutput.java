package io.raftex.core.sim.check;

/** A response from the key-value store checked by {@link KvModel}. */
public sealed interface KvOutput
        permits KvOutput.PutOk, KvOutput.GetResult, KvOutput.CasResult, KvOutput.DeleteResult, KvOutput.Unknown {

    /** The shared {@link Unknown} instance. */
    Unknown UNKNOWN = new Unknown();

    /** A {@link KvInput.Put} completed. */
    record PutOk() implements KvOutput {
    }

    /** A {@link KvInput.Get} read {@code valueOrNull} ({@code null} = the key was absent). */
    record GetResult(String valueOrNull) implements KvOutput {
    }

    /** Whether a {@link KvInput.Cas} took effect. */
    record CasResult(boolean succeeded) implements KvOutput {
    }

    /** Whether the key existed when a {@link KvInput.Delete} removed it. */
    record DeleteResult(boolean existed) implements KvOutput {
    }

    /**
     * The outcome is unknown (e.g. the client timed out): the request may or may not have taken effect, and if it did,
     * its effect was the normal one. A {@link KvInput.Get} with this output constrains nothing.
     */
    record Unknown() implements KvOutput {
    }
}
