package io.raftex.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded hostile requests against the HTTP surfaces of a demo cluster: the peer endpoints (with the cluster token:
 * a peer's bit flips and worse), the admin API (with and without its token, never a valid membership change) and
 * {@code /kv}. Each answer must be one the surface documents, never a 500.
 */
final class SurfaceFuzz {

    /** The classes of input, sent one class at a time. */
    enum Surface { KV, ADMIN, PEER_RPC, PEER_STREAM }

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Set<Integer> KV_ANSWERS = Set.of(200, 400, 404, 405, 408, 413, 415, 503, 504);
    private static final Set<Integer> ADMIN_ANSWERS = Set.of(200, 400, 401, 403, 404, 405, 409, 413, 415, 503, 504);
    private static final Set<Integer> PEER_ANSWERS = Set.of(200, 202, 400, 401, 404, 413, 415, 503);
    private static final String[] STRANGE = {"\\ud800", "\\udfff", "a\\u0000b", "\\uffff", "\\ud83d\\ude00", "1e999",
            "x".repeat(300), "..", "../x", "a/b", "%2F", "\\u202e", ""};

    private final Random random;
    private final int[] ports;
    private final String clusterToken;
    private final String adminToken;

    SurfaceFuzz(Random random, int[] ports, String clusterToken, String adminToken) {
        this.random = random;
        this.ports = ports;
        this.clusterToken = clusterToken;
        this.adminToken = adminToken;
    }

    void send(Surface surface, int i) {
        int node = random.nextInt(ports.length);
        int port = ports[node];
        switch (surface) {
            case KV -> kv(port, i);
            case ADMIN -> admin(port, i);
            case PEER_RPC -> peer(port, "n" + (node + 1), "/raft/rpc", "application/json", PEER_ANSWERS);
            case PEER_STREAM -> peer(port, "n" + (node + 1), "/raft/stream", "application/x-ndjson", PEER_ANSWERS);
        }
    }

    private void kv(int port, int i) {
        String key = random.nextInt(4) == 0 ? pick(STRANGE).replace("\\", "%5C") : "fuzz-" + random.nextInt(20);
        if (key.isEmpty()) {
            key = "e";
        }
        byte[] body = switch (random.nextInt(8)) {
            case 0 -> randomBytes(200);
            case 1 -> ("{\"value\":\"" + pick(STRANGE) + "\"}").getBytes(StandardCharsets.UTF_8);
            case 2 -> new byte[] {'{', '"', 'v', 'a', 'l', 'u', 'e', '"', ':', '"', (byte) 0xC0, (byte) 0xAE, '"', '}'};
            case 3 -> ("{\"value\":" + pick(new String[] {"1e999", "true", "[]", "{}", "null", "-0"}) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            case 4 -> ("{\"expected\":\"" + pick(STRANGE) + "\",\"value\":\"v" + i + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            case 5 -> new byte[KvServlet.MAX_BODY_BYTES + 1 + random.nextInt(100)];
            default -> ("{\"value\":\"v" + i + "\"}").getBytes(StandardCharsets.UTF_8);
        };
        String method = pick(new String[] {"PUT", "PUT", "POST", "GET", "DELETE", "PATCH"});
        String path = "/kv/" + key + (method.equals("POST") ? "/cas" : "");
        String type = random.nextInt(6) == 0 ? "text/plain" : "application/json";
        expect(request(port, method, path, body, type, null), KV_ANSWERS, method + " " + path);
    }

    private void admin(int port, int i) {
        boolean token = random.nextInt(3) != 0;
        String authorization = token ? "Bearer " + adminToken : random.nextBoolean() ? "Bearer wrong" : null;
        String id = pick(new String[] {"a/b", "../x", "x".repeat(10_000), "n\\ud800", ".", "ok-" + i, "n1"});
        // every url here is invalid, or the id is: never a real change of membership
        String url = pick(new String[] {"http://127.0.0.1:99999", "http://127.0.0.1:0", "http://u:p@127.0.0.1:1",
                "ftp://h:1", "http://h:1?q", "http://127.0.0.1:" + ports[0]});
        if (url.equals("http://127.0.0.1:" + ports[0]) && id.startsWith("ok-")) {
            id = "../" + id; // n1's url under another valid id would be a 409, but keep the id invalid anyway
        }
        String member = "{\"id\":\"" + id + "\",\"url\":\"" + url + "\",\"membership\":\""
                + pick(new String[] {"voter", "promotable", "non-voter", "observer"}) + "\"}";
        String base = "/raft/admin/groups/" + KvApplication.GROUP;
        switch (random.nextInt(6)) {
            case 0 -> expect(request(port, "POST", base + "/members", randomBytes(300), "application/json",
                    authorization), ADMIN_ANSWERS, "POST members (junk)");
            case 1 -> expect(request(port, "POST", base + "/members", new byte[64 * 1024], "application/json",
                    authorization), ADMIN_ANSWERS, "POST members (big)");
            case 2 -> expect(request(port, "DELETE", base + "/members/ghost-" + i, null, null, authorization),
                    ADMIN_ANSWERS, "DELETE members");
            case 3 -> expect(request(port, "POST", base + "/transfer-leadership",
                    ("{\"target\":\"" + pick(STRANGE) + "\"}").getBytes(StandardCharsets.UTF_8), "application/json",
                    authorization), ADMIN_ANSWERS, "POST transfer-leadership");
            case 4 -> expect(request(port, "GET", base, null, null, null), ADMIN_ANSWERS, "GET status");
            default -> expect(request(port, "POST", base + "/members", member.getBytes(StandardCharsets.UTF_8),
                    "application/json", authorization), ADMIN_ANSWERS, "POST members " + member);
        }
    }

    /** A batch of one or more messages a peer could garble: each field a plausible value or a hostile one. */
    private void peer(int port, String self, String path, String contentType, Set<Integer> answers) {
        StringBuilder batch = new StringBuilder("{\"from\":\"n2\",\"messages\":[");
        int n = 1 + random.nextInt(3);
        for (int k = 0; k < n; k++) {
            if (k > 0) {
                batch.append(',');
            }
            batch.append(message(self));
        }
        batch.append("]}");
        byte[] body = batch.toString().getBytes(StandardCharsets.UTF_8);
        if (random.nextInt(8) == 0) {
            body[random.nextInt(body.length)] ^= (byte) (1 << random.nextInt(8)); // one flipped bit
        }
        if (path.equals("/raft/stream")) {
            body = (new String(body, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8);
        }
        String type = random.nextInt(10) == 0 ? "text/plain" : contentType;
        String auth = random.nextInt(10) == 0 ? null : "Bearer " + clusterToken;
        expect(request(port, "POST", path, body, type, auth), answers, "POST " + path);
    }

    private String message(String self) {
        String from = pick(new String[] {"n2", "n3", "stranger", "n1"});
        String to = random.nextInt(6) == 0 ? pick(new String[] {"n1", "n2", "n3"}) : self;
        long term = pick(new long[] {0, 1, 2, 5, 1000, Long.MAX_VALUE / 2, Long.MAX_VALUE / 2 + 1, Long.MAX_VALUE});
        String head = "\"group\":\"" + (random.nextInt(12) == 0 ? "ghost" : KvApplication.GROUP) + "\",\"from\":\""
                + from + "\",\"to\":\"" + to + "\",\"term\":" + term;
        long prev = random.nextInt(60);
        String payload = Base64.getEncoder().encodeToString(("{\"type\":\"put\",\"key\":\"k\",\"value\":\"v\"}")
                .getBytes(StandardCharsets.UTF_8));
        return switch (random.nextInt(7)) {
            case 0 -> "{\"type\":\"VoteRequest\"," + head + ",\"lastLogIndex\":" + prev + ",\"lastLogTerm\":"
                    + (prev == 0 ? 0 : 1) + ",\"transfer\":" + random.nextBoolean() + "}";
            case 1 -> "{\"type\":\"TimeoutNow\"," + head + "}";
            case 2 -> "{\"type\":\"PreVoteRequest\"," + head + ",\"lastLogIndex\":0,\"lastLogTerm\":0}";
            case 3 -> "{\"type\":\"InstallSnapshotRequest\"," + head + ",\"lastIndex\":1,\"lastTerm\":1,\"offset\":"
                    + (Long.MAX_VALUE - 8) + ",\"totalSize\":" + Long.MAX_VALUE + ",\"data\":\"AAAA\",\"crc\":0}";
            default -> {
                // entries at prev+1.. that may contradict what is committed there; of term 1, so that no member's
                // log becomes more up to date than the real leader's (a token holder who forges a later term can
                // make a member that missed a commit win an election: peers with the token are trusted)
                StringBuilder entries = new StringBuilder();
                int count = random.nextInt(3);
                for (int e = 0; e < count; e++) {
                    entries.append(e > 0 ? "," : "").append("{\"index\":").append(prev + 1 + e)
                            .append(",\"term\":").append(Math.min(term, 1))
                            .append(",\"type\":\"COMMAND\",\"clientId\":7,\"sequence\":1,\"ackedBelow\":0,")
                            .append("\"leaderTime\":0,\"payload\":\"").append(payload).append("\"}");
                }
                yield "{\"type\":\"AppendEntriesRequest\"," + head + ",\"prevLogIndex\":" + prev
                        + ",\"prevLogTerm\":" + (prev == 0 ? 0 : 1) + ",\"entries\":[" + entries
                        + "],\"leaderCommit\":" + random.nextInt(80) + ",\"readRound\":0}";
            }
        };
    }

    private HttpResponse<String> request(int port, String method, String path, byte[] body, String type,
                                         String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            return null; // the server closed a refused request's connection before the client read the answer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (IllegalArgumentException e) {
            return null; // a path the client itself refuses to send
        }
    }

    private static void expect(HttpResponse<String> response, Set<Integer> answers, String what) {
        if (response == null) {
            return;
        }
        assertThat(response.statusCode()).as("%s -> %d %s", what, response.statusCode(), response.body())
                .isIn(answers);
    }

    private byte[] randomBytes(int max) {
        byte[] b = new byte[1 + random.nextInt(max)];
        random.nextBytes(b);
        return b;
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    private long pick(long[] options) {
        return options[random.nextInt(options.length)];
    }

}
