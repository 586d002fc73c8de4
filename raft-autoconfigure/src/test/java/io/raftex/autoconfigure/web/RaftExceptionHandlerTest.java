package io.raftex.autoconfigure.web;

import io.raftex.autoconfigure.actuate.Http;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.CommandFailedException;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.SessionExpiredException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An MVC controller that lets a RaftEx exception out, thrown or through its CompletableFuture, answers 503 with
 * Retry-After or 504 as a problem detail; other exceptions and the controller's own handlers are left alone.
 */
class RaftExceptionHandlerTest {

    @TempDir
    static Path tmp;
    private static TestNode node;

    @BeforeAll
    static void start() {
        // election timeout 1500ms: Retry-After is twice that, rounded up: 3 s
        node = new TestNode("n1", TestNode.freePort(), tmp.resolve("n1")).withSources(Failing.class, OwnHandler.class)
                .with("raft.election-timeout", "1500ms").start();
    }

    @AfterAll
    static void stop() {
        node.stop();
    }

    @Test
    void noLeaderAndStoppingAre503WithRetryAfterWhetherThrownOrCompleted() throws Exception {
        for (String path : new String[]{"/fail/no-leader", "/fail-async/no-leader", "/fail/stopped",
                "/fail-async/stopped"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).as(path).contains("3");
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(r.body()).as(path).contains("\"status\":503").contains("not carried out")
                    .contains("\"instance\":\"" + path + "\"");
        }
    }

    @Test
    void unknownOutcomesAndReadTimeoutsAre504() throws Exception {
        for (String path : new String[]{"/fail/timeout", "/fail-async/timeout", "/fail/unknown",
                "/fail/session", "/fail-async/query"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(504);
            assertThat(r.headers().firstValue("Retry-After")).as(path).isEmpty();
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(r.body()).as(path).contains("\"status\":504");
        }
        assertThat(get("/fail/timeout").body()).contains("may still be applied");
        assertThat(get("/fail-async/query").body()).contains("Nothing was changed");
    }

    @Test
    void otherExceptionsAndTheApplicationsOwnHandlersAreLeftAlone() throws Exception {
        assertThat(get("/fail/failed").statusCode()).isEqualTo(500);
        HttpResponse<String> own = get("/own");
        assertThat(own.statusCode()).isEqualTo(429);
        assertThat(own.body()).isEqualTo("mine");
    }

    @Test
    void theHandlerIsAutoConfiguredOnce() {
        assertThat(node.context().getBeansOfType(RaftExceptionHandler.class)).hasSize(1);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static RuntimeException exception(String kind) {
        return switch (kind) {
            case "no-leader" -> new NoLeaderException("counter", "no leader known for group 'counter'");
            case "stopped" -> new GroupStoppedException("group 'counter' stopped", null);
            case "timeout" -> new CommandTimeoutException("the command did not commit in time");
            case "unknown" -> new CommandOutcomeUnknownException("the group stopped");
            case "session" -> new SessionExpiredException("the session expired");
            case "query" -> new QueryTimeoutException("the read did not complete in time");
            default -> new CommandFailedException("the state machine refused it");
        };
    }

    @RestController
    static class Failing {
        @GetMapping("/fail/{kind}")
        String fail(@PathVariable String kind) {
            throw exception(kind);
        }

        @GetMapping("/fail-async/{kind}")
        CompletableFuture<String> failAsync(@PathVariable String kind) {
            return CompletableFuture.supplyAsync(() -> {
                throw exception(kind);
            });
        }
    }

    /** A controller with its own handler for one of the types. */
    @RestController
    static class OwnHandler {
        @GetMapping("/own")
        String own() {
            throw new NoLeaderException("counter", "none");
        }

        @ExceptionHandler(NoLeaderException.class)
        ResponseEntity<String> mine(NoLeaderException e) {
            return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS).body("mine");
        }
    }
}
