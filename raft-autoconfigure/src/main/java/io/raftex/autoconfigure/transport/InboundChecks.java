package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.web.ProblemJson;
import io.raftex.core.message.RaftMessage;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code POST /raft/rpc} and {@code POST /raft/stream} check alike: a trusted client certificate (if required),
 * the cluster token, and every inbound batch
 * (group names, groups this node runs, each message's fields and structure by {@link RaftMessageValidator}, and
 * the payload of forwarded commands).
 */
final class InboundChecks {

    /** The servlet request attribute holding the client's verified certificate chain. */
    static final String CERTIFICATES = "jakarta.servlet.request.X509Certificate";

    private final HttpTransport transport;
    private final RaftMessageJson json;
    private final RaftNodeLifecycle lifecycle;
    private final byte[] token;
    private final boolean requireClientCertificate;

    InboundChecks(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                  Optional<String> clusterToken) {
        this(transport, json, lifecycle, clusterToken, false);
    }

    InboundChecks(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                  Optional<String> clusterToken, boolean requireClientCertificate) {
        this.requireClientCertificate = requireClientCertificate;
        this.transport = transport;
        this.json = json;
        this.lifecycle = lifecycle;
        this.token = clusterToken.map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    /**
     * The messages of a batch that passed, or why it did not.
     *
     * @param messages      what to hand to the node (empty if refused)
     * @param unknownGroups groups named by the batch that this node does not run (their messages are not in
     *                      {@code messages})
     * @param problem       why the batch was refused ({@link ProblemJson} writes it); null if it passed
     */
    record Checked(List<RaftMessage> messages, Set<String> unknownGroups, ProblemDetail problem) {
    }

    static ProblemDetail malformed(String detail) {
        return ProblemJson.of(HttpStatus.BAD_REQUEST, "malformed", "Malformed peer message", detail);
    }

    static ProblemDetail unauthorized() {
        return ProblemJson.of(HttpStatus.UNAUTHORIZED, "unauthorized", "Missing or wrong cluster token",
                "peer RPCs must carry the cluster token (raft.security.cluster-token) as 'Authorization: Bearer "
                        + "<token>' or '" + HttpTransport.TOKEN_HEADER + ": <token>'");
    }

    static ProblemDetail clientCertificateRequired() {
        return ProblemJson.of(HttpStatus.FORBIDDEN, "client-certificate-required", "No trusted client certificate",
                "peer RPCs must come over TLS with a client certificate the server trusts"
                        + " (raft.rpc.ssl.require-client-certificate)");
    }

    /**
     * Whether the request came with a client certificate that the server's TLS handshake accepted, if
     * {@code raft.rpc.ssl.require-client-certificate} asks for one (always true otherwise). The servlet container
     * exposes only a chain its trust material verified ({@code server.ssl.client-auth=want} or {@code need}).
     */
    boolean certified(HttpServletRequest request) {
        if (!requireClientCertificate) {
            return true;
        }
        return request.isSecure() && request.getAttribute(CERTIFICATES) instanceof X509Certificate[] chain
                && chain.length > 0;
    }

    ProblemDetail notRunning() {
        return ProblemJson.of(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Raft node not running",
                "node '" + transport.localId() + "' is starting or stopping");
    }

    /** Whether the node takes messages now. */
    boolean running() {
        return lifecycle.isRunning() && transport.accepting();
    }

    /**
     * Whether the request carries the cluster token (always true without one), as {@code X-Raft-Cluster-Token},
     * {@code X-Raft-Token} or {@code Authorization: Bearer}; compared in constant time.
     */
    boolean authorized(HttpServletRequest request) {
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

    /**
     * Checks the parsed messages of one batch, in this order: every group name is valid (else 400); every group
     * runs here (else 404, or, with {@code skipUnknownGroups}, the messages of unknown groups are left out); every
     * message decodes and passes {@link RaftMessageValidator} (else 400). A refused batch hands nothing to the node.
     * The payload of a forwarded command is not decoded here: a payload the group's codec cannot read is applied as
     * a failed command on every member alike (its client gets {@code CommandFailedException}), so it costs one
     * decode, at apply, and refuses nothing else.
     */
    Checked check(List<ObjectNode> nodes, boolean skipUnknownGroups) {
        TreeSet<String> unknown = new TreeSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            String group = RaftMessageJson.groupOf(nodes.get(i));
            if (group == null) {
                return refused(malformed("message " + i + " has no string 'group'"));
            }
            if (!RaftMessageValidator.isValidGroupName(group)) {
                return refused(malformed("message " + i + ": group '" + group + "' is invalid: "
                        + RaftMessageValidator.GROUP_NAME_RULE));
            }
            if (!lifecycle.hasGroup(group)) {
                unknown.add(group);
            }
        }
        if (!unknown.isEmpty() && !skipUnknownGroups) {
            return new Checked(List.of(), unknown, ProblemJson.of(HttpStatus.NOT_FOUND, "unknown-group",
                    "Unknown group", "node '" + transport.localId() + "' runs no group named " + unknown));
        }
        List<RaftMessage> messages = new ArrayList<>(nodes.size());
        for (ObjectNode node : nodes) {
            if (!unknown.isEmpty() && unknown.contains(RaftMessageJson.groupOf(node))) {
                continue;
            }
            RaftMessage message;
            try {
                message = json.decode(node);
                RaftMessageValidator.validate(message, transport.localId());
            } catch (RaftMessageJson.MalformedBatchException | InvalidRaftMessageException e) {
                return refused(malformed(e.getMessage()));
            }
            messages.add(message);
        }
        return new Checked(messages, unknown, null);
    }

    private static Checked refused(ProblemDetail problem) {
        return new Checked(List.of(), Set.of(), problem);
    }
}
