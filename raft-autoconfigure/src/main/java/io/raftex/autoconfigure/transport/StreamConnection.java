package io.raftex.autoconfigure.transport;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The sending end of one peer stream: {@code POST /raft/stream} over HTTP/1.1 with a chunked request body that does
 * not end while the link is healthy. Written directly on a socket: the request head goes out first, then the
 * receiver's answer is read (it accepts with {@code 200} and its headers at once, before any line, or refuses with
 * a problem detail), then each batch is one chunk holding one line. {@code TCP_NODELAY} is on, so a small batch is
 * not held back by Nagle's algorithm waiting for the ACK of the previous one.
 *
 * <p>On an open stream the receiver sends only empty lines, the answers to the sender's pings; a reader thread
 * reads them in {@link #awaitEnd} and ends the stream when the receiver falls silent for too long, when it ends the
 * stream (it says why in one last line of problem detail), or when the connection ends, so the writer learns of it
 * without writing into a dead connection.
 *
 * <p>Thread use: one writer thread calls {@link #writeLine}; one reader thread calls {@link #awaitEnd}; any thread
 * may call {@link #close}.
 */
final class StreamConnection implements AutoCloseable {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PING_CHUNK = "1\r\n\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final int MAX_HEAD_BYTES = 16 * 1024;
    private static final int MAX_DETAIL_BYTES = 2048;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final long openedNanos = System.nanoTime();
    private volatile boolean closed;
    private volatile String endReason;

    private StreamConnection(Socket socket, InputStream in) throws IOException {
        this.socket = socket;
        this.in = in;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** The receiver answered the open with another status than 200; the stream is not open. */
    static final class RefusedException extends IOException {
        private final int status;
        private final String detail;

        RefusedException(int status, String detail) {
            super("HTTP " + status + (detail.isEmpty() ? "" : ": " + detail));
            this.status = status;
            this.detail = detail;
        }

        int status() {
            return status;
        }

        String detail() {
            return detail;
        }
    }

    /**
     * Connects to {@code target} (an {@code http} or {@code https} URL of the stream endpoint), sends the request
     * head with {@code headers} and waits for the answer, all within {@code timeout}. An {@code https} connection
     * uses {@code tls}, or the JVM's default SSL context when it is null.
     *
     * @throws RefusedException       if the receiver answered another status than 200
     * @throws SocketTimeoutException if it took longer than {@code timeout}
     * @throws IOException            if the connection failed
     */
    static StreamConnection open(URI target, Map<String, String> headers, Duration timeout) throws IOException {
        return open(target, headers, timeout, null);
    }

    /** {@link #open(URI, Map, Duration)} with the TLS material of this node's peer connections, or null. */
    static StreamConnection open(URI target, Map<String, String> headers, Duration timeout, PeerTls tls)
            throws IOException {
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        boolean secure = scheme.equals("https");
        if (!secure && !scheme.equals("http")) {
            throw new IOException("unsupported scheme in " + target);
        }
        String host = target.getHost();
        if (host == null) {
            throw new IOException("no host in " + target);
        }
        String bareHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int port = target.getPort() != -1 ? target.getPort() : secure ? 443 : 80;
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        if (target.getRawQuery() != null) {
            path += "?" + target.getRawQuery();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Socket raw = new Socket();
        Socket socket = raw;
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.connect(new InetSocketAddress(bareHost, port), remainingMillis(deadline));
            if (secure) {
                SSLSocket ssl = (SSLSocket) sslSocketFactory(tls).createSocket(raw, bareHost, port, true);
                if (tls != null) {
                    tls.configure(ssl);
                } else {
                    SSLParameters parameters = ssl.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    ssl.setSSLParameters(parameters);
                }
                ssl.setSoTimeout(remainingMillis(deadline));
                ssl.startHandshake();
                socket = ssl;
            }
            StringBuilder head = new StringBuilder(256)
                    .append("POST ").append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(host).append(target.getPort() != -1 ? ":" + port : "").append("\r\n")
                    .append("Transfer-Encoding: chunked\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            OutputStream o = socket.getOutputStream();
            o.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 4096);
            Map<String, String> responseHeaders = new LinkedHashMap<>();
            int status = readHead(socket, in, deadline, responseHeaders);
            if (status != 200) {
                String detail = readDetail(socket, in, deadline, responseHeaders);
                socket.close();
                throw new RefusedException(status, detail);
            }
            socket.setSoTimeout(0);
            return new StreamConnection(socket, in);
        } catch (IOException | RuntimeException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing after a failure
            }
            throw e;
        }
    }

    private static SSLSocketFactory sslSocketFactory(PeerTls tls) throws IOException {
        if (tls != null) {
            return tls.context().getSocketFactory();
        }
        try {
            return SSLContext.getDefault().getSocketFactory();
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("no TLS available", e);
        }
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("stream open timed out");
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Duration.ofNanos(left).toMillis()));
    }

    /** Reads the status line and the headers; returns the status. */
    private static int readHead(Socket socket, InputStream in, long deadline, Map<String, String> headers)
            throws IOException {
        String statusLine = readLine(socket, in, deadline);
        // HTTP/1.1 200 [reason]; skip interim 1xx answers (100 Continue)
        while (true) {
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x answer: " + abbreviate(statusLine));
            }
            int status;
            try {
                status = Integer.parseInt(parts[1].trim());
            } catch (NumberFormatException e) {
                throw new IOException("bad status line: " + abbreviate(statusLine));
            }
            String line;
            while (!(line = readLine(socket, in, deadline)).isEmpty()) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            line.substring(colon + 1).trim());
                }
            }
            if (status >= 200) {
                return status;
            }
            headers.clear();
            statusLine = readLine(socket, in, deadline);
        }
    }

    private static String readLine(Socket socket, InputStream in, long deadline) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int total = 0;
        while (true) {
            socket.setSoTimeout(remainingMillis(deadline));
            int b = in.read();
            if (b == -1) {
                throw new IOException("the peer closed the connection before answering");
            }
            if (++total > MAX_HEAD_BYTES) {
                throw new IOException("answer head too long");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }

    /** The start of a refusal's body (a problem detail), for the log; best effort. */
    private static String readDetail(Socket socket, InputStream in, long deadline, Map<String, String> headers) {
        try {
            int limit = MAX_DETAIL_BYTES;
            String length = headers.get("content-length");
            if (length != null) {
                limit = (int) Math.min(limit, Long.parseLong(length.trim()));
            } else if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))) {
                String size = readLine(socket, in, deadline);
                int semicolon = size.indexOf(';');
                limit = (int) Math.min(limit, Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon))
                        .trim(), 16));
            }
            byte[] body = new byte[Math.max(0, limit)];
            int n = 0;
            while (n < body.length) {
                socket.setSoTimeout(remainingMillis(deadline));
                int r = in.read(body, n, body.length - n);
                if (r == -1) {
                    break;
                }
                n += r;
            }
            return problemDetail(new String(body, 0, n, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The {@code detail} of a problem detail JSON text if it has one, else the (abbreviated) text. */
    static String problemDetail(String text) {
        int at = text.indexOf("\"detail\"");
        if (at >= 0) {
            int start = text.indexOf('"', text.indexOf(':', at) + 1);
            if (start >= 0) {
                StringBuilder detail = new StringBuilder();
                for (int i = start + 1; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c == '\\' && i + 1 < text.length()) {
                        detail.append(text.charAt(++i));
                    } else if (c == '"') {
                        return abbreviate(detail.toString());
                    } else {
                        detail.append(c);
                    }
                }
            }
        }
        return abbreviate(text.strip());
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    /** Whether the stream is still open (as far as this end knows). */
    boolean alive() {
        return !closed;
    }

    /** Why the stream ended, once it has. */
    String endReason() {
        return endReason;
    }

    /**
     * Writes one line ({@code body} followed by a newline) as one chunk and flushes it; with {@code ping}, an empty
     * line first, which the receiver answers with an empty line (see {@link #awaitEnd}). An empty {@code body} is a
     * ping too. Only the writer thread calls this.
     */
    void writeLine(byte[] body, boolean ping) throws IOException {
        if (ping && body.length > 0) {
            out.write(PING_CHUNK);
        }
        int size = body.length + 1;
        out.write(Integer.toHexString(size).getBytes(StandardCharsets.ISO_8859_1));
        out.write(CRLF);
        out.write(body);
        out.write('\n');
        out.write(CRLF);
        out.flush();
    }

    /**
     * Reads what the receiver sends until it ends the stream, or the connection fails, is closed, or stays silent
     * longer than {@code silence}; then closes it. On an open stream the receiver sends only empty lines, each the
     * answer to a ping, so the sender knows the link still carries data both ways (a connection into a network
     * partition would otherwise take writes for a long time); a non-empty line is its last, a problem detail that
     * says why it ended the stream.
     */
    void awaitEnd(Duration silence) {
        String reason;
        try {
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, silence.toMillis())));
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                // the answer body, chunked: "<hex size>[;ext]\r\n<data>\r\n" ... "0\r\n\r\n"
                String sizeLine = readChunkLine();
                if (sizeLine == null) {
                    reason = "the peer closed the connection";
                    break;
                }
                int semicolon = sizeLine.indexOf(';');
                long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                if (size == 0) {
                    reason = line.size() > 0 ? "the peer ended the stream: " + problemDetail(line.toString(
                            StandardCharsets.UTF_8)) : "the peer ended the stream";
                    break;
                }
                for (long i = 0; i < size; i++) {
                    int b = in.read();
                    if (b == -1) {
                        throw new IOException("the peer closed the connection within a chunk");
                    }
                    if (b == '\n') {
                        if (line.size() > 0) {
                            // its last word: the stream ends after this line
                            throw new EndedException(problemDetail(line.toString(StandardCharsets.UTF_8)));
                        }
                        // an empty line: the answer to a ping
                    } else if (line.size() < MAX_DETAIL_BYTES) {
                        line.write(b);
                    }
                }
                readChunkLine(); // the CRLF after the data
            }
        } catch (EndedException e) {
            reason = "the peer ended the stream: " + e.getMessage();
        } catch (SocketTimeoutException e) {
            reason = closed ? "closed" : "no answer from the peer for " + silence.toMillis() + " ms";
        } catch (IOException | RuntimeException e) {
            reason = closed ? "closed" : e.toString();
        }
        close(reason);
    }

    /** A line of the chunked framing, without its CRLF; null at the end of the connection. */
    private String readChunkLine() throws IOException {
        StringBuilder line = new StringBuilder(8);
        int b;
        while ((b = in.read()) != '\n') {
            if (b == -1) {
                return line.length() == 0 ? null : line.toString();
            }
            if (b != '\r' && line.length() < 256) {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static final class EndedException extends IOException {
        EndedException(String detail) {
            super(detail);
        }
    }

    /** Closes the connection (any thread); {@code reason} is kept if it is the first. */
    void close(String reason) {
        synchronized (this) {
            if (endReason == null) {
                endReason = reason;
            }
            closed = true;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        close("closed");
    }

    /** How long it has been open, in nanoseconds. */
    long ageNanos() {
        return System.nanoTime() - openedNanos;
    }
}
