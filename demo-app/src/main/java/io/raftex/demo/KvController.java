package io.raftex.demo;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.core.ReadConsistency;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP API of the store. Writes go through the Raft group {@value KvApplication#GROUP} and answer only once the
 * command is committed and applied on this node; reads are queries at the requested consistency. Every node accepts
 * every request (a follower forwards commands to the leader). Failures are mapped to problem details by
 * {@link KvErrorHandler}: no 200 is ever sent for a write that was not committed.
 */
@RestController
@RequestMapping("/kv")
public class KvController {

    private final RaftClient raft;

    public KvController(RaftClient raft) {
        this.raft = raft;
    }

    /** {@code PUT /kv/{key}} with {@code {"value":"v"}}: 200 {@code {"key","value","index"}}. */
    @PutMapping("/{key}")
    public CompletableFuture<KvEntry> put(@PathVariable String key, @RequestBody PutRequest body) {
        KvCommand.Put command = new KvCommand.Put(key, body.value());
        return this.<KvResult>command(command).thenApply(r -> new KvEntry(key, r.value(), r.index()));
    }

    /**
     * {@code GET /kv/{key}?consistency=linearizable|leader|local}: 200 {@code {"key","value","index"}}, where index
     * is the log index the value was written at; 404 if the key is absent.
     */
    @GetMapping("/{key}")
    public CompletableFuture<KvEntry> get(@PathVariable String key,
                                          @RequestParam(defaultValue = "linearizable") String consistency) {
        KvCommand.checkKey(key);
        ReadConsistency level = consistency(consistency);
        CompletableFuture<Optional<KvEntry>> read = raft.query(KvApplication.GROUP, KvStateMachine.class,
                sm -> sm.get(key), level);
        return read.thenApply(entry -> entry.orElseThrow(() -> new KeyNotFoundException(key)));
    }

    /**
     * {@code POST /kv/{key}/cas} with {@code {"expected":"a" or null,"value":"b"}}: 200
     * {@code {"succeeded","value","index"}}, value being the key's value after the command.
     */
    @PostMapping("/{key}/cas")
    public CompletableFuture<CasResponse> compareAndSet(@PathVariable String key, @RequestBody CasRequest body) {
        KvCommand.CompareAndSet command = new KvCommand.CompareAndSet(key, body.expected(), body.value());
        return this.<KvResult>command(command)
                .thenApply(r -> new CasResponse(r.succeeded(), r.value(), r.index()));
    }

    /** {@code DELETE /kv/{key}}: 200 {@code {"key","value","index"}} with the value removed; 404 if absent. */
    @DeleteMapping("/{key}")
    public CompletableFuture<ResponseEntity<KvEntry>> delete(@PathVariable String key) {
        return this.<KvResult>command(new KvCommand.Delete(key)).thenApply(r -> {
            if (!r.succeeded()) {
                throw new KeyNotFoundException(key);
            }
            return ResponseEntity.ok(new KvEntry(key, r.value(), r.index()));
        });
    }

    private <R> CompletableFuture<R> command(KvCommand command) {
        return raft.command(KvApplication.GROUP, command);
    }

    /** Parses {@code linearizable}, {@code leader} or {@code local} (any case). */
    static ReadConsistency consistency(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "linearizable":
                return ReadConsistency.LINEARIZABLE;
            case "leader":
                return ReadConsistency.LEADER;
            case "local":
                return ReadConsistency.LOCAL;
            default:
                throw new IllegalArgumentException("consistency must be linearizable, leader or local, not '"
                        + value + "'");
        }
    }

    /**
     * Body of {@code PUT /kv/{key}}.
     *
     * @param value the new value (required)
     */
    public record PutRequest(String value) {
    }

    /**
     * Body of {@code POST /kv/{key}/cas}.
     *
     * @param expected the value the key must have now; null or absent for "the key must be absent"
     * @param value    the new value (required)
     */
    public record CasRequest(String expected, String value) {
    }

    /**
     * Answer of {@code POST /kv/{key}/cas}.
     *
     * @param succeeded whether the value was set
     * @param value     the key's value after the command (null if absent)
     * @param index     the log index the command was applied at
     */
    public record CasResponse(boolean succeeded, String value, long index) {
    }

    /** The key is not in the store; answered with 404. */
    static final class KeyNotFoundException extends RuntimeException {

        private final String key;

        KeyNotFoundException(String key) {
            super("key '" + key + "' is not in the store", null, false, false);
            this.key = key;
        }

        String key() {
            return key;
        }
    }
}
