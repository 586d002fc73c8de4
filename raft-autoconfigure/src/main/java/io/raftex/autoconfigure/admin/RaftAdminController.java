package io.raftex.autoconfigure.admin;

import io.raftex.autoconfigure.MemberRules;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.web.ProblemJson;
import io.raftex.core.CommandOutcomeUnknownException;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.RaftGroup;
import io.raftex.core.UnknownGroupException;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.method.annotation.ExceptionHandlerMethodResolver;
import org.springframework.web.servlet.HandlerMapping;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The admin REST API of docs/contracts.md under {@code /raft/admin/groups}. Every error is an RFC 9457 problem detail
 * ({@code application/problem+json}, {@code type} {@code urn:raftex:problem:<kind>}); an unknown group is 404 and a
 * group that is starting or stopping 503 with {@code Retry-After}.
 *
 * <p>Reads (open unless {@code raft.security.admin-reads-require-token}): {@code GET /raft/admin/groups} (the status
 * of every group on this node, as a JSON array) and {@code GET /raft/admin/groups/{group}} (one group's status,
 * {@link RaftStatusJson}).
 *
 * <p>Writes, which need {@code Authorization: Bearer <raft.security.admin-token>} (401 without a token, 403 with a
 * wrong one or when no admin token is configured; see {@link AdminAccess}):
 * <ul>
 *   <li>{@code POST .../{group}/members} {@code {"id":"n4","url":"http://10.0.0.4:8080","membership":"promotable"}}:
 *       adds a member, or changes the membership of the member with that id and url. {@code membership} is
 *       {@code voter}, {@code promotable} (the default: it replicates without a vote and the leader makes it a
 *       voter once it has caught up) or {@code non-voter}. May be sent to any member: a follower forwards it to the
 *       leader. 200 with the group's status, read on this node once the change is committed here; 400 for a body
 *       that is not such an object, an id or url outside {@link MemberRules}, or another membership; 409 if another
 *       change is not committed yet ({@code change-in-progress}), the id is a member at another url
 *       ({@code membership-conflict}) or another member is at this url ({@code address-in-use}).</li>
 *   <li>{@code DELETE .../{group}/members/{id}}: removes a member, the leader included (it steps down once the
 *       change commits, and the remaining voters elect a leader). 200 with the group's status once committed; 404 if
 *       {@code id} is not a member; 409 if another change is not committed yet, or {@code id} is the last voter.</li>
 *   <li>{@code POST .../{group}/transfer-leadership} {@code {"target":"n2"}}: must be sent to the leader; hands
 *       leadership to the voter {@code target} and answers 200 with the status once it leads. 400 without a target,
 *       404 if the target is not a member, 409 if this node is not the leader ({@code not-leader}, naming the leader
 *       it knows) or the target does not vote ({@code not-a-voter}), 504 if leadership did not pass in time.</li>
 *   <li>{@code POST .../{group}/snapshot}: takes a snapshot now; 200 {@code {group, nodeId, snapshotIndex,
 *       snapshotTerm}} once it is durable, 501 if the state machine takes no snapshots, 409 if nothing is applied
 *       yet, 504 if it is not written within 60 s.</li>
 * </ul>
 * A membership change is waited for up to the command timeout ({@code raft.command-timeout}) and one second more:
 * 503 with {@code Retry-After} if no leader could be reached (the change was not made), 504 if it was not known to be
 * committed in time (it may still take effect: read the status before asking again).
 *
 * <p>A write's token is checked before its body is read, and a refusal closes the connection
 * ({@code Connection: close}) rather than read the body; a body is at most {@value #MAX_BODY_BYTES} bytes (413).
 *
 * <p>Writes answer asynchronously ({@link DeferredResult}): no request thread waits for the group. Refusals and
 * failures are exceptions, answered by this controller's own {@code @ExceptionHandler} methods (they apply to no other
 * controller) as {@link ProblemDetail}s; bodies are written with a private JSON mapper ({@link ProblemJson} for
 * problems), so the application's Jackson settings cannot change field names.
 */
@RestController
public final class RaftAdminController {

    /** Base path of the admin API. */
    public static final String BASE = "/raft/admin/groups";

    private static final Logger log = LoggerFactory.getLogger(RaftAdminController.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The longest admin request body: far more than any valid one (a member is an id, a URL and a word). */
    static final int MAX_BODY_BYTES = 16 * 1024;
    /** How long POST .../snapshot waits for the snapshot to be written before it answers 504. */
    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(60);
    /**
     * How much longer than its own wait the container keeps an asynchronous write open: the wait's own 504 comes
     * first, the container's timeout only if the answer cannot be written at all.
     */
    private static final Duration CONTAINER_MARGIN = Duration.ofSeconds(5);
    /** The spellings {@code membership} takes, as {@link RaftStatusJson} prints them. */
    private static final List<String> MEMBERSHIPS = Arrays.stream(Membership.values())
            .map(RaftStatusJson::membership).toList();
    /** This controller's {@code @ExceptionHandler} methods, to tell which failures they answer. */
    private static final ExceptionHandlerMethodResolver HANDLERS =
            new ExceptionHandlerMethodResolver(RaftAdminController.class);

    private final RaftNodeLifecycle lifecycle;
    private final AdminAccess access;
    /**
     * The node's command timeout: the longest a leadership transfer is waited for (the leader gives up sooner, after
     * an election timeout), and, one second less than the wait, when the core fails a membership change.
     */
    private final Duration commandTimeout;

    /**
     * @param commandTimeout the node's command timeout ({@code raft.command-timeout}): how long a leadership
     *                       transfer is waited for, and (one second more) a membership change
     */
    public RaftAdminController(RaftNodeLifecycle lifecycle, AdminAccess access, Duration commandTimeout) {
        this.lifecycle = lifecycle;
        this.access = access;
        this.commandTimeout = commandTimeout;
    }

    @GetMapping(BASE)
    public CompletableFuture<ResponseEntity<byte[]>> groups(
            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        allow(access.read(authorization));
        List<CompletableFuture<GroupStatus>> statuses = new ArrayList<>();
        for (String name : lifecycle.groupNames()) {
            CompletableFuture<GroupStatus> status;
            try {
                status = lifecycle.group(name).statusAsync();
            } catch (UnknownGroupException | GroupStoppedException e) {
                continue; // stopped between listing and reading: leave it out
            }
            statuses.add(status.exceptionally(e -> null));
        }
        return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new))
                .thenApplyAsync(done -> json(statuses.stream().map(s -> s.getNow(null)).filter(Objects::nonNull)
                        .map(RaftStatusJson::of).toList()));
    }

    @GetMapping(BASE + "/{group}")
    public CompletableFuture<ResponseEntity<byte[]>> group(
            @PathVariable("group") String group,
            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        allow(access.read(authorization));
        return lifecycle.group(group).statusAsync().thenApplyAsync(status -> json(RaftStatusJson.of(status)));
    }

    @PostMapping(BASE + "/{group}/transfer-leadership")
    public DeferredResult<ResponseEntity<byte[]>> transferLeadership(
            @PathVariable("group") String group,
            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization,
            HttpServletRequest request) {
        allow(access.write(authorization));
        byte[] body = readBody(request);
        RaftGroup<?, ?> g = lifecycle.group(group);
        String target = target(body);
        CompletableFuture<GroupStatus> transferred = g.statusAsync().thenComposeAsync(status -> {
            if (status.members().stream().noneMatch(m -> m.id().equals(target))) {
                throw new Refusal(HttpStatus.NOT_FOUND, "unknown-member", "Unknown member",
                        "group '" + g.name() + "' has no member '" + target + "'");
            }
            if (!status.isLeader()) {
                throw notLeader("member " + status.nodeId() + " of group '" + g.name() + "' is not the leader; send"
                        + " this to the leader (" + status.leaderId().orElse("none known") + ")");
            }
            return g.transferLeadership(MemberId.of(target)).thenCompose(done -> g.statusAsync());
        });
        return answer(transferred, commandTimeout, status -> {
            try (MDC.MDCCloseable mdcGroup = MDC.putCloseable("raft.group", g.name());
                 MDC.MDCCloseable mdcNode = MDC.putCloseable("raft.node", status.nodeId())) {
                log.info("[{}@{}] leadership transferred to {} in term {} through the admin API", g.name(),
                        status.nodeId(), target, g.metrics().term());
            }
            return json(RaftStatusJson.of(status));
        }, failure -> transferFailure(g, target, failure));
    }

    /** Why a leadership transfer failed, as the problem to answer (or the exception a handler answers). */
    private static RuntimeException transferFailure(RaftGroup<?, ?> g, String target, Throwable cause) {
        if (cause instanceof TimeoutException || cause instanceof CommandTimeoutException) {
            return new Refusal(HttpStatus.GATEWAY_TIMEOUT, "timeout", "Leadership transfer timed out",
                    "leadership of group '" + g.name() + "' did not pass to " + target + " in time");
        }
        if (cause instanceof MembershipChangeException m && m.reason() == MembershipChangeException.Reason.CONFLICT) {
            return new Refusal(HttpStatus.CONFLICT, "not-a-voter", "Target does not vote", m.getMessage());
        }
        if (cause instanceof IllegalStateException) {
            return notLeader(cause.getMessage());
        }
        return handledOr(cause, () -> {
            log.warn("leadership transfer of group {} to {} failed", g.name(), target, cause);
            return new Refusal(HttpStatus.INTERNAL_SERVER_ERROR, "transfer-failed", "Leadership transfer failed",
                    String.valueOf(cause.getMessage()));
        });
    }

    private static Refusal notLeader(String detail) {
        return new Refusal(HttpStatus.CONFLICT, "not-leader", "Not the leader", detail);
    }

    /** The {@code target} of a transfer's body, or a 400. */
    private static String target(byte[] body) {
        String target;
        try {
            JsonNode node = body.length == 0 ? null : JSON.readTree(body);
            JsonNode t = node == null ? null : node.get("target");
            target = t == null || !t.isString() ? null : t.asString();
        } catch (RuntimeException e) {
            target = null;
        }
        if (target == null || target.isBlank()) {
            throw malformed("the body must be a JSON object with a string field 'target' (a member id)");
        }
        return target;
    }

    /** Takes a snapshot and answers {@code {group, nodeId, snapshotIndex, snapshotTerm}} once it is durable. */
    @PostMapping(BASE + "/{group}/snapshot")
    public DeferredResult<ResponseEntity<byte[]>> snapshot(
            @PathVariable("group") String group,
            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        allow(access.write(authorization));
        RaftGroup<?, ?> g = lifecycle.group(group);
        return answer(g.snapshot(), SNAPSHOT_TIMEOUT, meta -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("group", g.name());
            body.put("nodeId", g.self().value());
            body.put("snapshotIndex", meta.index());
            body.put("snapshotTerm", meta.term());
            return json(body);
        }, failure -> snapshotFailure(g, failure));
    }

    private static RuntimeException snapshotFailure(RaftGroup<?, ?> g, Throwable cause) {
        if (cause instanceof TimeoutException) {
            return new Refusal(HttpStatus.GATEWAY_TIMEOUT, "timeout", "Snapshot timed out", "the snapshot of group '"
                    + g.name() + "' was not written within " + SNAPSHOT_TIMEOUT.toMillis() + " ms; it may still be"
                    + " written");
        }
        if (cause instanceof UnsupportedOperationException) {
            return new Refusal(HttpStatus.NOT_IMPLEMENTED, "snapshots-unsupported", "Snapshots not supported",
                    String.valueOf(cause.getMessage()));
        }
        if (cause instanceof IllegalStateException) {
            return new Refusal(HttpStatus.CONFLICT, "nothing-to-snapshot", "Nothing to snapshot",
                    String.valueOf(cause.getMessage()));
        }
        return handledOr(cause, () -> {
            log.warn("snapshot of group {} failed", g.name(), cause);
            return new Refusal(HttpStatus.INTERNAL_SERVER_ERROR, "snapshot-failed", "Snapshot failed",
                    String.valueOf(cause.getMessage()));
        });
    }

    @PostMapping(BASE + "/{group}/members")
    public DeferredResult<ResponseEntity<byte[]>> addMember(
            @PathVariable("group") String group,
            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization,
            HttpServletRequest request) {
        allow(access.write(authorization));
        byte[] body = readBody(request);
        RaftGroup<?, ?> g = lifecycle.group(group);
        Member member = parseMember(body);
        String what = "add " + member.id() + " at " + member.address() + " as "
                + RaftStatusJson.membership(member.membership());
        return change(g, what, g.statusAsync().thenComposeAsync(status -> {
            String sharing = sharesAddress(status, member);
            if (sharing != null) {
                throw new Refusal(HttpStatus.CONFLICT, "address-in-use", "Address in use", "member '" + sharing
                        + "' of group '" + g.name() + "' is reached at " + MemberRules.redact(member.address())
                        + " already: two members at one address would take each other's place; remove it first");
            }
            return g.addMember(member);
        }));
    }

    @DeleteMapping(BASE + "/{group}/members/{id}")
    public DeferredResult<ResponseEntity<byte[]>> removeMember(
            @PathVariable("group") String group, @PathVariable("id") String id,
            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        allow(access.write(authorization));
        RaftGroup<?, ?> g = lifecycle.group(group);
        Optional<String> invalid = MemberRules.idProblem(id);
        if (invalid.isPresent()) {
            throw malformed("not a member id: " + invalid.get());
        }
        MemberId member = MemberId.of(id);
        return change(g, "remove " + member, g.removeMember(member));
    }

    /** The member a {@code POST .../members} body asks for, or a 400 saying why the body is refused. */
    private static Member parseMember(byte[] body) {
        String shape = "the body must be a JSON object {\"id\":\"n4\",\"url\":\"http://10.0.0.4:8080\","
                + "\"membership\":\"promotable\"} (membership one of " + MEMBERSHIPS + ", default promotable)";
        JsonNode node;
        try {
            node = body.length == 0 ? null : JSON.readTree(body);
        } catch (RuntimeException e) {
            throw malformed("the body is not JSON; " + shape);
        }
        if (node == null || !node.isObject()) {
            throw malformed(shape);
        }
        JsonNode id = node.get("id");
        if (id == null || !id.isString() || id.asString().isBlank()) {
            throw malformed("'id' is missing or blank; " + shape);
        }
        Optional<String> invalidId = MemberRules.idProblem(id.asString());
        if (invalidId.isPresent()) {
            throw malformed("'id' is not a member id: " + invalidId.get());
        }
        MemberId memberId = MemberId.of(id.asString());
        JsonNode url = node.get("url");
        if (url == null || !url.isString() || url.asString().isBlank()) {
            throw malformed("'url' is missing or blank; " + shape);
        }
        String address;
        try {
            address = MemberRules.baseUrl(url.asString());
        } catch (IllegalArgumentException e) {
            throw malformed("'url' " + e.getMessage());
        }
        JsonNode kind = node.get("membership");
        Membership membership = Membership.PROMOTABLE;
        if (kind != null && !kind.isNull()) {
            int i = kind.isString() ? MEMBERSHIPS.indexOf(kind.asString()) : -1;
            if (i < 0) {
                throw malformed("'membership' is " + kind + "; it must be one of " + MEMBERSHIPS
                        + " (or left out for promotable)");
            }
            membership = Membership.values()[i];
        }
        return new Member(memberId, address, membership);
    }

    /**
     * The id of another member already reached at {@code member}'s address, or null. Checked against the status this
     * node knows, so a change racing another one may slip past it; the transport then keeps one link per address.
     */
    private static String sharesAddress(GroupStatus status, Member member) {
        for (GroupStatus.MemberInfo m : status.members()) {
            if (!m.id().equals(member.id().value()) && m.address().equalsIgnoreCase(member.address())) {
                return m.id();
            }
        }
        return null;
    }

    /**
     * The request body, read only once the token has been checked; a 413 if it is longer than
     * {@link #MAX_BODY_BYTES} (declared or sent): nothing past the bound is read.
     */
    private static byte[] readBody(HttpServletRequest request) {
        if (request.getContentLengthLong() <= MAX_BODY_BYTES) {
            try {
                byte[] body = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
                if (body.length <= MAX_BODY_BYTES) {
                    return body;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading an admin request body failed", e);
            }
        }
        throw new Refusal(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Request body too large",
                "an admin request body is at most " + MAX_BODY_BYTES + " bytes")
                .header(HttpHeaders.CONNECTION, "close");
    }

    /** Answers a membership change with the group's status once it is committed. */
    private DeferredResult<ResponseEntity<byte[]>> change(RaftGroup<?, ?> g, String what,
                                                          CompletableFuture<?> future) {
        Duration wait = commandTimeout.plusSeconds(1); // the core gives up after the command timeout: let it say so
        return answer(future.thenCompose(config -> g.statusAsync()), wait, status -> {
            try (MDC.MDCCloseable group = MDC.putCloseable("raft.group", g.name());
                 MDC.MDCCloseable node = MDC.putCloseable("raft.node", status.nodeId())) {
                log.info("[{}@{}] membership change through the admin API committed: {}; members {}", g.name(),
                        status.nodeId(), what, status.members().stream().map(m -> m.id() + "="
                                + RaftStatusJson.membership(m.membership())).toList());
            }
            return json(RaftStatusJson.of(status));
        }, failure -> changeFailure(g, what, wait, failure));
    }

    private RuntimeException changeFailure(RaftGroup<?, ?> g, String what, Duration wait, Throwable cause) {
        if (cause instanceof TimeoutException || cause instanceof CommandOutcomeUnknownException) {
            Duration waited = cause instanceof TimeoutException ? wait : commandTimeout;
            return new Refusal(HttpStatus.GATEWAY_TIMEOUT, "timeout", "Membership change timed out", "the"
                    + " membership change of group '" + g.name() + "' (" + what + ") was not known to be committed"
                    + " within " + waited.toMillis() + " ms; it may still take effect: read the group's status"
                    + " before asking again");
        }
        return handledOr(cause, () -> {
            log.warn("membership change of group {} ({}) failed", g.name(), what, cause);
            return new Refusal(HttpStatus.INTERNAL_SERVER_ERROR, "change-failed", "Membership change failed",
                    String.valueOf(cause.getMessage()));
        });
    }

    /**
     * The answer to an asynchronous write: {@code onDone} of the future's value, or the exception
     * {@code onFailure} makes of its failure (a {@link TimeoutException} once {@code wait} has passed), for the
     * exception handlers below to answer. The future itself is left as it is. Futures of a group may complete on
     * its thread: what follows them here runs on the common pool ({@code *Async}), never on a group thread.
     */
    private static <T> DeferredResult<ResponseEntity<byte[]>> answer(
            CompletableFuture<T> future, Duration wait, Function<T, ResponseEntity<byte[]>> onDone,
            Function<Throwable, RuntimeException> onFailure) {
        DeferredResult<ResponseEntity<byte[]>> result = new DeferredResult<>(wait.plus(CONTAINER_MARGIN).toMillis());
        result.onTimeout(() -> result.setErrorResult(onFailure.apply(new TimeoutException())));
        future.copy().orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync((value, failure) -> {
            if (failure != null) {
                result.setErrorResult(onFailure.apply(unwrap(failure)));
                return;
            }
            try {
                result.setResult(onDone.apply(value));
            } catch (RuntimeException e) {
                result.setErrorResult(onFailure.apply(e));
            }
        });
        return result;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * {@code cause} itself if one of the exception handlers below answers it (a refusal, or a failure every
     * operation answers alike); otherwise {@code otherwise}'s problem.
     */
    private static RuntimeException handledOr(Throwable cause, Supplier<RuntimeException> otherwise) {
        return cause instanceof RuntimeException e && HANDLERS.resolveMethodByExceptionType(e.getClass()) != null
                ? e : otherwise.get();
    }

    /** Refuses the request unless {@code verdict} allows it; a refused request's body is not read. */
    private static void allow(AdminAccess.Verdict verdict) {
        switch (verdict) {
            case ALLOWED:
                return;
            case MISSING:
                throw new Refusal(HttpStatus.UNAUTHORIZED, "unauthorized", "Missing admin token",
                        "this operation needs 'Authorization: Bearer <raft.security.admin-token>'")
                        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"raft-admin\"")
                        .header(HttpHeaders.CONNECTION, "close");
            case WRONG:
                throw new Refusal(HttpStatus.FORBIDDEN, "forbidden", "Wrong admin token",
                        "the bearer token is not raft.security.admin-token").header(HttpHeaders.CONNECTION, "close");
            case LACKS_ROLE:
                throw new Refusal(HttpStatus.FORBIDDEN, "forbidden", "Missing admin role",
                        "the authenticated principal does not have the admin role (raft.security.spring-security"
                                + ".admin-role) and no admin token was presented")
                        .header(HttpHeaders.CONNECTION, "close");
            default:
                throw new Refusal(HttpStatus.FORBIDDEN, "admin-disabled", "Admin operations disabled",
                        "raft.security.admin-token is not set on this node, so this operation is refused")
                        .header(HttpHeaders.CONNECTION, "close");
        }
    }

    private static Refusal malformed(String detail) {
        return new Refusal(HttpStatus.BAD_REQUEST, "malformed", "Malformed request", detail);
    }

    // ---- exception handlers: they answer this controller's requests only

    /** A refusal or failure this controller made into a problem, with the headers it carries. */
    @ExceptionHandler(ErrorResponseException.class)
    ResponseEntity<byte[]> refused(ErrorResponseException e, HttpServletRequest request) {
        return problem(e.getBody(), e.getHeaders(), request);
    }

    @ExceptionHandler(UnknownGroupException.class)
    ResponseEntity<byte[]> unknownGroup(UnknownGroupException e, HttpServletRequest request) {
        return problem(ProblemJson.of(HttpStatus.NOT_FOUND, "unknown-group", "Unknown group",
                "this node runs no group '" + groupOf(request) + "'"), HttpHeaders.EMPTY, request);
    }

    /** The group is starting or stopping: 503, retry. */
    @ExceptionHandler(GroupStoppedException.class)
    ResponseEntity<byte[]> notRunning(GroupStoppedException e, HttpServletRequest request) {
        return problem(ProblemJson.of(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Group not running",
                "group '" + groupOf(request) + "' is not running on this node (it is starting or stopping)"),
                retryAfter(), request);
    }

    /** No leader could be reached, so the change was not made: 503, retry. */
    @ExceptionHandler(NoLeaderException.class)
    ResponseEntity<byte[]> noLeader(NoLeaderException e, HttpServletRequest request) {
        return problem(ProblemJson.of(HttpStatus.SERVICE_UNAVAILABLE, "no-leader", "No leader",
                e.getMessage() + "; the change was not made, retry later"), retryAfter(), request);
    }

    /** 404 for an unknown member, 409 for a change in progress or a conflicting one. */
    @ExceptionHandler(MembershipChangeException.class)
    ResponseEntity<byte[]> refusedChange(MembershipChangeException e, HttpServletRequest request) {
        ProblemDetail problem = switch (e.reason()) {
            case UNKNOWN_MEMBER -> ProblemJson.of(HttpStatus.NOT_FOUND, "unknown-member", "Unknown member",
                    e.getMessage());
            case IN_PROGRESS -> ProblemJson.of(HttpStatus.CONFLICT, "change-in-progress",
                    "Membership change in progress", e.getMessage());
            case CONFLICT -> ProblemJson.of(HttpStatus.CONFLICT, "membership-conflict",
                    "Conflicting membership change", e.getMessage());
        };
        return problem(problem, HttpHeaders.EMPTY, request);
    }

    private static HttpHeaders retryAfter() {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "1");
        return headers;
    }

    /** The {@code {group}} of the request's path. */
    private static String groupOf(HttpServletRequest request) {
        Object variables = request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
        Object group = variables instanceof Map<?, ?> map ? map.get("group") : null;
        return group == null ? "?" : group.toString();
    }

    private static ResponseEntity<byte[]> problem(ProblemDetail problem, HttpHeaders headers,
                                                  HttpServletRequest request) {
        return ResponseEntity.status(problem.getStatus()).headers(headers)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(ProblemJson.bytes(problem, request.getRequestURI()));
    }

    private static ResponseEntity<byte[]> json(Object body) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(JSON.writeValueAsBytes(body));
    }

    /** A refused admin request: its problem ({@code urn:raftex:problem:<kind>}) and the headers to answer with. */
    static final class Refusal extends ErrorResponseException {

        Refusal(HttpStatus status, String kind, String title, String detail) {
            super(status, ProblemJson.of(status, kind, title, detail), null);
        }

        Refusal header(String name, String value) {
            getHeaders().add(name, value);
            return this;
        }
    }
}
