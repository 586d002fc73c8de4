package io.raftex.demo;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.NoLeaderException;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockAsyncContext;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

/**
 * The asynchronous edges of {@link KvServlet} that a real cluster cannot produce on demand: the container's own
 * timeout, a client gone before the answer, an answer that arrives after either, and failures known at once.
 */
class KvServletTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RaftClient raft = mock(RaftClient.class);
    private final CompletableFuture<KvResult> outcome = new CompletableFuture<>();
    private KvServlet servlet;

    @BeforeEach
    void servlet() {
        doReturn(outcome).when(raft).command(eq(KvApplication.GROUP), any());
        servlet = new KvServlet(raft, JSON, Duration.ofMillis(1500), Duration.ofSeconds(7));
    }

    @Test
    void aCommittedWriteIsAnsweredFromTheFutureAndCompletesTheRequest() throws Exception {
        MockHttpServletRequest request = put("/colour", "{\"value\":\"blue\"}");
        MockHttpServletResponse response = new MockHttpServletResponse();

        servlet.service(request, response);
        assertThat(request.isAsyncStarted()).isTrue();
        assertThat(((MockAsyncContext) request.getAsyncContext()).getTimeout()).isEqualTo(12_000);
        outcome.complete(new KvResult(true, "blue", 42));

        assertThat(request.isAsyncStarted()).as("completed").isFalse();
        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getContentType()).isEqualTo("application/json");
        JsonNode body = JSON.readTree(response.getContentAsString(StandardCharsets.UTF_8));
        assertThat(body.get("key").asString()).isEqualTo("colour");
        assertThat(body.get("value").asString()).isEqualTo("blue");
        assertThat(body.get("index").asLong()).isEqualTo(42);
    }

    @Test
    void theContainersTimeoutAnswers504AndALaterOutcomeWritesNothing() throws Exception {
        MockHttpServletRequest request = put("/slow", "{\"value\":\"v\"}");
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockAsyncContext async = startedAsync(request, response);

        for (AsyncListener listener : async.getListeners()) {
            listener.onTimeout(new AsyncEvent(async));
        }
        String answered = response.getContentAsString(StandardCharsets.UTF_8);
        outcome.complete(new KvResult(true, "v", 9));

        assertThat(response.getStatus()).isEqualTo(504);
        assertThat(response.getContentType()).isEqualTo("application/problem+json");
        JsonNode problem = JSON.readTree(answered);
        assertThat(problem.get("title").asString()).isEqualTo("Command outcome unknown");
        assertThat(problem.get("detail").asString()).contains("may still be applied");
        assertThat(problem.get("instance").asString()).isEqualTo("/kv/slow");
        assertThat(response.getContentAsString(StandardCharsets.UTF_8)).as("nothing after the timeout's answer")
                .isEqualTo(answered);
    }

    @Test
    void aClientGoneBeforeTheOutcomeGetsNothingAndTheRequestEnds() throws Exception {
        MockHttpServletRequest request = put("/gone", "{\"value\":\"v\"}");
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockAsyncContext async = startedAsync(request, response);

        for (AsyncListener listener : async.getListeners()) {
            listener.onError(new AsyncEvent(async, new IOException("connection reset")));
        }
        outcome.completeExceptionally(new CommandOutcomeUnknownException("deadline passed", null));

        assertThat(request.isAsyncStarted()).as("completed").isFalse();
        assertThat(response.getContentAsByteArray()).isEmpty();
    }

    @Test
    void aFailureKnownAtOnceIsAnsweredWithoutGoingAsynchronous() throws Exception {
        outcome.completeExceptionally(new NoLeaderException(KvApplication.GROUP, "no leader known for group 'kv'"));
        MockHttpServletRequest request = put("/k", "{\"value\":\"v\"}");
        MockHttpServletResponse response = new MockHttpServletResponse();

        servlet.service(request, response);

        assertThat(request.isAsyncStarted()).isFalse();
        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getHeader("Retry-After")).isEqualTo("3");
        assertThat(JSON.readTree(response.getContentAsString(StandardCharsets.UTF_8)).get("title").asString())
                .isEqualTo("No leader");
    }

    @Test
    void badInputIsRefusedBeforeAnyCommandIsSent() throws Exception {
        MockHttpServletRequest request = put("/" + "k".repeat(KvCommand.MAX_KEY_LENGTH + 1), "{\"value\":\"v\"}");
        MockHttpServletResponse response = new MockHttpServletResponse();

        servlet.service(request, response);

        assertThat(response.getStatus()).isEqualTo(400);
        assertThat(outcome).isNotDone();
        verifyNoInteractions(raft);
    }

    /** Serves the request, which must go asynchronous; its async context. */
    private MockAsyncContext startedAsync(MockHttpServletRequest request, MockHttpServletResponse response)
            throws Exception {
        servlet.service(request, response);
        assertThat(request.isAsyncStarted()).as("waiting for the outcome").isTrue();
        return (MockAsyncContext) request.getAsyncContext();
    }

    private static MockHttpServletRequest put(String pathInfo, String body) {
        MockHttpServletRequest request = new MockHttpServletRequest("PUT", "/kv" + pathInfo);
        request.setServletPath("/kv");
        request.setPathInfo(pathInfo);
        request.setAsyncSupported(true);
        request.setContentType("application/json");
        request.setContent(body.getBytes(StandardCharsets.UTF_8));
        return request;
    }
}
