package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.message.ForwardCommand;
import io.raftex.core.message.RaftMessage;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * {@code POST /raft/rpc}: receives batches of peer messages. Checks, in this order, each refusing the whole batch
 * with an RFC 9457 problem detail and handing nothing to the node: the cluster token (401), the size against
 * {@code raft.rpc.max-batch-bytes} (413), whether the node runs (503), the JSON (400), the group names (400 if
 * invalid, 404 if this node runs no such group), every message's fields and structure (400, by
 * {@link RaftMessageValidator}). A batch that passes is handed to the groups at once (202); answers travel back as
 * separate requests.
 */
@RestController
public final class RaftRpcController {

    private static final Logger log = LoggerFactory.getLogger(RaftRpcController.class);
    private static final String PROBLEM_BASE = "urn:raftex:problem:";
    private static final JsonMapper PROBLEM_JSON = JsonMapper.builder().build();

    private final HttpTransport transport;
    private final RaftMessageJson json;
    private final RaftNodeLifecycle lifecycle;
    private final int maxBatchBytes;
    private final byte[] token;

    public RaftRpcController(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                             int maxBatchBytes, Optional<String> clusterToken) {
        this.transport = transport;
        this.json = json;
        this.lifecycle = lifecycle;
        this.maxBatchBytes = maxBatchBytes;
        this.token = clusterToken.map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    @PostMapping(HttpTransport.RPC_PATH)
    public ResponseEntity<byte[]> rpc(HttpServletRequest request) throws IOException {
        if (!authorized(request)) {
            ResponseEntity<byte[]> r = problem(HttpStatus.UNAUTHORIZED, "unauthorized",
                    "Missing or wrong cluster token", "peer RPCs must carry the cluster token "
                            + "(raft.security.cluster-token) as 'Authorization: Bearer <token>' or '"
                            + HttpTransport.TOKEN_HEADER + ": <token>'");
            return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"raft\"").body(r.getBody());
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBatchBytes) {
            return tooLarge(declared + " bytes");
        }
        byte[] body = readAtMost(request.getInputStream(), maxBatchBytes);
        if (body == null) {
            return tooLarge("more than that");
        }
        if (!lifecycle.isRunning() || !transport.accepting()) {
            ResponseEntity<byte[]> r = problem(HttpStatus.SERVICE_UNAVAILABLE, "not-running",
                    "Raft node not running", "node '" + transport.localId() + "' is starting or stopping");
            return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                    .header(HttpHeaders.RETRY_AFTER, "1").body(r.getBody());
        }
        List<ObjectNode> nodes;
        try {
            nodes = json.parseBatch(body);
        } catch (RaftMessageJson.MalformedBatchException e) {
            return malformed(e.getMessage());
        }
        TreeSet<String> unknown = new TreeSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            String group = RaftMessageJson.groupOf(nodes.get(i));
            if (group == null) {
                return malformed("message " + i + " has no string 'group'");
            }
            if (!RaftMessageValidator.isValidGroupName(group)) {
                return malformed("message " + i + ": group '" + group + "' is invalid: "
                        + RaftMessageValidator.GROUP_NAME_RULE);
            }
            if (!lifecycle.hasGroup(group)) {
                unknown.add(group);
            }
        }
        if (!unknown.isEmpty()) {
            return problem(HttpStatus.NOT_FOUND, "unknown-group", "Unknown group",
                    "node '" + transport.localId() + "' runs no group named " + unknown);
        }
        List<RaftMessage> messages = new ArrayList<>(nodes.size());
        for (ObjectNode node : nodes) {
            RaftMessage message;
            try {
                message = json.decode(node);
            } catch (RaftMessageJson.MalformedBatchException e) {
                return malformed(e.getMessage());
            }
            try {
                RaftMessageValidator.validate(message, transport.localId());
            } catch (InvalidRaftMessageException e) {
                return malformed(e.getMessage());
            }
            if (message instanceof ForwardCommand forward
                    && !lifecycle.isValidCommand(forward.group(), forward.payload())) {
                return malformed("ForwardCommand payload is not a valid command of group '" + forward.group() + "'");
            }
            messages.add(message);
        }
        if (!transport.deliver(messages)) {
            return problem(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Raft node not running",
                    "node '" + transport.localId() + "' is stopping");
        }
        return ResponseEntity.accepted().build();
    }

    private boolean authorized(HttpServletRequest request) {
        if (token == null) {
            return true;
        }
        String presented = request.getHeader(HttpTransport.TOKEN_HEADER);
        if (presented == null) {
            presented = request.getHeader("X-Raft-Token");
        }
        if (presented == null) {
            String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
            if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                presented = authorization.substring(7).strip();
            }
        }
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** The body, or null if it is longer than {@code max}. */
    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 64 * 1024));
        byte[] buffer = new byte[16 * 1024];
        int total = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            total += n;
            if (total > max) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private ResponseEntity<byte[]> tooLarge(String size) {
        return problem(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Batch too large",
                "the body is " + size + "; the limit is raft.rpc.max-batch-bytes = " + maxBatchBytes + " bytes");
    }

    private ResponseEntity<byte[]> malformed(String detail) {
        log.debug("refused a malformed peer batch: {}", detail);
        return problem(HttpStatus.BAD_REQUEST, "malformed", "Malformed peer message", detail);
    }

    static ResponseEntity<byte[]> problem(HttpStatus status, String type, String title, String detail) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", PROBLEM_BASE + type);
        problem.put("title", title);
        problem.put("status", status.value());
        problem.put("detail", detail);
        problem.put("instance", HttpTransport.RPC_PATH);
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(PROBLEM_JSON.writeValueAsBytes(problem));
    }
}
