package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.web.ProblemJson;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code POST /raft/stream}: the receiving end of peer streams. A peer opens one POST whose chunked body does not
 * end while the link is healthy, and writes one batch of messages per line (newline-delimited JSON, each line what
 * {@code /raft/rpc} takes as a body; an empty line is a ping, answered with an empty line).
 *
 * <p>When a stream opens, the cluster token is checked (401 problem detail, as on {@code /raft/rpc}, before any
 * line is read) and so is whether the node runs (503 with {@code Retry-After}); then the answer's status and
 * headers ({@code 200}, {@code application/x-ndjson}) go out at once, so the peer knows the stream is open before
 * it writes a line. While the stream lasts nothing but the answers to pings is sent back: the replies are
 * ordinary messages on this node's own stream to the peer.
 *
 * <p>Each line is checked as a {@code /raft/rpc} batch is ({@link InboundChecks}: every message decoded and
 * validated by {@link RaftMessageValidator}) and handed to the node. A line that is not JSON, too long (more than
 * {@code raft.rpc.max-batch-bytes}), or holds an invalid message ends the stream with a warning in the log and a
 * last line of problem detail to the peer; nothing of that line reaches a group, so it never stops one. The peer
 * reopens. Messages of a group this node does not run are left out of the line (logged once per stream and
 * group); they do not end it. A newer stream from the same peer (header {@code X-Raft-From}) ends the older one.
 *
 * <p>The body is read with a servlet {@link ReadListener} (non-blocking I/O): no container thread is held by an
 * idle stream, the lines are decoded and delivered on the container thread that reads them, and a stream can be
 * ended from any thread, which this endpoint does for every open stream when it stops (after the node, before the
 * web server's graceful shutdown, which would otherwise wait for streams that do not end).
 */
public final class RaftStreamEndpoint implements SmartLifecycle {

    /** Stops after {@link RaftNodeLifecycle} and before the web server's graceful shutdown (DEFAULT - 1024). */
    public static final int PHASE = RaftNodeLifecycle.PHASE - 256;

    private static final Logger log = LoggerFactory.getLogger(RaftStreamEndpoint.class);
    private static final int READ_BUFFER = 16 * 1024;

    private final HttpTransport transport;
    private final RaftMessageJson json;
    private final InboundChecks checks;
    private final int maxLineBytes;
    private final Set<InboundStream> open = ConcurrentHashMap.newKeySet();
    private final Map<String, InboundStream> byPeer = new ConcurrentHashMap<>();
    private volatile boolean running;

    public RaftStreamEndpoint(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                              int maxBatchBytes, Optional<String> clusterToken) {
        this(transport, json, lifecycle, maxBatchBytes, clusterToken, false);
    }

    /**
     * An endpoint that, with {@code requireClientCertificate}, refuses (403) streams opened without a client
     * certificate the server's TLS accepted.
     */
    public RaftStreamEndpoint(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                              int maxBatchBytes, Optional<String> clusterToken, boolean requireClientCertificate) {
        this.transport = transport;
        this.json = json;
        this.checks = new InboundChecks(transport, json, lifecycle, clusterToken, requireClientCertificate);
        this.maxLineBytes = maxBatchBytes;
    }

    /** The servlet to map at {@link HttpTransport#STREAM_PATH} (asynchronous). */
    public HttpServlet servlet() {
        return new StreamServlet(this);
    }

    /** Streams open now. */
    public int openStreams() {
        return open.size();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        for (InboundStream s : List.copyOf(open)) {
            s.end(checks.notRunning(), false);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private static final class StreamServlet extends HttpServlet {
        private final transient RaftStreamEndpoint endpoint;

        StreamServlet(RaftStreamEndpoint endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            endpoint.open(request, response);
        }
    }

    void open(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!checks.certified(request)) {
            response.setHeader(HttpHeaders.CONNECTION, "close");
            refuse(response, InboundChecks.clientCertificateRequired());
            return;
        }
        if (!checks.authorized(request)) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"raft\"");
            // the body of a refused stream is not read: the connection ends with the answer
            response.setHeader(HttpHeaders.CONNECTION, "close");
            refuse(response, InboundChecks.unauthorized());
            return;
        }
        if (!running || !checks.running()) {
            response.setHeader(HttpHeaders.RETRY_AFTER, "1");
            refuse(response, checks.notRunning());
            return;
        }
        String peer = request.getHeader(HttpTransport.FROM_HEADER);
        String name = (peer == null ? "?" : peer) + " (" + request.getRemoteAddr() + ":" + request.getRemotePort()
                + ")";
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // the stream lasts; the connection's read timeout still ends a silent one
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(HttpTransport.STREAM_MEDIA_TYPE);
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        response.flushBuffer(); // the peer waits for this before it writes a line
        InboundStream stream = new InboundStream(async, request.getInputStream(), response, peer, name);
        open.add(stream);
        if (peer != null) {
            InboundStream older = byPeer.put(peer, stream);
            if (older != null) {
                log.debug("a new stream from {} replaces the one from {}", name, older.name);
                older.end(ProblemJson.of(HttpStatus.CONFLICT, "replaced", "Stream replaced",
                        "a newer stream from '" + peer + "' replaced this one"), false);
            }
        }
        if (!running) { // stopped meanwhile
            stream.end(checks.notRunning(), false);
            return;
        }
        log.debug("stream from {} open", name);
        request.getInputStream().setReadListener(stream);
    }

    private static void refuse(HttpServletResponse response, ProblemDetail problem) throws IOException {
        // the peer sent no line yet and waits for this answer; it closes the connection once it has it
        ProblemJson.write(response, problem, HttpTransport.STREAM_PATH, true);
        response.flushBuffer();
    }

    /** One open stream: reads its lines as they come, and hands each checked batch to the node. */
    private final class InboundStream implements ReadListener {
        private final AsyncContext async;
        private final ServletInputStream in;
        private final HttpServletResponse response;
        private final String peer;
        private final String name;
        private final byte[] buffer = new byte[READ_BUFFER];
        private byte[] line = new byte[8 * 1024];
        private int lineLength;
        private boolean ended; // guarded by this
        private Set<String> unknownGroupsLogged;

        InboundStream(AsyncContext async, ServletInputStream in, HttpServletResponse response, String peer,
                      String name) {
            this.async = async;
            this.in = in;
            this.response = response;
            this.peer = peer;
            this.name = name;
        }

        @Override
        public void onDataAvailable() throws IOException {
            while (in.isReady()) {
                int n = in.read(buffer);
                if (n == -1) {
                    return; // onAllDataRead follows
                }
                if (!consume(n)) {
                    return;
                }
            }
        }

        /** Splits what was read into lines; false once the stream ended. */
        private boolean consume(int n) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    if (!append(start, i - start) || !processLine()) {
                        return false;
                    }
                    lineLength = 0;
                    if (line.length > 256 * 1024) {
                        line = new byte[8 * 1024]; // a large line (a snapshot chunk) does not stay allocated
                    }
                    start = i + 1;
                }
            }
            return append(start, n - start);
        }

        private boolean append(int from, int length) {
            if (length == 0) {
                return true;
            }
            if (lineLength + length > maxLineBytes + 1) { // + a '\r' before the '\n'
                end(ProblemJson.of(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Batch too large",
                        "a line is longer than raft.rpc.max-batch-bytes = " + maxLineBytes + " bytes"), true);
                return false;
            }
            if (lineLength + length > line.length) {
                line = Arrays.copyOf(line, Math.min(maxLineBytes + 1,
                        Math.max(lineLength + length, line.length * 2)));
            }
            System.arraycopy(buffer, from, line, lineLength, length);
            lineLength += length;
            return true;
        }

        /** Checks the line in {@code line} and hands its messages to the node; false if that ended the stream. */
        private synchronized boolean processLine() {
            if (ended) {
                return false;
            }
            int length = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
            if (length == 0) {
                return pong();
            }
            if (!checks.running()) {
                end(checks.notRunning(), false);
                return false;
            }
            List<ObjectNode> nodes;
            try {
                nodes = json.parseBatch(line, 0, length);
            } catch (RaftMessageJson.MalformedBatchException e) {
                end(InboundChecks.malformed(e.getMessage()), true);
                return false;
            }
            InboundChecks.Checked checked = checks.check(nodes, true);
            if (checked.problem() != null) {
                end(checked.problem(), true);
                return false;
            }
            if (!checked.unknownGroups().isEmpty()) {
                logUnknownGroups(checked.unknownGroups());
            }
            if (!checked.messages().isEmpty() && !transport.deliver(checked.messages())) {
                end(checks.notRunning(), false);
                return false;
            }
            return true;
        }

        /** Answers a ping with an empty line, so the peer knows the link works both ways. */
        private boolean pong() {
            try {
                ServletOutputStream out = response.getOutputStream();
                out.write('\n');
                out.flush();
                return true;
            } catch (IOException | RuntimeException e) {
                log.debug("stream from {}: cannot answer a ping: {}", name, e.toString());
                onError(e);
                return false;
            }
        }

        private void logUnknownGroups(Set<String> groups) {
            if (unknownGroupsLogged == null) {
                unknownGroupsLogged = new java.util.HashSet<>();
            }
            for (String g : groups) {
                if (unknownGroupsLogged.add(g)) {
                    log.warn("stream from {}: messages for group '{}', which this node does not run, are dropped",
                            name, g);
                }
            }
        }

        @Override
        public void onAllDataRead() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            forget();
            log.debug("stream from {} ended by the peer", name);
            complete();
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            forget();
            log.debug("stream from {} failed: {}", name, t.toString());
            complete();
        }

        /**
         * Ends the stream: tells the peer why in one last line of problem detail and completes the answer. Any
         * thread may call it.
         */
        synchronized void end(ProblemDetail problem, boolean warn) {
            if (ended) {
                return;
            }
            ended = true;
            forget();
            if (warn) {
                log.warn("ended the stream from {}: {} ({}); it will reopen", name, problem.getDetail(),
                        problem.getStatus());
            } else {
                log.debug("ended the stream from {}: {}", name, problem.getDetail());
            }
            try {
                ServletOutputStream out = response.getOutputStream();
                byte[] body = ProblemJson.bytes(problem, HttpTransport.STREAM_PATH);
                out.write(body);
                out.write('\n');
                out.flush();
            } catch (IOException | RuntimeException e) {
                log.debug("could not tell {} why its stream ended: {}", name, e.toString());
            }
            complete();
        }

        private void forget() {
            open.remove(this);
            if (peer != null) {
                byPeer.remove(peer, this);
            }
        }

        private void complete() {
            try {
                async.complete();
            } catch (RuntimeException e) {
                log.debug("completing the stream from {}: {}", name, e.toString());
            }
        }
    }
}
