package io.raftex.autoconfigure.web;

import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.QueryTimeoutException;
import io.raftex.core.RaftException;
import io.raftex.core.SessionExpiredException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import java.time.Duration;

/**
 * Answers the RaftEx exceptions that an MVC handler lets out (thrown, or completing its {@code CompletableFuture})
 * with RFC 9457 problem details instead of a bare 500:
 * <ul>
 *   <li>{@link NoLeaderException}, {@link GroupStoppedException}: 503 with {@code Retry-After}; the request was not
 *       carried out, retry;</li>
 *   <li>{@link CommandOutcomeUnknownException} (its {@code CommandTimeoutException} included),
 *       {@link SessionExpiredException}: 504, the command may still be applied (at most once);</li>
 *   <li>{@link QueryTimeoutException}: 504, nothing changed.</li>
 * </ul>
 * Other exceptions, {@code CommandFailedException} among them, are left to the application. It runs last
 * ({@link Ordered#LOWEST_PRECEDENCE}), so an application's own {@code @ExceptionHandler} for these types wins; a bean
 * of this type replaces it.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class RaftExceptionHandler {

    private final String retryAfterSeconds;

    /** @param retryAfter how long a client should wait before retrying after a 503, rounded up to whole seconds */
    public RaftExceptionHandler(Duration retryAfter) {
        long millis = Math.max(1, retryAfter.toMillis());
        this.retryAfterSeconds = Long.toString((millis + 999) / 1000);
    }

    /** No leader, or the node is stopping: nothing was applied, the client may retry. */
    @ExceptionHandler({NoLeaderException.class, GroupStoppedException.class})
    public ResponseEntity<ProblemDetail> notCarriedOut(RaftException e) {
        String title = e instanceof NoLeaderException ? "No leader" : "Node stopping";
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, retryAfterSeconds)
                .body(problem(HttpStatus.SERVICE_UNAVAILABLE, title,
                        e.getMessage() + ". The request was not carried out; retry later."));
    }

    /** The command's outcome is not known: it may still apply, at most once. */
    @ExceptionHandler({CommandOutcomeUnknownException.class, SessionExpiredException.class})
    public ResponseEntity<ProblemDetail> outcomeUnknown(RaftException e) {
        return ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT).body(problem(HttpStatus.GATEWAY_TIMEOUT,
                "Command outcome unknown", e.getMessage() + ". The command may still be applied (at most once); "
                        + "read the state to find out."));
    }

    /** A read did not reach its consistency in time: nothing changed. */
    @ExceptionHandler(QueryTimeoutException.class)
    public ResponseEntity<ProblemDetail> readTimedOut(QueryTimeoutException e) {
        return ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT).body(problem(HttpStatus.GATEWAY_TIMEOUT,
                "Read timed out", e.getMessage() + ". Nothing was changed; retry."));
    }

    private static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }
}
