package io.raftex.autoconfigure.security;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** Requests with the credentials the security tests need: none, a bearer token, or HTTP Basic. */
final class SecurityHttp {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SecurityHttp() {
    }

    /** An answer: status, {@code Location} (of a redirect) and body. */
    record Answer(int status, String location, String body) {
        /** The {@code type} of a problem detail body, or null. */
        String problemType() {
            try {
                JsonNode type = JSON.readTree(body).get("type");
                return type == null ? null : type.asString();
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    static Answer get(String url, String authorization) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), authorization);
    }

    static Answer post(String url, String contentType, String body, String authorization) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)), authorization);
    }

    private static Answer send(HttpRequest.Builder request, String authorization) {
        // what a script or a peer sends: JSON wanted, no browser
        request.header("Accept", "application/json, application/problem+json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            HttpResponse<String> r = CLIENT.send(request.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValue("Location").orElse(null), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
