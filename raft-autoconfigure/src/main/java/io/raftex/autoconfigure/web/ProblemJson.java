package io.raftex.autoconfigure.web;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an RFC 9457 {@link ProblemDetail} as {@code application/problem+json}, for the RaftEx endpoints that answer
 * without Spring MVC's message converters (the peer stream, the peer RPC endpoint, the admin API, servlets of an
 * application such as the demo's store). The fields come in the order {@code type}, {@code title}, {@code status},
 * {@code detail}, {@code instance}, then the problem's own properties; {@code type} is left out when it is
 * {@code about:blank}. A private JSON mapper writes them, so the application's Jackson settings do not change them.
 */
public final class ProblemJson {

    /** Prefix of the {@code type} of RaftEx's own problems: {@code urn:raftex:problem:<kind>}. */
    public static final String TYPE_BASE = "urn:raftex:problem:";

    /** {@code application/problem+json}. */
    public static final String MEDIA_TYPE = MediaType.APPLICATION_PROBLEM_JSON_VALUE;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final URI BLANK = URI.create("about:blank");

    private ProblemJson() {
    }

    /** A problem of type {@code urn:raftex:problem:<kind>}. */
    public static ProblemDetail of(HttpStatusCode status, String kind, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + kind));
        problem.setTitle(title);
        return problem;
    }

    /** A problem of type {@code about:blank} (left out of the JSON). */
    public static ProblemDetail blank(HttpStatusCode status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }

    /**
     * The JSON of {@code problem}.
     *
     * @param instance the request path to name as {@code instance} (taken as it is, not parsed as a URI), or null for
     *                 the problem's own {@code instance}, if any
     */
    public static byte[] bytes(ProblemDetail problem, String instance) {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (problem.getType() != null && !BLANK.equals(problem.getType())) {
            fields.put("type", problem.getType().toString());
        }
        if (problem.getTitle() != null) {
            fields.put("title", problem.getTitle());
        }
        fields.put("status", problem.getStatus());
        if (problem.getDetail() != null) {
            fields.put("detail", problem.getDetail());
        }
        if (instance != null) {
            fields.put("instance", instance);
        } else if (problem.getInstance() != null) {
            fields.put("instance", problem.getInstance().toString());
        }
        if (problem.getProperties() != null) {
            fields.putAll(problem.getProperties());
        }
        return JSON.writeValueAsBytes(fields);
    }

    /**
     * Answers with {@code problem}: its status, {@code Content-Type: application/problem+json}, the length and (unless
     * {@code withBody} is false, as for {@code HEAD}) the body. Headers set before stay.
     *
     * @param instance as for {@link #bytes(ProblemDetail, String)}
     */
    public static void write(HttpServletResponse response, ProblemDetail problem, String instance, boolean withBody)
            throws IOException {
        byte[] body = bytes(problem, instance);
        response.setStatus(problem.getStatus());
        response.setContentType(MEDIA_TYPE);
        response.setContentLength(body.length);
        if (withBody) {
            response.getOutputStream().write(body);
        }
    }
}
