package io.raftex.demo;

import io.raftex.autoconfigure.RaftProperties;
import io.raftex.core.CommandFailedException;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.RaftException;
import io.raftex.core.SessionExpiredException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import java.time.Duration;

/**
 * Turns failures of the store's API into RFC 9457 problem details ({@code application/problem+json}):
 *
 * <ul>
 *   <li>400: malformed JSON, a missing value, a bad consistency, a key or value over its limit;</li>
 *   <li>404: the key is absent;</li>
 *   <li>503 with {@code Retry-After}: no leader could be reached, or the node is stopping (nothing was applied);</li>
 *   <li>504: a command's outcome is not known (its deadline passed, or the node stopped after the command may have
 *   been appended): it may still be applied, at most once; or a read could not reach its consistency in time;</li>
 *   <li>500: the state machine refused a committed command (it changed nothing, on any member).</li>
 * </ul>
 */
@RestControllerAdvice(assignableTypes = KvController.class)
public class KvErrorHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(KvErrorHandler.class);

    private final String retryAfterSeconds;

    public KvErrorHandler(RaftProperties raft) {
        // an election takes one to two election timeouts: by then a leader is usually known again
        Duration twoElections = raft.getElectionTimeout().multipliedBy(2);
        this.retryAfterSeconds = Long.toString(Math.max(1, (twoElections.toMillis() + 999) / 1000));
    }

    @ExceptionHandler(KvController.KeyNotFoundException.class)
    ResponseEntity<ProblemDetail> notFound(KvController.KeyNotFoundException e) {
        ProblemDetail problem = problem(HttpStatus.NOT_FOUND, "Key not found", e.getMessage());
        problem.setProperty("key", e.key());
        return respond(problem, new HttpHeaders());
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<ProblemDetail> badRequest(IllegalArgumentException e) {
        return respond(problem(HttpStatus.BAD_REQUEST, "Bad request", e.getMessage()), new HttpHeaders());
    }

    @ExceptionHandler({NoLeaderException.class, GroupStoppedException.class})
    ResponseEntity<ProblemDetail> unavailable(RaftException e) {
        String title = e instanceof NoLeaderException ? "No leader" : "Node stopping";
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, retryAfterSeconds);
        return respond(problem(HttpStatus.SERVICE_UNAVAILABLE, title,
                e.getMessage() + ". The request was not carried out; retry later."), headers);
    }

    @ExceptionHandler({CommandOutcomeUnknownException.class, SessionExpiredException.class})
    ResponseEntity<ProblemDetail> commandOutcomeUnknown(RaftException e) {
        return respond(problem(HttpStatus.GATEWAY_TIMEOUT, "Command outcome unknown",
                e.getMessage() + ". The command was not known to be committed in time; it may still be applied"
                        + " (at most once). Read the key to find out."), new HttpHeaders());
    }

    @ExceptionHandler(QueryTimeoutException.class)
    ResponseEntity<ProblemDetail> readTimedOut(QueryTimeoutException e) {
        return respond(problem(HttpStatus.GATEWAY_TIMEOUT, "Read timed out",
                e.getMessage() + ". Nothing was changed; retry, or read with a weaker consistency."), new HttpHeaders());
    }

    @ExceptionHandler(CommandFailedException.class)
    ResponseEntity<ProblemDetail> refused(CommandFailedException e) {
        log.warn("the store refused a committed command: {}", e.getMessage());
        return respond(problem(HttpStatus.INTERNAL_SERVER_ERROR, "Command refused",
                e.getMessage() + ". The command was committed but changed nothing, on any member."), new HttpHeaders());
    }

    @ExceptionHandler(RaftException.class)
    ResponseEntity<ProblemDetail> raftFailure(RaftException e) {
        log.warn("Raft request failed", e);
        return respond(problem(HttpStatus.INTERNAL_SERVER_ERROR, "Raft failure", e.getMessage()), new HttpHeaders());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
                                                                  HttpHeaders headers, HttpStatusCode status,
                                                                  WebRequest request) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Malformed request body",
                "The request body is missing or is not the JSON this endpoint takes.");
        return handleExceptionInternal(ex, problem, headers, status, request);
    }

    private static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, HttpHeaders headers) {
        return ResponseEntity.status(problem.getStatus()).headers(headers)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
