package io.raftex.demo;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.web.ProblemJson;
import io.raftex.core.CommandFailedException;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.RaftException;
import io.raftex.core.ReadConsistency;
import io.raftex.core.SessionExpiredException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.web.filter.ServerHttpObservationFilter;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The HTTP API of the store, as one asynchronous servlet on {@code /kv/*}:
 *
 * <ul>
 *   <li>{@code PUT /kv/{key}} with {@code {"value":"v"}}: 200 {@code {"key","value","index"}};</li>
 *   <li>{@code GET /kv/{key}?consistency=linearizable|leader|local} (any case, default linearizable): 200
 *   {@code {"key","value","index"}}, index being the log index the value was written at; 404 if absent;</li>
 *   <li>{@code POST /kv/{key}/cas} with {@code {"expected":"a" or null,"value":"b"}}: 200
 *   {@code {"succeeded","value","index"}}, value being the key's value after the command;</li>
 *   <li>{@code DELETE /kv/{key}}: 200 {@code {"key","value","index"}} with the value removed; 404 if absent.</li>
 * </ul>
 *
 * <p>Writes go through the Raft group {@value KvApplication#GROUP} and are answered only once the command is
 * committed and applied on this node; reads are queries at the requested consistency. Every node accepts every
 * request (a follower forwards commands to the leader). Failures are RFC 9457 problem details
 * ({@code application/problem+json}):
 * <ul>
 *   <li>400: a body that is not strict UTF-8 or not a JSON object, a value (or expected value) that is not a JSON
 *   string, a missing value, a bad consistency, a key or value over its limit or holding an unpaired surrogate (no
 *   snapshot could encode it);</li>
 *   <li>404: the key is absent, or the path is not one of the above; 405 (with {@code Allow}) for another method;</li>
 *   <li>408: a body that took longer than {@value #BODY_READ_MILLIS} ms to arrive; 413: a body longer than any
 *   valid request; 415: a body that is not JSON;</li>
 *   <li>503 with {@code Retry-After}: no leader could be reached, or the node is stopping (nothing was applied);
 *   or more requests than {@code kv.max-concurrent-body-reads} are sending their bodies at once (the body is not
 *   read, the connection closed);</li>
 *   <li>504: a command's outcome is not known (its deadline passed, or the node stopped after the command may have
 *   been appended): it may still be applied, at most once; or a read could not reach its consistency in time;</li>
 *   <li>500: the state machine refused a committed command (it changed nothing, on any member).</li>
 * </ul>
 * No 200 is ever sent for a write that was not committed.
 *
 * <p>Why a servlet and not a Spring MVC controller: this is the path every client request of the store takes, and
 * its cost is what the cluster's throughput is made of (docs/benchmarks.md). A controller returning a
 * {@code CompletableFuture} is served twice by the servlet stack (the request, then an asynchronous re-dispatch
 * through the filters, the handler mapping and the message converters to write the answer), which cost about
 * 0.08 ms of CPU per request on the benchmark machine, a third of the leader's whole share. Here the request is
 * read and parsed once, and the completion of the Raft future writes the answer and completes the request.
 * Spring's filters (observations, encoding) still apply; the observation is tagged with this API's URI patterns.
 */
public final class KvServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final Logger log = LoggerFactory.getLogger(KvServlet.class);

    private static final String JSON = "application/json";

    /**
     * The longest body any valid request can have: a compare-and-set with both values at the length limit, every
     * character written as a six-byte JSON escape, plus room for the field names. Longer bodies are refused with
     * 413 without being read to the end.
     */
    static final int MAX_BODY_BYTES = 2 * 6 * KvCommand.MAX_VALUE_LENGTH + 1024;

    /** Default of {@code kv.max-concurrent-body-reads}. */
    static final int DEFAULT_MAX_CONCURRENT_BODY_READS = 32;

    /**
     * The longest a request body may take to arrive once its reading started; a slower one is refused with 408 and
     * its connection closed.
     */
    static final long BODY_READ_MILLIS = 10_000;

    private final transient RaftClient raft;
    /**
     * Bodies are read on container threads, which the peer traffic of Raft needs too: at most this many requests
     * are read at once, so that clients that send their bodies slowly cannot take every thread.
     */
    private final transient Semaphore bodyReads;
    private final int maxBodyReads;
    private final transient ObjectMapper json;
    private final String retryAfterSeconds;
    private final long asyncTimeoutMillis;

    /**
     * @param raft            the client of this node's Raft groups
     * @param json            the application's JSON mapper, for request and answer bodies
     * @param electionTimeout the group's election timeout: 503 answers ask clients to retry after two of them,
     *                        by when a leader is usually known again
     * @param commandTimeout  how long the group gives a command or a read before it fails it; the container waits
     *                        5 s longer, so that the group's own answer (504 or otherwise) is the one sent
     */
    public KvServlet(RaftClient raft, ObjectMapper json, Duration electionTimeout, Duration commandTimeout) {
        this(raft, json, electionTimeout, commandTimeout, DEFAULT_MAX_CONCURRENT_BODY_READS);
    }

    /**
     * As {@link #KvServlet(RaftClient, ObjectMapper, Duration, Duration)}, reading at most
     * {@code maxConcurrentBodyReads} request bodies at once (more are answered 503 without being read).
     */
    public KvServlet(RaftClient raft, ObjectMapper json, Duration electionTimeout, Duration commandTimeout,
                     int maxConcurrentBodyReads) {
        if (maxConcurrentBodyReads < 1) {
            throw new IllegalArgumentException("maxConcurrentBodyReads must be at least 1");
        }
        this.bodyReads = new Semaphore(maxConcurrentBodyReads);
        this.maxBodyReads = maxConcurrentBodyReads;
        this.raft = raft;
        this.json = json;
        this.retryAfterSeconds = Long.toString(Math.max(1, (electionTimeout.multipliedBy(2).toMillis() + 999) / 1000));
        this.asyncTimeoutMillis = commandTimeout.plusSeconds(5).toMillis();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();   // decoded; null for "/kv"
        String[] segments = path == null || path.length() < 2 ? new String[0] : path.substring(1).split("/", -1);
        String method = request.getMethod();
        if (segments.length == 1 && !segments[0].isEmpty()) {
            pattern(request, "/kv/{key}");
            switch (method) {
                case "GET", "HEAD" -> get(segments[0], request, response);
                case "PUT" -> put(segments[0], request, response);
                case "DELETE" -> delete(segments[0], request, response);
                default -> notAllowed(method, "DELETE, GET, HEAD, OPTIONS, PUT", request, response);
            }
        } else if (segments.length == 2 && !segments[0].isEmpty() && segments[1].equals("cas")) {
            pattern(request, "/kv/{key}/cas");
            if (method.equals("POST")) {
                compareAndSet(segments[0], request, response);
            } else {
                notAllowed(method, "OPTIONS, POST", request, response);
            }
        } else {
            ProblemDetail problem = problem(404, "Not found", "no such resource: this API serves /kv/{key}"
                    + " (GET, PUT, DELETE) and /kv/{key}/cas (POST)");
            writeProblem(response, problem, null, request);
        }
    }

    private void put(String key, HttpServletRequest request, HttpServletResponse response) throws IOException {
        PutRequest body = body(request, response, PutRequest.class);
        if (body == null) {
            return;
        }
        Exchange exchange = new Exchange(request, response);
        exchange.answer(() -> {
            KvCommand.Put command = new KvCommand.Put(key, body.value());
            return raft.<KvCommand, KvResult>command(KvApplication.GROUP, command)
                    .thenApply(r -> new KvEntry(key, r.value(), r.index()));
        });
    }

    private void get(String key, HttpServletRequest request, HttpServletResponse response) {
        Exchange exchange = new Exchange(request, response);
        exchange.answer(() -> {
            KvCommand.checkKey(key);
            String consistency = request.getParameter("consistency");
            ReadConsistency level = consistency(consistency == null ? "linearizable" : consistency);
            CompletableFuture<Optional<KvEntry>> read = raft.query(KvApplication.GROUP, KvStateMachine.class,
                    sm -> sm.get(key), level);
            return read.thenApply(entry -> entry.orElseThrow(() -> new KeyNotFoundException(key)));
        });
    }

    private void compareAndSet(String key, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        CasRequest body = body(request, response, CasRequest.class);
        if (body == null) {
            return;
        }
        Exchange exchange = new Exchange(request, response);
        exchange.answer(() -> {
            KvCommand.CompareAndSet command = new KvCommand.CompareAndSet(key, body.expected(), body.value());
            return raft.<KvCommand, KvResult>command(KvApplication.GROUP, command)
                    .thenApply(r -> new CasResponse(r.succeeded(), r.value(), r.index()));
        });
    }

    private void delete(String key, HttpServletRequest request, HttpServletResponse response) {
        Exchange exchange = new Exchange(request, response);
        exchange.answer(() -> raft.<KvCommand, KvResult>command(KvApplication.GROUP, new KvCommand.Delete(key))
                .thenApply(r -> {
                    if (!r.succeeded()) {
                        throw new KeyNotFoundException(key);
                    }
                    return new KvEntry(key, r.value(), r.index());
                }));
    }

    private void notAllowed(String method, String allow, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (method.equals("OPTIONS")) {
            response.setHeader("Allow", allow);
            response.setStatus(200);
            return;
        }
        ProblemDetail problem = problem(405, "Method not allowed", "method " + method + " is not supported"
                + " here; allowed: " + allow);
        writeProblem(response, problem, Map.of("Allow", allow), request);
    }

    /**
     * Reads and parses the JSON body, or answers the request (413, 415 or 400) and returns null.
     */
    private <T> T body(HttpServletRequest request, HttpServletResponse response, Class<T> type) throws IOException {
        String contentType = request.getContentType();
        if (contentType != null && !isJson(contentType)) {
            ProblemDetail problem = problem(415, "Unsupported Media Type", "Content-Type '" + contentType
                    + "' is not supported; send application/json.");
            writeProblem(response, problem, Map.of("Accept", "application/json, application/*+json"),
                    request);
            return null;
        }
        byte[] bytes;
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            bytes = null; // refused before reading
        } else if (!bodyReads.tryAcquire()) {
            ProblemDetail problem = problem(503, "Too many requests sending their bodies", maxBodyReads
                    + " requests are sending their bodies to this node now, the most it reads at once; retry later."
                    + " The request was not carried out.");
            writeProblem(response, problem, Map.of("Retry-After", "1", "Connection", "close"), request);
            return null;
        } else {
            try (InputStream in = request.getInputStream()) {
                bytes = readWithin(in, System.nanoTime() + BODY_READ_MILLIS * 1_000_000);
            } finally {
                bodyReads.release();
            }
            if (bytes == TOO_SLOW) {
                ProblemDetail problem = problem(408, "Request body too slow", "the body did not arrive within "
                        + BODY_READ_MILLIS + " ms");
                writeProblem(response, problem, Map.of("Connection", "close"), request);
                return null;
            }
        }
        if (bytes == null || bytes.length > MAX_BODY_BYTES) {
            ProblemDetail problem = problem(413, "Request body too large", "the body is longer than "
                    + MAX_BODY_BYTES + " bytes, more than any valid request");
            writeProblem(response, problem, Map.of("Connection", "close"), request);
            return null;
        }
        String detail;
        try {
            return parse(bytes, type);
        } catch (CharacterCodingException e) {
            detail = "The request body is not valid UTF-8 (" + e + ").";
        } catch (JacksonException | IllegalArgumentException e) {
            detail = "The request body is missing or is not the JSON this endpoint takes"
                    + (e instanceof IllegalArgumentException ? ": " + e.getMessage() : "") + ".";
        }
        ProblemDetail problem = problem(400, "Malformed request body", detail);
        writeProblem(response, problem, null, request);
        return null;
    }

    /**
     * Decodes the body as strict UTF-8 (no overlong forms, no encoded surrogates, nothing truncated) and reads it as
     * a JSON object whose fields of {@code type} are strings or null: a number, boolean, array or object in their
     * place is refused rather than turned into text.
     */
    private <T> T parse(byte[] bytes, Class<T> type) throws CharacterCodingException {
        String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
        JsonNode tree = text.isEmpty() ? null : json.readTree(text);
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("the body is not a JSON object");
        }
        for (RecordComponent field : type.getRecordComponents()) {
            JsonNode value = tree.get(field.getName());
            if (value != null && !value.isNull() && !value.isString()) {
                throw new IllegalArgumentException("'" + field.getName() + "' is a JSON " + value.getNodeType()
                        .name().toLowerCase(Locale.ROOT) + ", not a string");
            }
        }
        return json.treeToValue(tree, type);
    }

    private static final byte[] TOO_SLOW = new byte[0];

    /** Up to {@code MAX_BODY_BYTES + 1} bytes of the body, or {@link #TOO_SLOW} once {@code deadline} has passed. */
    private static byte[] readWithin(InputStream in, long deadlineNanos) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while (out.size() <= MAX_BODY_BYTES
                && (n = in.read(buffer, 0, Math.min(buffer.length, MAX_BODY_BYTES + 1 - out.size()))) != -1) {
            out.write(buffer, 0, n);
            if (System.nanoTime() - deadlineNanos > 0 && out.size() <= MAX_BODY_BYTES) {
                return TOO_SLOW;
            }
        }
        return out.toByteArray();
    }

    private static boolean isJson(String contentType) {
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return type.equals(JSON) || (type.startsWith("application/") && type.endsWith("+json"));
    }

    /** Names the API's URI pattern in the request's observation, so {@code http.server.requests} is tagged by it. */
    private static void pattern(HttpServletRequest request, String pattern) {
        ServerHttpObservationFilter.findObservationContext(request).ifPresent(c -> c.setPathPattern(pattern));
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
     * One request answered asynchronously: the first of the Raft future's completion and the container's timeout
     * writes the answer and completes the request; anything after that is dropped.
     */
    private final class Exchange implements AsyncListener {

        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private final AtomicBoolean answered = new AtomicBoolean();
        /** Set before the future can complete the exchange; null while it is answered on the request thread. */
        private volatile AsyncContext async;

        Exchange(HttpServletRequest request, HttpServletResponse response) {
            this.request = request;
            this.response = response;
        }

        /** Runs {@code work} (which may throw at once) and answers with its outcome when it completes. */
        void answer(Work work) {
            CompletableFuture<?> future;
            try {
                future = work.start();
            } catch (RuntimeException e) {
                respond(null, e);
                return;
            }
            if (future.isDone()) {   // answered on this thread, without going asynchronous
                Object value = null;
                Throwable failure = null;
                try {
                    value = future.join();
                } catch (CompletionException | CancellationException e) {
                    failure = e;
                }
                respond(value, failure);
                return;
            }
            async = request.startAsync();
            async.setTimeout(asyncTimeoutMillis);
            async.addListener(this);
            future.whenComplete(this::respond);
        }

        private void respond(Object value, Throwable failure) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            try {
                if (failure == null) {
                    write(response, 200, JSON, value, null, request);
                } else {
                    Failure f = failure(unwrap(failure), request);
                    writeProblem(response, f.problem(), f.headers(), request);
                }
            } catch (IOException | RuntimeException e) {
                log.debug("could not answer {} {}: {}", request.getMethod(), request.getRequestURI(), e.toString());
            } finally {
                if (async != null) {
                    async.complete();
                }
            }
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // the container gave up before the group did: answered as the group's own deadline would be
            boolean read = request.getMethod().equals("GET") || request.getMethod().equals("HEAD");
            respond(null, read ? new QueryTimeoutException("the read did not complete in time")
                    : new CommandOutcomeUnknownException("the command was not answered in time"));
        }

        @Override
        public void onError(AsyncEvent event) {
            // the connection failed: nothing can be written; end the request so the container lets go of it
            if (answered.compareAndSet(false, true)) {
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    // already completed by the container
                }
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
    }

    /** The work of one request: starts it, and may throw at once for bad input. */
    @FunctionalInterface
    private interface Work {
        CompletableFuture<?> start();
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private record Failure(ProblemDetail problem, Map<String, String> headers) {
    }

    /** The problem details, status and headers of a failure. */
    private Failure failure(Throwable e, HttpServletRequest request) {
        if (e instanceof KeyNotFoundException missing) {
            ProblemDetail problem = problem(404, "Key not found", e.getMessage());
            problem.setProperty("key", missing.key());
            return new Failure(problem, null);
        }
        if (e instanceof IllegalArgumentException) {
            return new Failure(problem(400, "Bad request", e.getMessage()), null);
        }
        if (e instanceof NoLeaderException || e instanceof GroupStoppedException) {
            String title = e instanceof NoLeaderException ? "No leader" : "Node stopping";
            return new Failure(problem(503, title, e.getMessage() + ". The request was not carried out;"
                    + " retry later."), Map.of("Retry-After", retryAfterSeconds));
        }
        if (e instanceof CommandOutcomeUnknownException || e instanceof SessionExpiredException) {
            return new Failure(problem(504, "Command outcome unknown", e.getMessage() + ". The command was not"
                    + " known to be committed in time; it may still be applied (at most once). Read the key to find"
                    + " out."), null);
        }
        if (e instanceof QueryTimeoutException) {
            return new Failure(problem(504, "Read timed out", e.getMessage() + ". Nothing was changed; retry,"
                    + " or read with a weaker consistency."), null);
        }
        if (e instanceof CommandFailedException) {
            log.warn("the store refused a committed command: {}", e.getMessage());
            return new Failure(problem(500, "Command refused", e.getMessage() + ". The command was committed"
                    + " but changed nothing, on any member."), null);
        }
        if (e instanceof RaftException) {
            log.warn("Raft request failed", e);
            return new Failure(problem(500, "Raft failure", e.getMessage()), null);
        }
        log.error("{} {} failed", request.getMethod(), request.getRequestURI(), e);
        return new Failure(problem(500, "Internal error", "the request failed: " + e), null);
    }

    /**
     * RFC 9457 problem details; {@code type} is left out, which means {@code about:blank}, and {@code instance} is
     * the request's path ({@link #writeProblem}).
     */
    private static ProblemDetail problem(int status, String title, String detail) {
        return ProblemJson.blank(HttpStatusCode.valueOf(status), title, detail);
    }

    /** Answers with {@code problem} ({@link ProblemJson}), and {@code headers} if not null. */
    private static void writeProblem(HttpServletResponse response, ProblemDetail problem, Map<String, String> headers,
                                     HttpServletRequest request) throws IOException {
        if (headers != null) {
            headers.forEach(response::setHeader);
        }
        ProblemJson.write(response, problem, request.getRequestURI(), !request.getMethod().equals("HEAD"));
    }

    private void write(HttpServletResponse response, int status, String contentType, Object body,
                       Map<String, String> headers, HttpServletRequest request) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType(contentType);
        if (headers != null) {
            headers.forEach(response::setHeader);
        }
        response.setContentLength(bytes.length);
        if (!request.getMethod().equals("HEAD")) {
            response.getOutputStream().write(bytes);
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
