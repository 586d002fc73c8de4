package io.raftex.autoconfigure.admin;

import io.raftex.autoconfigure.MemberRules;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.ClusterConfig;
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
import io.raftex.core.snapshot.SnapshotMeta;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
 * <p>Bodies are written with a private JSON mapper, so the application's Jackson settings cannot change field names.
 */
@RestController
public final class RaftAdminController {

    /** Base path of the admin API. */
    public static final String BASE = "/raft/admin/groups";

    private static final Logger log = LoggerFactory.getLogger(RaftAdminController.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PROBLEM_BASE = "urn:raftex:problem:";
    /** The longest admin request body: far more than any valid one (a member is an id, a URL and a word). */
    static final int MAX_BODY_BYTES = 16 * 1024;
    /** How long POST .../snapshot waits for the snapshot to be written before it answers 504. */
    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(60);
    /** The spellings {@code membership} takes, as {@link RaftStatusJson} prints them. */
    private static final List<String> MEMBERSHIPS = Arrays.stream(Membership.values())
            .map(RaftStatusJson::membership).toList();

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
    public ResponseEntity<byte[]> groups(@RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false)
                                         String authorization, HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.read(authorization), request);
        if (refused != null) {
            return refused;
        }
        List<Map<String, Object>> all = new ArrayList<>();
        for (String name : lifecycle.groupNames()) {
            try {
                all.add(RaftStatusJson.of(lifecycle.group(name).status()));
            } catch (UnknownGroupException | GroupStoppedException e) {
                // stopped between listing and reading: leave it out
            }
        }
        return json(HttpStatus.OK, all);
    }

    @GetMapping(BASE + "/{group}")
    public ResponseEntity<byte[]> group(@PathVariable("group") String group,
                                        @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false)
                                        String authorization, HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.read(authorization), request);
        if (refused != null) {
            return refused;
        }
        return withGroup(group, request, g -> json(HttpStatus.OK, RaftStatusJson.of(g.status())));
    }

    @PostMapping(BASE + "/{group}/transfer-leadership")
    public ResponseEntity<byte[]> transferLeadership(@PathVariable("group") String group,
                                                     @RequestHeader(value = HttpHeaders.AUTHORIZATION,
                                                             required = false) String authorization,
                                                     HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.write(authorization), request);
        if (refused != null) {
            return refused;
        }
        byte[] body = readBody(request);
        if (body == null) {
            return tooLarge(request);
        }
        return withGroup(group, request, g -> transfer(g, body, request));
    }

    @PostMapping(BASE + "/{group}/snapshot")
    public ResponseEntity<byte[]> snapshot(@PathVariable("group") String group,
                                           @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false)
                                           String authorization, HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.write(authorization), request);
        if (refused != null) {
            return refused;
        }
        return withGroup(group, request, g -> takeSnapshot(g, request));
    }

    /** Takes a snapshot and answers {@code {group, nodeId, snapshotIndex, snapshotTerm}} once it is durable. */
    private ResponseEntity<byte[]> takeSnapshot(RaftGroup<?, ?> g, HttpServletRequest request) {
        SnapshotMeta meta;
        try {
            meta = g.snapshot().get(SNAPSHOT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return problem(HttpStatus.SERVICE_UNAVAILABLE, "interrupted", "Interrupted", "interrupted", request);
        } catch (TimeoutException e) {
            return problem(HttpStatus.GATEWAY_TIMEOUT, "timeout", "Snapshot timed out", "the snapshot of group '"
                    + g.name() + "' was not written within " + SNAPSHOT_TIMEOUT.toMillis() + " ms; it may still be"
                    + " written", request);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof UnsupportedOperationException) {
                return problem(HttpStatus.NOT_IMPLEMENTED, "snapshots-unsupported", "Snapshots not supported",
                        String.valueOf(cause.getMessage()), request);
            }
            if (cause instanceof IllegalStateException) {
                return problem(HttpStatus.CONFLICT, "nothing-to-snapshot", "Nothing to snapshot",
                        String.valueOf(cause.getMessage()), request);
            }
            if (cause instanceof GroupStoppedException) {
                return notRunning(g.name(), request);
            }
            log.warn("snapshot of group {} failed", g.name(), cause);
            return problem(HttpStatus.INTERNAL_SERVER_ERROR, "snapshot-failed", "Snapshot failed",
                    String.valueOf(cause.getMessage()), request);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("group", g.name());
        body.put("nodeId", g.self().value());
        body.put("snapshotIndex", meta.index());
        body.put("snapshotTerm", meta.term());
        return json(HttpStatus.OK, body);
    }

    @PostMapping(BASE + "/{group}/members")
    public ResponseEntity<byte[]> addMember(@PathVariable("group") String group,
                                            @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false)
                                            String authorization,
                                            HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.write(authorization), request);
        if (refused != null) {
            return refused;
        }
        byte[] body = readBody(request);
        if (body == null) {
            return tooLarge(request);
        }
        return withGroup(group, request, g -> {
            Object parsed = parseMember(body);
            if (parsed instanceof String problem) {
                return problem(HttpStatus.BAD_REQUEST, "malformed", "Malformed request", problem, request);
            }
            Member member = (Member) parsed;
            String sharing = sharesAddress(g.status(), member);
            if (sharing != null) {
                return problem(HttpStatus.CONFLICT, "address-in-use", "Address in use", "member '" + sharing
                        + "' of group '" + g.name() + "' is reached at " + MemberRules.redact(member.address())
                        + " already: two members at one address would take each other's place; remove it first",
                        request);
            }
            return change(g, "add " + member.id() + " at " + member.address() + " as "
                    + RaftStatusJson.membership(member.membership()), g.addMember(member), request);
        });
    }

    @DeleteMapping(BASE + "/{group}/members/{id}")
    public ResponseEntity<byte[]> removeMember(@PathVariable("group") String group, @PathVariable("id") String id,
                                               @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false)
                                               String authorization, HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.write(authorization), request);
        if (refused != null) {
            return refused;
        }
        return withGroup(group, request, g -> {
            Optional<String> invalid = MemberRules.idProblem(id);
            if (invalid.isPresent()) {
                return problem(HttpStatus.BAD_REQUEST, "malformed", "Malformed request",
                        "not a member id: " + invalid.get(), request);
            }
            MemberId member = MemberId.of(id);
            return change(g, "remove " + member, g.removeMember(member), request);
        });
    }

    /** The member a {@code POST .../members} body asks for, or (as a String) why the body is refused. */
    private static Object parseMember(byte[] body) {
        String shape = "the body must be a JSON object {\"id\":\"n4\",\"url\":\"http://10.0.0.4:8080\","
                + "\"membership\":\"promotable\"} (membership one of " + MEMBERSHIPS + ", default promotable)";
        JsonNode node;
        try {
            node = body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (RuntimeException e) {
            return "the body is not JSON; " + shape;
        }
        if (node == null || !node.isObject()) {
            return shape;
        }
        JsonNode id = node.get("id");
        if (id == null || !id.isString() || id.asString().isBlank()) {
            return "'id' is missing or blank; " + shape;
        }
        Optional<String> invalidId = MemberRules.idProblem(id.asString());
        if (invalidId.isPresent()) {
            return "'id' is not a member id: " + invalidId.get();
        }
        MemberId memberId = MemberId.of(id.asString());
        JsonNode url = node.get("url");
        if (url == null || !url.isString() || url.asString().isBlank()) {
            return "'url' is missing or blank; " + shape;
        }
        String address;
        try {
            address = MemberRules.baseUrl(url.asString());
        } catch (IllegalArgumentException e) {
            return "'url' " + e.getMessage();
        }
        JsonNode kind = node.get("membership");
        Membership membership = Membership.PROMOTABLE;
        if (kind != null && !kind.isNull()) {
            int i = kind.isString() ? MEMBERSHIPS.indexOf(kind.asString()) : -1;
            if (i < 0) {
                return "'membership' is " + kind + "; it must be one of " + MEMBERSHIPS
                        + " (or left out for promotable)";
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
     * The request body, read only once the token has been checked, or null if it is longer than
     * {@link #MAX_BODY_BYTES} (declared or sent): nothing past the bound is read.
     */
    private static byte[] readBody(HttpServletRequest request) {
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            return null;
        }
        try {
            byte[] body = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
            return body.length > MAX_BODY_BYTES ? null : body;
        } catch (IOException e) {
            throw new UncheckedIOException("reading an admin request body failed", e);
        }
    }

    private static ResponseEntity<byte[]> tooLarge(HttpServletRequest request) {
        ResponseEntity<byte[]> r = problem(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Request body too large",
                "an admin request body is at most " + MAX_BODY_BYTES + " bytes", request);
        return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                .header(HttpHeaders.CONNECTION, "close").body(r.getBody());
    }

    /** Waits for a membership change and answers with the group's status once it is committed. */
    private ResponseEntity<byte[]> change(RaftGroup<?, ?> g, String what, CompletableFuture<ClusterConfig> future,
                                          HttpServletRequest request) {
        Duration wait = commandTimeout.plusSeconds(1); // the core gives up after the command timeout: let it say so
        try {
            future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return problem(HttpStatus.SERVICE_UNAVAILABLE, "interrupted", "Interrupted", "interrupted", request);
        } catch (TimeoutException e) {
            return changeTimedOut(g, what, wait, request);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof MembershipChangeException m) {
                return refusedChange(m, request);
            }
            if (cause instanceof NoLeaderException) {
                return withRetryAfter(problem(HttpStatus.SERVICE_UNAVAILABLE, "no-leader", "No leader",
                        String.valueOf(cause.getMessage()) + "; the change was not made, retry later", request));
            }
            if (cause instanceof CommandOutcomeUnknownException) {
                return changeTimedOut(g, what, commandTimeout, request);
            }
            if (cause instanceof GroupStoppedException) {
                return notRunning(g.name(), request);
            }
            log.warn("membership change of group {} ({}) failed", g.name(), what, cause);
            return problem(HttpStatus.INTERNAL_SERVER_ERROR, "change-failed", "Membership change failed",
                    String.valueOf(cause.getMessage()), request);
        }
        GroupStatus status = g.status();
        try (MDC.MDCCloseable group = MDC.putCloseable("raft.group", g.name());
             MDC.MDCCloseable node = MDC.putCloseable("raft.node", status.nodeId())) {
            log.info("[{}@{}] membership change through the admin API committed: {}; members {}", g.name(),
                    status.nodeId(), what, status.members().stream().map(m -> m.id() + "="
                            + RaftStatusJson.membership(m.membership())).toList());
        }
        return json(HttpStatus.OK, RaftStatusJson.of(status));
    }

    private ResponseEntity<byte[]> changeTimedOut(RaftGroup<?, ?> g, String what, Duration waited,
                                                  HttpServletRequest request) {
        return problem(HttpStatus.GATEWAY_TIMEOUT, "timeout", "Membership change timed out", "the membership change"
                + " of group '" + g.name() + "' (" + what + ") was not known to be committed within "
                + waited.toMillis() + " ms; it may still take effect: read the group's status before asking again",
                request);
    }

    /** 404 for an unknown member, 409 for a change in progress or a conflicting one. */
    private static ResponseEntity<byte[]> refusedChange(MembershipChangeException e, HttpServletRequest request) {
        return switch (e.reason()) {
            case UNKNOWN_MEMBER -> problem(HttpStatus.NOT_FOUND, "unknown-member", "Unknown member", e.getMessage(),
                    request);
            case IN_PROGRESS -> problem(HttpStatus.CONFLICT, "change-in-progress", "Membership change in progress",
                    e.getMessage(), request);
            case CONFLICT -> problem(HttpStatus.CONFLICT, "membership-conflict", "Conflicting membership change",
                    e.getMessage(), request);
        };
    }

    private ResponseEntity<byte[]> transfer(RaftGroup<?, ?> g, byte[] body, HttpServletRequest request) {
        String target;
        try {
            JsonNode node = body == null || body.length == 0 ? null : JSON.readTree(body);
            JsonNode t = node == null ? null : node.get("target");
            target = t == null || !t.isString() ? null : t.asString();
        } catch (RuntimeException e) {
            target = null;
        }
        if (target == null || target.isBlank()) {
            return problem(HttpStatus.BAD_REQUEST, "malformed", "Malformed request",
                    "the body must be a JSON object with a string field 'target' (a member id)", request);
        }
        GroupStatus status = g.status();
        String wanted = target;
        if (status.members().stream().noneMatch(m -> m.id().equals(wanted))) {
            return problem(HttpStatus.NOT_FOUND, "unknown-member", "Unknown member",
                    "group '" + g.name() + "' has no member '" + target + "'", request);
        }
        if (!status.isLeader()) {
            return problem(HttpStatus.CONFLICT, "not-leader", "Not the leader",
                    "member " + status.nodeId() + " of group '" + g.name() + "' is not the leader; send this to "
                            + "the leader (" + status.leaderId().orElse("none known") + ")", request);
        }
        try {
            g.transferLeadership(MemberId.of(target)).get(commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return problem(HttpStatus.SERVICE_UNAVAILABLE, "interrupted", "Interrupted", "interrupted", request);
        } catch (TimeoutException e) {
            return timedOut(g, target, request);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof CommandTimeoutException) {
                return timedOut(g, target, request);
            }
            if (cause instanceof MembershipChangeException m) {
                return m.reason() == MembershipChangeException.Reason.CONFLICT
                        ? problem(HttpStatus.CONFLICT, "not-a-voter", "Target does not vote", m.getMessage(), request)
                        : refusedChange(m, request);
            }
            if (cause instanceof IllegalStateException) {
                return problem(HttpStatus.CONFLICT, "not-leader", "Not the leader", cause.getMessage(), request);
            }
            if (cause instanceof GroupStoppedException) {
                return notRunning(g.name(), request);
            }
            log.warn("leadership transfer of group {} to {} failed", g.name(), target, cause);
            return problem(HttpStatus.INTERNAL_SERVER_ERROR, "transfer-failed", "Leadership transfer failed",
                    String.valueOf(cause.getMessage()), request);
        }
        try (MDC.MDCCloseable group = MDC.putCloseable("raft.group", g.name());
             MDC.MDCCloseable node = MDC.putCloseable("raft.node", status.nodeId())) {
            log.info("[{}@{}] leadership transferred to {} in term {} through the admin API", g.name(),
                    status.nodeId(), target, g.metrics().term());
        }
        return json(HttpStatus.OK, RaftStatusJson.of(g.status()));
    }

    private ResponseEntity<byte[]> timedOut(RaftGroup<?, ?> g, String target, HttpServletRequest request) {
        return problem(HttpStatus.GATEWAY_TIMEOUT, "timeout", "Leadership transfer timed out",
                "leadership of group '" + g.name() + "' did not pass to " + target + " in time", request);
    }

    private interface GroupAction {
        ResponseEntity<byte[]> apply(RaftGroup<?, ?> group);
    }

    private ResponseEntity<byte[]> withGroup(String name, HttpServletRequest request, GroupAction action) {
        RaftGroup<?, ?> g;
        try {
            g = lifecycle.group(name);
        } catch (UnknownGroupException e) {
            return problem(HttpStatus.NOT_FOUND, "unknown-group", "Unknown group",
                    "this node runs no group '" + name + "'", request);
        } catch (GroupStoppedException e) {
            return notRunning(name, request);
        }
        try {
            return action.apply(g);
        } catch (GroupStoppedException e) {
            return notRunning(name, request);
        }
    }

    private ResponseEntity<byte[]> notRunning(String name, HttpServletRequest request) {
        return withRetryAfter(problem(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Group not running",
                "group '" + name + "' is not running on this node (it is starting or stopping)", request));
    }

    /** {@code r} with {@code Retry-After: 1}. */
    private static ResponseEntity<byte[]> withRetryAfter(ResponseEntity<byte[]> r) {
        return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders()).header(HttpHeaders.RETRY_AFTER, "1")
                .body(r.getBody());
    }

    private static ResponseEntity<byte[]> check(AdminAccess.Verdict verdict, HttpServletRequest request) {
        switch (verdict) {
            case ALLOWED:
                return null;
            case MISSING: {
                ResponseEntity<byte[]> r = problem(HttpStatus.UNAUTHORIZED, "unauthorized", "Missing admin token",
                        "this operation needs 'Authorization: Bearer <raft.security.admin-token>'", request);
                return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"raft-admin\"")
                        .header(HttpHeaders.CONNECTION, "close").body(r.getBody());
            }
            case WRONG:
                return closing(problem(HttpStatus.FORBIDDEN, "forbidden", "Wrong admin token",
                        "the bearer token is not raft.security.admin-token", request));
            case LACKS_ROLE:
                return closing(problem(HttpStatus.FORBIDDEN, "forbidden", "Missing admin role",
                        "the authenticated principal does not have the admin role (raft.security.spring-security"
                                + ".admin-role) and no admin token was presented", request));
            default:
                return closing(problem(HttpStatus.FORBIDDEN, "admin-disabled", "Admin operations disabled",
                        "raft.security.admin-token is not set on this node, so this operation is refused", request));
        }
    }

    /** {@code r} with {@code Connection: close}: a refused request's body is not read, the connection ends. */
    private static ResponseEntity<byte[]> closing(ResponseEntity<byte[]> r) {
        return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders()).header(HttpHeaders.CONNECTION, "close")
                .body(r.getBody());
    }

    private static ResponseEntity<byte[]> json(HttpStatus status, Object body) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
                .body(JSON.writeValueAsBytes(body));
    }

    static ResponseEntity<byte[]> problem(HttpStatus status, String type, String title, String detail,
                                          HttpServletRequest request) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", PROBLEM_BASE + type);
        problem.put("title", title);
        problem.put("status", status.value());
        problem.put("detail", detail);
        problem.put("instance", request.getRequestURI());
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(JSON.writeValueAsBytes(problem));
    }
}
