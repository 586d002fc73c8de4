package io.raftex.demo;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A small HTTP client for the store's API in tests: real requests to a node's port, JSON answers parsed. */
final class Http {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;

    Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** A response: status, content type, headers and the body parsed as JSON (null if empty or not JSON). */
    record Response(int status, String contentType, HttpResponse<String> raw, JsonNode json) {

        Optional<String> header(String name) {
            return raw.headers().firstValue(name);
        }

        String text(String field) {
            JsonNode node = json.get(field);
            return node == null || node.isNull() ? null : node.asString();
        }

        long number(String field) {
            return json.get(field).asLong();
        }

        boolean isProblem() {
            return contentType.startsWith("application/problem+json");
        }

        @Override
        public String toString() {
            return status + " " + contentType + " " + raw.body();
        }
    }

    static String key(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    }

    Response put(String key, String jsonBody) {
        return send("PUT", "/kv/" + key(key), jsonBody, "application/json");
    }

    Response get(String key) {
        return send("GET", "/kv/" + key(key), null, null);
    }

    Response get(String key, String consistency) {
        return send("GET", "/kv/" + key(key) + "?consistency=" + consistency, null, null);
    }

    Response cas(String key, String jsonBody) {
        return send("POST", "/kv/" + key(key) + "/cas", jsonBody, "application/json");
    }

    Response delete(String key) {
        return send("DELETE", "/kv/" + key(key), null, null);
    }

    static String value(String v) {
        return JSON.writeValueAsString(java.util.Map.of("value", v));
    }

    Response send(String method, String path, String body, String contentType) {
        try {
            return sendAsync(method, path, body, contentType).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e.getCause(), e.getCause());
        }
    }

    CompletableFuture<Response> sendAsync(String method, String path, String body, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return CLIENT.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(Http::parse);
    }

    /** Sends {@code body} as it is, byte for byte (for bodies that are not valid UTF-8). */
    Response sendBytes(String method, String path, byte[] body, String contentType) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", contentType).build();
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(Http::parse).join();
    }

    private static Response parse(HttpResponse<String> response) {
        String type = response.headers().firstValue("Content-Type").orElse("");
        JsonNode json = null;
        if (type.contains("json") && !response.body().isEmpty()) {
            try {
                json = JSON.readTree(response.body());
            } catch (RuntimeException e) {
                throw new IllegalStateException("not JSON: " + response.body(), e);
            }
        }
        return new Response(response.statusCode(), type, response, json);
    }
}
