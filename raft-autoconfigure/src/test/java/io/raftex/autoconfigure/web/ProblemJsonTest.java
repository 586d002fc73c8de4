package io.raftex.autoconfigure.web;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.mock.web.MockHttpServletResponse;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The problem details {@link ProblemJson} writes for the admin API, the peer endpoints and servlets. */
class ProblemJsonTest {

    @Test
    void aRaftexProblemHasItsTypeAndTheFieldsInOrder() {
        ProblemDetail problem = ProblemJson.of(HttpStatus.CONFLICT, "not-leader", "Not the leader", "ask n2");
        assertThat(new String(ProblemJson.bytes(problem, "/raft/admin/groups/kv/x"), StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"urn:raftex:problem:not-leader\",\"title\":\"Not the leader\",\"status\":409,"
                        + "\"detail\":\"ask n2\",\"instance\":\"/raft/admin/groups/kv/x\"}");
    }

    @Test
    void aBlankTypeIsLeftOutAndPropertiesFollowAndTheInstanceIsTakenAsItIs() {
        ProblemDetail problem = ProblemJson.blank(HttpStatus.NOT_FOUND, "Key not found", "absent");
        problem.setProperty("key", "a|b");
        assertThat(new String(ProblemJson.bytes(problem, "/kv/a|b{"), StandardCharsets.UTF_8))
                .isEqualTo("{\"title\":\"Key not found\",\"status\":404,\"detail\":\"absent\",\"instance\":\"/kv/a|b{\","
                        + "\"key\":\"a|b\"}");
    }

    @Test
    void writingSetsStatusTypeAndLengthAndLeavesTheBodyOutForHead() throws Exception {
        ProblemDetail problem = ProblemJson.of(HttpStatus.SERVICE_UNAVAILABLE, "not-running", "Not running", "later");
        MockHttpServletResponse response = new MockHttpServletResponse();
        response.setHeader("Retry-After", "1");
        ProblemJson.write(response, problem, "/raft/stream", true);
        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getContentType()).isEqualTo("application/problem+json");
        assertThat(response.getContentLength()).isEqualTo(response.getContentAsByteArray().length).isPositive();
        assertThat(response.getHeader("Retry-After")).isEqualTo("1");

        MockHttpServletResponse head = new MockHttpServletResponse();
        ProblemJson.write(head, problem, "/raft/stream", false);
        assertThat(head.getContentLength()).isEqualTo(response.getContentLength());
        assertThat(head.getContentAsByteArray()).isEmpty();
    }
}
