package io.raftex.autoconfigure.actuate;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small HTTP helpers for tests against running nodes: JSON, problem details and Prometheus scrapes. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Http() {
    }

    /** An answer: status, content type and body. */
    public record Answer(int status, String contentType, String body) {
        public JsonNode json() {
            return JSON.readTree(body);
        }
    }

    public static Answer get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), null);
    }

    public static Answer get(String url, String bearer) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), bearer);
    }

    public static Answer post(String url, String body, String bearer) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)), bearer);
    }

    public static Answer delete(String url, String bearer) {
        return send(HttpRequest.newBuilder(URI.create(url)).DELETE(), bearer);
    }

    private static Answer send(HttpRequest.Builder request, String bearer) {
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            HttpResponse<String> r = CLIENT.send(request.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The value of a Prometheus sample in {@code scrape} with that name and {@code group="<group>"} among its labels
     * and every one of {@code labels} (such as {@code outcome="success"}) among them (the first one), or NaN if there
     * is none.
     */
    public static double sample(String scrape, String name, String group, String... labels) {
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)", Pattern.MULTILINE);
        Matcher m = p.matcher(scrape);
        while (m.find()) {
            if ((group == null || m.group(1).contains("group=\"" + group + "\""))
                    && java.util.Arrays.stream(labels).allMatch(m.group(1)::contains)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return Double.NaN;
    }
}
