package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.web.ProblemJson;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * {@code POST /raft/rpc}: receives batches of peer messages. Checks, in this order, each refusing the whole batch
 * with an RFC 9457 problem detail and handing nothing to the node: the cluster token (401, with
 * {@code Connection: close} and the body left unread), {@code Content-Type: application/json} (415), the size against
 * {@code raft.rpc.max-batch-bytes} (413), whether the node runs (503), the JSON (400), the group names (400 if
 * invalid, 404 if this node runs no such group), every message's fields and structure (400, by
 * {@link RaftMessageValidator}). A batch that passes is handed to the groups at once (202); answers travel back as
 * separate requests. Peers normally send over {@code /raft/stream} ({@link RaftStreamEndpoint}); this endpoint
 * takes one-off messages, tools, and the batches of nodes with {@code raft.rpc.stream=false}.
 */
@RestController
public final class RaftRpcController {

    private static final Logger log = LoggerFactory.getLogger(RaftRpcController.class);

    private final HttpTransport transport;
    private final RaftMessageJson json;
    private final int maxBatchBytes;
    private final InboundChecks checks;

    public RaftRpcController(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                             int maxBatchBytes, Optional<String> clusterToken) {
        this(transport, json, lifecycle, maxBatchBytes, clusterToken, false);
    }

    /**
     * An endpoint that, with {@code requireClientCertificate}, refuses (403) requests that came without a client
     * certificate the server's TLS accepted.
     */
    public RaftRpcController(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                             int maxBatchBytes, Optional<String> clusterToken, boolean requireClientCertificate) {
        this.transport = transport;
        this.json = json;
        this.maxBatchBytes = maxBatchBytes;
        this.checks = new InboundChecks(transport, json, lifecycle, clusterToken, requireClientCertificate);
    }

    @PostMapping(HttpTransport.RPC_PATH)
    public ResponseEntity<byte[]> rpc(HttpServletRequest request) throws IOException {
        if (!checks.certified(request)) {
            ResponseEntity<byte[]> r = problem(InboundChecks.clientCertificateRequired());
            return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                    .header(HttpHeaders.CONNECTION, "close").body(r.getBody());
        }
        if (!checks.authorized(request)) {
            ResponseEntity<byte[]> r = problem(InboundChecks.unauthorized());
            // Connection: close, so that the container does not read (swallow) the body of a refused request
            return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"raft\"")
                    .header(HttpHeaders.CONNECTION, "close").body(r.getBody());
        }
        if (!isJson(request.getContentType())) {
            ResponseEntity<byte[]> r = problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                    "Unsupported media type", "a batch is sent as 'Content-Type: application/json', not "
                            + (request.getContentType() == null ? "without one" : "'" + request.getContentType() + "'"));
            return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                    .header(HttpHeaders.ACCEPT, MediaType.APPLICATION_JSON_VALUE)
                    .header(HttpHeaders.CONNECTION, "close").body(r.getBody());
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBatchBytes) {
            return tooLarge(declared + " bytes");
        }
        byte[] body = readAtMost(request.getInputStream(), maxBatchBytes);
        if (body == null) {
            return tooLarge("more than that");
        }
        if (!checks.running()) {
            ResponseEntity<byte[]> r = problem(checks.notRunning());
            return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders())
                    .header(HttpHeaders.RETRY_AFTER, "1").body(r.getBody());
        }
        List<ObjectNode> nodes;
        try {
            nodes = json.parseBatch(body);
        } catch (RaftMessageJson.MalformedBatchException e) {
            return malformed(e.getMessage());
        }
        InboundChecks.Checked checked = checks.check(nodes, false);
        if (checked.problem() != null) {
            if (checked.problem().getStatus() == HttpStatus.BAD_REQUEST.value()) {
                log.debug("refused a malformed peer batch: {}", checked.problem().getDetail());
            }
            return problem(checked.problem());
        }
        if (!transport.deliver(checked.messages())) {
            return problem(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Raft node not running",
                    "node '" + transport.localId() + "' is stopping");
        }
        return ResponseEntity.accepted().build();
    }

    /** Whether {@code contentType} is {@code application/json}, with any parameters (a charset). */
    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].strip();
        return type.equalsIgnoreCase(MediaType.APPLICATION_JSON_VALUE);
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
        return closing(problem(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Batch too large",
                "the body is " + size + "; the limit is raft.rpc.max-batch-bytes = " + maxBatchBytes + " bytes"));
    }

    private static ResponseEntity<byte[]> closing(ResponseEntity<byte[]> r) {
        return ResponseEntity.status(r.getStatusCode()).headers(r.getHeaders()).header(HttpHeaders.CONNECTION, "close")
                .body(r.getBody());
    }

    private ResponseEntity<byte[]> malformed(String detail) {
        log.debug("refused a malformed peer batch: {}", detail);
        return problem(InboundChecks.malformed(detail));
    }

    static ResponseEntity<byte[]> problem(HttpStatus status, String type, String title, String detail) {
        return problem(ProblemJson.of(status, type, title, detail));
    }

    static ResponseEntity<byte[]> problem(ProblemDetail problem) {
        return ResponseEntity.status(problem.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(ProblemJson.bytes(problem, HttpTransport.RPC_PATH));
    }
}
