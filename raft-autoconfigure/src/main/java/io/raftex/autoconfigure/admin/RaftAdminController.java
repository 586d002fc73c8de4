package io.raftex.autoconfigure.admin;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
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
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The admin REST API of DESIGN.md §4 under {@code /raft/admin}. Reads: {@code GET /raft/admin/groups} (the status
 * of every group on this node, as a JSON array) and {@code GET /raft/admin/groups/{group}}. Writes, which need the
 * bearer admin token ({@link AdminAccess}): {@code POST .../transfer-leadership} {@code {"target":"n2"}}; and
 * {@code POST .../snapshot}, {@code POST .../members}, {@code DELETE .../members/{id}}, which answer 501 until the
 * core supports them. Every error is an RFC 9457 problem detail ({@code application/problem+json}).
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
    /** How long POST .../snapshot waits for the snapshot to be written before it answers 504. */
    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(60);

    private final RaftNodeLifecycle lifecycle;
    private final AdminAccess access;
    private final Duration transferTimeout;

    public RaftAdminController(RaftNodeLifecycle lifecycle, AdminAccess access, Duration transferTimeout) {
        this.lifecycle = lifecycle;
        this.access = access;
        this.transferTimeout = transferTimeout;
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
                                                     @RequestBody(required = false) byte[] body,
                                                     HttpServletRequest request) {
        ResponseEntity<byte[]> refused = check(access.write(authorization), request);
        if (refused != null) {
            return refused;
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
                                            String authorization, HttpServletRequest request) {
        return notYet(group, authorization, request, "membership changes");
    }

    @DeleteMapping(BASE + "/{group}/members/{id}")
    public ResponseEntity<byte[]> removeMember(@PathVariable("group") String group, @PathVariable("id") String id,
                                               @RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false)
                                               String authorization, HttpServletRequest request) {
        return notYet(group, authorization, request, "membership changes");
    }

    private ResponseEntity<byte[]> notYet(String group, String authorization, HttpServletRequest request,
                                          String what) {
        ResponseEntity<byte[]> refused = check(access.write(authorization), request);
        if (refused != null) {
            return refused;
        }
        return withGroup(group, request, g -> problem(HttpStatus.NOT_IMPLEMENTED, "not-implemented",
                "Not implemented", what + " is not available in this version", request));
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
            g.transferLeadership(MemberId.of(target)).get(transferTimeout.toMillis(), TimeUnit.MILLISECONDS);
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
        ResponseEntity<byte[]> r = problem(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Group not running",
                "group '" + name + "' is not running on this node (it is starting or stopping)", request);
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
                        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"raft-admin\"").body(r.getBody());
            }
            case WRONG:
                return problem(HttpStatus.FORBIDDEN, "forbidden", "Wrong admin token",
                        "the bearer token is not raft.security.admin-token", request);
            default:
                return problem(HttpStatus.FORBIDDEN, "admin-disabled", "Admin operations disabled",
                        "raft.security.admin-token is not set on this node, so this operation is refused", request);
        }
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
