package io.raftex.core.sim.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@link Model} of a key-value store in which every key is an independent register (initially absent) supporting
 * {@link KvInput.Put put}, {@link KvInput.Get get}, {@link KvInput.Cas compare-and-set} and
 * {@link KvInput.Delete delete}. Histories are {@linkplain #partition partitioned} by key, in key order.
 *
 * <p>An operation answered with {@link KvOutput.Unknown} may or may not have taken effect; if it did, it had its normal
 * effect. Such operations should be created with {@link #unknown(int, KvInput, long)} so that they never return.
 */
public final class KvModel implements Model<KvModel.State, KvInput, KvOutput> {

    /**
     * The store's contents: present keys and their values (absent keys are not in the map). Immutable; when checking
     * a single key's partition it holds at most that key.
     *
     * @param values present keys and values, copied into an immutable map
     */
    public record State(Map<String, String> values) {
        /** The empty store. */
        public static final State EMPTY = new State(Map.of());

        /** Copies {@code values} (which must not contain null keys or values). */
        public State {
            values = Map.copyOf(values);
        }

        /** The value of {@code key}, or {@code null} if absent. */
        public String get(String key) {
            return values.get(key);
        }

        State with(String key, String value) {
            if (value.equals(values.get(key))) {
                return this;
            }
            if (values.isEmpty() || (values.size() == 1 && values.containsKey(key))) {
                return new State(Map.of(key, value)); // the common single-key case, without copying
            }
            Map<String, String> copy = new HashMap<>(values);
            copy.put(key, value);
            return new State(copy);
        }

        State without(String key) {
            if (!values.containsKey(key)) {
                return this;
            }
            if (values.size() == 1) {
                return EMPTY;
            }
            Map<String, String> copy = new HashMap<>(values);
            copy.remove(key);
            return new State(copy);
        }
    }

    /** Creates the model (it is stateless; instances are interchangeable). */
    public KvModel() {
    }

    /** An operation on this store whose outcome is unknown: called at {@code callTime}, never returned. */
    public static Operation<KvInput, KvOutput> unknown(int clientId, KvInput input, long callTime) {
        return Operation.unknown(clientId, input, KvOutput.UNKNOWN, callTime);
    }

    @Override
    public State init() {
        return State.EMPTY;
    }

    @Override
    public Optional<State> step(State state, KvInput input, KvOutput output) {
        requireCompatible(input, output);
        String key = input.key();
        String current = state.get(key);
        boolean unknown = output instanceof KvOutput.Unknown;
        if (input instanceof KvInput.Put put) {
            return Optional.of(state.with(key, put.value()));
        }
        if (input instanceof KvInput.Get) {
            if (unknown) {
                return Optional.of(state);
            }
            String read = ((KvOutput.GetResult) output).valueOrNull();
            return Objects.equals(current, read) ? Optional.of(state) : Optional.empty();
        }
        if (input instanceof KvInput.Cas cas) {
            boolean matches = Objects.equals(current, cas.expected());
            State after = matches ? state.with(key, cas.value()) : state;
            if (unknown) {
                return Optional.of(after);
            }
            return ((KvOutput.CasResult) output).succeeded() == matches ? Optional.of(after) : Optional.empty();
        }
        // Delete
        if (!unknown && ((KvOutput.DeleteResult) output).existed() != (current != null)) {
            return Optional.empty();
        }
        return Optional.of(state.without(key));
    }

    /**
     * One partition per key, in key order, each keeping history order.
     *
     * @throws IllegalArgumentException if an operation's output does not fit its input (e.g. a Put answered with a
     *                                  GetResult)
     */
    @Override
    public List<List<Operation<KvInput, KvOutput>>> partition(List<Operation<KvInput, KvOutput>> history) {
        Map<String, List<Operation<KvInput, KvOutput>>> byKey = new TreeMap<>();
        for (Operation<KvInput, KvOutput> operation : history) {
            requireCompatible(operation.input(), operation.output());
            byKey.computeIfAbsent(operation.input().key(), k -> new ArrayList<>()).add(operation);
        }
        return new ArrayList<>(byKey.values());
    }

    @Override
    public String describePartition(int index, List<Operation<KvInput, KvOutput>> partition) {
        List<String> keys = partition.stream().map(o -> o.input().key()).distinct().sorted().toList();
        if (keys.size() == 1) {
            return "key " + quote(keys.get(0));
        }
        if (keys.isEmpty()) {
            return "empty partition #" + index;
        }
        return "keys " + keys.stream().map(KvModel::quote).collect(Collectors.joining(", "));
    }

    @Override
    public String describeOperation(KvInput input, KvOutput output) {
        String call;
        if (input instanceof KvInput.Put put) {
            call = "put(" + quote(put.key()) + ", " + value(put.value()) + ")";
        } else if (input instanceof KvInput.Get get) {
            call = "get(" + quote(get.key()) + ")";
        } else if (input instanceof KvInput.Cas cas) {
            call = "cas(" + quote(cas.key()) + ", " + value(cas.expected()) + " => " + value(cas.value()) + ")";
        } else {
            call = "delete(" + quote(input.key()) + ")";
        }
        String result;
        if (output instanceof KvOutput.Unknown) {
            result = "unknown";
        } else if (output instanceof KvOutput.PutOk) {
            result = "ok";
        } else if (output instanceof KvOutput.GetResult get) {
            result = value(get.valueOrNull());
        } else if (output instanceof KvOutput.CasResult cas) {
            result = cas.succeeded() ? "succeeded" : "failed";
        } else if (output instanceof KvOutput.DeleteResult delete) {
            result = delete.existed() ? "existed" : "was absent";
        } else {
            result = String.valueOf(output);
        }
        return call + " -> " + result;
    }

    @Override
    public String describeState(State state) {
        if (state.values().isEmpty()) {
            return "all keys absent";
        }
        return new TreeMap<>(state.values()).entrySet().stream()
                .map(e -> quote(e.getKey()) + " = " + value(e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private static void requireCompatible(KvInput input, KvOutput output) {
        Objects.requireNonNull(output, () -> "null output for " + input + " (use KvOutput.Unknown)");
        boolean fits = output instanceof KvOutput.Unknown
                || (input instanceof KvInput.Put && output instanceof KvOutput.PutOk)
                || (input instanceof KvInput.Get && output instanceof KvOutput.GetResult)
                || (input instanceof KvInput.Cas && output instanceof KvOutput.CasResult)
                || (input instanceof KvInput.Delete && output instanceof KvOutput.DeleteResult);
        if (!fits) {
            throw new IllegalArgumentException("output " + output + " does not answer " + input);
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }

    private static String value(String valueOrNull) {
        return valueOrNull == null ? "absent" : quote(valueOrNull);
    }
}
