package io.raftex.core.sim.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Test helper: builds key-value histories fluently; every operation gets its own client id. */
final class KvHistory {

    static final KvModel MODEL = new KvModel();
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<Operation<KvInput, KvOutput>> ops = new ArrayList<>();

    KvHistory put(String key, String value, long call, long ret) {
        return add(new KvInput.Put(key, value), new KvOutput.PutOk(), call, ret);
    }

    KvHistory get(String key, String valueOrNull, long call, long ret) {
        return add(new KvInput.Get(key), new KvOutput.GetResult(valueOrNull), call, ret);
    }

    KvHistory cas(String key, String expected, String value, boolean succeeded, long call, long ret) {
        return add(new KvInput.Cas(key, expected, value), new KvOutput.CasResult(succeeded), call, ret);
    }

    KvHistory delete(String key, boolean existed, long call, long ret) {
        return add(new KvInput.Delete(key), new KvOutput.DeleteResult(existed), call, ret);
    }

    KvHistory putUnknown(String key, String value, long call) {
        return unknown(new KvInput.Put(key, value), call);
    }

    KvHistory getUnknown(String key, long call) {
        return unknown(new KvInput.Get(key), call);
    }

    KvHistory casUnknown(String key, String expected, String value, long call) {
        return unknown(new KvInput.Cas(key, expected, value), call);
    }

    KvHistory deleteUnknown(String key, long call) {
        return unknown(new KvInput.Delete(key), call);
    }

    KvHistory add(KvInput input, KvOutput output, long call, long ret) {
        ops.add(Operation.of(ops.size(), input, output, call, ret));
        return this;
    }

    KvHistory unknown(KvInput input, long call) {
        ops.add(KvModel.unknown(ops.size(), input, call));
        return this;
    }

    /** The most recently added operation. */
    Operation<KvInput, KvOutput> last() {
        return ops.get(ops.size() - 1);
    }

    List<Operation<KvInput, KvOutput>> ops() {
        return List.copyOf(ops);
    }

    CheckResult check() {
        return LinearizabilityChecker.check(MODEL, ops, TIMEOUT);
    }
}
