package io.raftex.autoconfigure.admin;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.ClusterConfig;
import io.raftex.core.CommandTimeoutException;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.MembershipChangeException;
import io.raftex.core.NoLeaderException;
import io.raftex.core.RaftGroup;
import io.raftex.core.Role;
import io.raftex.core.UnknownGroupException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * The membership endpoints of {@link RaftAdminController} against a mocked group: how each outcome of
 * {@link RaftGroup#addMember} / {@link RaftGroup#removeMember} is answered, including those a real cluster cannot be
 * made to produce on cue (a change still in progress, no leader, a timeout). Requests go through Spring MVC
 * ({@link MockMvc}), so that the controller's exception handlers and asynchronous answers are what is tested.
 */
class RaftAdminControllerTest {

    private static final String TOKEN = "admin-secret-token";
    private static final String BEARER = "Bearer " + TOKEN;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final GroupStatus STATUS = new GroupStatus("kv", "n1", Role.LEADER, 3, Optional.of("n1"), 10, 10,
            10, 0, true, List.of(
            new GroupStatus.MemberInfo("n1", "http://10.0.0.1:8080", Membership.VOTER, 10, 11),
            new GroupStatus.MemberInfo("n4", "http://10.0.0.4:8080", Membership.PROMOTABLE, 0, 11)));
    private static final ClusterConfig CONFIG = new ClusterConfig(List.of(
            Member.voter("n1", "http://10.0.0.1:8080"),
            new Member(MemberId.of("n4"), "http://10.0.0.4:8080", Membership.PROMOTABLE)));

    private final RaftNodeLifecycle lifecycle = mock(RaftNodeLifecycle.class);
    @SuppressWarnings("unchecked")
    private final RaftGroup<Object, Object> group = mock(RaftGroup.class);
    private final RaftAdminController controller = new RaftAdminController(lifecycle,
            new AdminAccess(Optional.of(TOKEN), false), Duration.ofMillis(200));

    private final MockMvc mvc = MockMvcBuilders.standaloneSetup(controller).build();

    @BeforeEach
    void setUp() {
        doReturn(group).when(lifecycle).group("kv");
        when(lifecycle.group("nope")).thenThrow(new UnknownGroupException("nope"));
        when(group.name()).thenReturn("kv");
        when(group.status()).thenReturn(STATUS);
        when(group.statusAsync()).thenReturn(CompletableFuture.completedFuture(STATUS));
        when(group.addMember(any())).thenReturn(CompletableFuture.completedFuture(CONFIG));
        when(group.removeMember(any())).thenReturn(CompletableFuture.completedFuture(CONFIG));
    }

    private ResponseEntity<byte[]> add(String body) {
        return add(body, BEARER);
    }

    private ResponseEntity<byte[]> add(String body, String authorization) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/raft/admin/groups/kv/members");
        return call(mvc, withBody(request, body), authorization);
    }

    private static MockHttpServletRequest withBody(MockHttpServletRequest request, String body) {
        if (body != null) {
            request.setContent(body.getBytes(StandardCharsets.UTF_8));
        }
        return request;
    }

    private ResponseEntity<byte[]> remove(String group, String id, String authorization) {
        MockHttpServletRequest request = new MockHttpServletRequest("DELETE",
                "/raft/admin/groups/" + group + "/members/" + id);
        return call(mvc, request, authorization);
    }

    /** Sends {@code request} (with {@code authorization}, if any) through {@code mvc} and waits for its answer. */
    private static ResponseEntity<byte[]> call(MockMvc mvc, MockHttpServletRequest request, String authorization) {
        if (authorization != null) {
            request.addHeader(HttpHeaders.AUTHORIZATION, authorization);
        }
        request.setAsyncSupported(true);
        try {
            MvcResult result = mvc.perform(request(org.springframework.http.HttpMethod.valueOf(request.getMethod()), request.getRequestURI())
                    .with(r -> request)).andReturn();
            if (result.getRequest().isAsyncStarted()) {
                result.getAsyncResult(10_000);
                result = mvc.perform(asyncDispatch(result)).andReturn();
            }
            MockHttpServletResponse response = result.getResponse();
            HttpHeaders headers = new HttpHeaders();
            response.getHeaderNames().forEach(name -> headers.addAll(name, response.getHeaders(name)));
            return ResponseEntity.status(response.getStatus()).headers(headers).body(response.getContentAsByteArray());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode problem(ResponseEntity<byte[]> r, int status, String type) {
        assertThat(r.getStatusCode().value()).as(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo(status);
        assertThat(r.getHeaders().getContentType()).hasToString("application/problem+json");
        JsonNode p = JSON.readTree(r.getBody());
        assertThat(p.path("type").asString()).isEqualTo("urn:raftex:problem:" + type);
        assertThat(p.path("status").asInt()).isEqualTo(status);
        assertThat(p.path("title").asString()).isNotBlank();
        assertThat(p.path("detail").asString()).isNotBlank();
        assertThat(p.path("instance").asString()).startsWith("/raft/admin/groups/");
        return p;
    }

    @Test
    void anAddedMemberIsPromotableUnlessToldOtherwiseAndTheAnswerIsTheStatus() {
        ResponseEntity<byte[]> r = add("{\"id\":\"n4\",\"url\":\"http://10.0.0.4:8080/\"}");
        assertThat(r.getStatusCode().value()).isEqualTo(200);
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8))
                .isEqualTo(JSON.writeValueAsString(RaftStatusJson.of(STATUS)));
        // the url as raft.members takes it: without the trailing slash
        verify(group).addMember(new Member(MemberId.of("n4"), "http://10.0.0.4:8080", Membership.PROMOTABLE));

        Map<String, Membership> spelled = Map.of("voter", Membership.VOTER, "promotable", Membership.PROMOTABLE,
                "non-voter", Membership.NON_VOTER);
        spelled.forEach((name, membership) -> {
            assertThat(add("{\"id\":\"n5\",\"url\":\"https://h5:8443\",\"membership\":\"" + name + "\"}")
                    .getStatusCode().value()).isEqualTo(200);
            verify(group).addMember(new Member(MemberId.of("n5"), "https://h5:8443", membership));
        });
        assertThat(add("{\"id\":\"n6\",\"url\":\"http://h6:1\",\"membership\":null}").getStatusCode().value())
                .isEqualTo(200);
        verify(group).addMember(new Member(MemberId.of("n6"), "http://h6:1", Membership.PROMOTABLE));
    }

    @Test
    void aMalformedAdditionIs400AndNothingIsAsked() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(null, "JSON object");
        cases.put("", "JSON object");
        cases.put("{", "not JSON");
        cases.put("[]", "JSON object");
        cases.put("{\"url\":\"http://h:1\"}", "'id' is missing or blank");
        cases.put("{\"id\":\"  \",\"url\":\"http://h:1\"}", "'id' is missing or blank");
        cases.put("{\"id\":4,\"url\":\"http://h:1\"}", "'id' is missing or blank");
        cases.put("{\"id\":\" n4\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\"n4\"}", "'url' is missing or blank");
        cases.put("{\"id\":\"n4\",\"url\":\"\"}", "'url' is missing or blank");
        cases.put("{\"id\":\"n4\",\"url\":\"h:1\"}", "is not a valid member url");
        cases.put("{\"id\":\"n4\",\"url\":\"ftp://h:1\"}", "is not a valid member url");
        cases.put("{\"id\":\"n4\",\"url\":\"/raft\"}", "is not a valid member url");
        cases.put("{\"id\":\"n4\",\"url\":\"http://h:1?x=1\"}", "is not a valid member url");
        cases.put("{\"id\":\"n4\",\"url\":\"http://a b:1\"}", "is not a valid member url");
        // ids a path segment, a file name and a log line can hold as they are
        cases.put("{\"id\":\"a/b\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\"../x\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\"..\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\".\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\"n\\ud800\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\"" + "x".repeat(65) + "\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        cases.put("{\"id\":\"" + "x".repeat(10_000) + "\",\"url\":\"http://h:1\"}", "'id' is not a member id");
        // urls: a port in range, no credentials
        cases.put("{\"id\":\"n4\",\"url\":\"http://h:99999\"}", "port 99999");
        cases.put("{\"id\":\"n4\",\"url\":\"http://h:0\"}", "port 0");
        cases.put("{\"id\":\"n4\",\"url\":\"http://user:secret@h:1\"}", "user information");
        cases.put("{\"id\":\"n4\",\"url\":\"http://h:1\",\"membership\":\"observer\"}",
                "must be one of [voter, promotable, non-voter]");
        cases.put("{\"id\":\"n4\",\"url\":\"http://h:1\",\"membership\":\"VOTER\"}",
                "must be one of [voter, promotable, non-voter]");
        cases.put("{\"id\":\"n4\",\"url\":\"http://h:1\",\"membership\":1}",
                "must be one of [voter, promotable, non-voter]");
        cases.forEach((body, detail) -> assertThat(problem(add(body), 400, "malformed").path("detail").asString())
                .as(body).contains(detail));
        verify(group, never()).addMember(any());
    }

    @Test
    void aRefusedUrlIsNotEchoedWithItsCredentials() {
        ResponseEntity<byte[]> r = add("{\"id\":\"n4\",\"url\":\"http://user:secret@h:1\"}");
        assertThat(problem(r, 400, "malformed").path("detail").asString()).doesNotContain("secret")
                .contains("***@h:1");
    }

    @Test
    void theStatusShowsNoCredentialsOfAMemberUrl() {
        GroupStatus withCredentials = new GroupStatus("kv", "n1", Role.LEADER, 3, Optional.of("n1"), 10, 10, 10, 0,
                true, List.of(new GroupStatus.MemberInfo("n1", "http://user:secret@10.0.0.1:8080/ctx",
                Membership.VOTER, 10, 11)));
        String json = JSON.writeValueAsString(RaftStatusJson.of(withCredentials));
        assertThat(json).doesNotContain("secret").contains("http://***@10.0.0.1:8080/ctx");
    }

    @Test
    void aSecondMemberAtAMembersUrlIs409() {
        problem(add("{\"id\":\"n5\",\"url\":\"http://10.0.0.4:8080\"}"), 409, "address-in-use");
        verify(group, never()).addMember(any());
        // the same member at its own url is a change of its membership, not a conflict
        assertThat(add("{\"id\":\"n4\",\"url\":\"http://10.0.0.4:8080\",\"membership\":\"voter\"}")
                .getStatusCode().value()).isEqualTo(200);
    }

    @Test
    void aBodyPastTheBoundIs413AndARefusedRequestsBodyIsNotRead() {
        String big = "{\"id\":\"n4\",\"url\":\"http://h:1\",\"pad\":\"" + "x".repeat(20_000) + "\"}";
        ResponseEntity<byte[]> r = add(big);
        problem(r, 413, "too-large");
        assertThat(r.getHeaders().getFirst("Connection")).isEqualTo("close");
        MockHttpServletRequest declared = new MockHttpServletRequest("POST", "/raft/admin/groups/kv/members") {
            @Override
            public long getContentLengthLong() {
                return 60L << 20;
            }
        };
        problem(call(mvc, declared, BEARER), 413, "too-large");
        verify(group, never()).addMember(any());

        MockHttpServletRequest unread = new MockHttpServletRequest("POST", "/raft/admin/groups/kv/members") {
            @Override
            public jakarta.servlet.ServletInputStream getInputStream() {
                throw new AssertionError("the body of a request without a token is not read");
            }
        };
        ResponseEntity<byte[]> refused = call(mvc, unread, null);
        problem(refused, 401, "unauthorized");
        assertThat(refused.getHeaders().getFirst("Connection")).isEqualTo("close");
        problem(call(mvc, unread, "Bearer wrong"), 403, "forbidden");
    }

    @Test
    void refusedChangesAre404Or409() {
        when(group.addMember(any())).thenReturn(CompletableFuture.failedFuture(new MembershipChangeException("kv",
                MembershipChangeException.Reason.IN_PROGRESS, "another membership change is not committed yet")));
        assertThat(problem(add("{\"id\":\"n4\",\"url\":\"http://h:1\"}"), 409, "change-in-progress")
                .path("detail").asString()).contains("not committed yet");
        when(group.addMember(any())).thenReturn(CompletableFuture.failedFuture(new MembershipChangeException("kv",
                MembershipChangeException.Reason.CONFLICT, "n4 is a member at another address")));
        problem(add("{\"id\":\"n4\",\"url\":\"http://h:1\"}"), 409, "membership-conflict");

        when(group.removeMember(MemberId.of("n9"))).thenReturn(CompletableFuture.failedFuture(
                new MembershipChangeException("kv", MembershipChangeException.Reason.UNKNOWN_MEMBER, "n9 is not a member")));
        assertThat(problem(remove("kv", "n9", BEARER), 404, "unknown-member").path("detail").asString())
                .contains("n9");
        when(group.removeMember(MemberId.of("n1"))).thenReturn(CompletableFuture.failedFuture(
                new MembershipChangeException("kv", MembershipChangeException.Reason.CONFLICT, "n1 is the last voter")));
        problem(remove("kv", "n1", BEARER), 409, "membership-conflict");
        when(group.removeMember(MemberId.of("n4"))).thenReturn(CompletableFuture.failedFuture(
                new MembershipChangeException("kv", MembershipChangeException.Reason.IN_PROGRESS, "in progress")));
        problem(remove("kv", "n4", BEARER), 409, "change-in-progress");
    }

    @Test
    void aRemovalAnswersTheStatusOnceCommitted() {
        ResponseEntity<byte[]> r = remove("kv", "n4", BEARER);
        assertThat(r.getStatusCode().value()).isEqualTo(200);
        assertThat(r.getHeaders().getContentType()).hasToString("application/json");
        assertThat(JSON.readTree(r.getBody()).path("members").size()).isEqualTo(2);
        verify(group).removeMember(MemberId.of("n4"));
        problem(remove("kv", " n4", BEARER), 400, "malformed");
    }

    @Test
    void noLeaderIs503WithRetryAfterAndATimeoutIs504() {
        when(group.addMember(any())).thenReturn(CompletableFuture.failedFuture(new NoLeaderException("kv",
                "no leader")));
        ResponseEntity<byte[]> r = add("{\"id\":\"n4\",\"url\":\"http://h:1\"}");
        problem(r, 503, "no-leader");
        assertThat(r.getHeaders().getFirst("Retry-After")).isEqualTo("1");

        when(group.removeMember(any())).thenReturn(CompletableFuture.failedFuture(new CommandTimeoutException(
                "not known to be committed")));
        assertThat(problem(remove("kv", "n4", BEARER), 504, "timeout").path("detail").asString())
                .contains("may still take effect");
        // the core never answers: the controller stops waiting a second after the command timeout
        when(group.removeMember(any())).thenReturn(new CompletableFuture<>());
        problem(remove("kv", "n4", BEARER), 504, "timeout");

        when(group.addMember(any())).thenReturn(CompletableFuture.failedFuture(new GroupStoppedException("stopped",
                null)));
        ResponseEntity<byte[]> stopped = add("{\"id\":\"n4\",\"url\":\"http://h:1\"}");
        problem(stopped, 503, "not-running");
        assertThat(stopped.getHeaders().getFirst("Retry-After")).isEqualTo("1");
    }

    @Test
    void tokenAndGroupAreCheckedFirst() {
        String body = "{\"id\":\"n4\",\"url\":\"http://h:1\"}";
        ResponseEntity<byte[]> missing = add(body, null);
        problem(missing, 401, "unauthorized");
        assertThat(missing.getHeaders().getFirst("WWW-Authenticate")).startsWith("Bearer");
        problem(add(body, "Bearer wrong"), 403, "forbidden");
        problem(remove("kv", "n4", null), 401, "unauthorized");
        problem(remove("kv", "n4", "Bearer wrong"), 403, "forbidden");
        problem(add("not even json", null), 401, "unauthorized");
        problem(remove("nope", "n4", BEARER), 404, "unknown-group");
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/raft/admin/groups/nope/members");
        problem(call(mvc, withBody(request, body), BEARER), 404,
                "unknown-group");
        verify(group, never()).addMember(any());
        verify(group, never()).removeMember(any());

        RaftAdminController disabled = new RaftAdminController(lifecycle, new AdminAccess(Optional.empty(), false),
                Duration.ofMillis(200));
        problem(call(MockMvcBuilders.standaloneSetup(disabled).build(), new MockHttpServletRequest("DELETE",
                "/raft/admin/groups/kv/members/n4"), BEARER), 403, "admin-disabled");
    }

    private ResponseEntity<byte[]> transfer(String body) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/raft/admin/groups/kv/transfer-leadership");
        return call(mvc, withBody(request, body), BEARER);
    }

    @Test
    void aTransferToAMemberTheCoreRefusesIs404Or409() {
        when(group.transferLeadership(MemberId.of("n4"))).thenReturn(CompletableFuture.failedFuture(
                new MembershipChangeException("kv", MembershipChangeException.Reason.CONFLICT, "n4 does not vote")));
        assertThat(problem(transfer("{\"target\":\"n4\"}"), 409, "not-a-voter")
                .path("detail").asString()).contains("does not vote");
        // the status listed it, the core no longer has it (removed meanwhile)
        when(group.transferLeadership(MemberId.of("n4"))).thenReturn(CompletableFuture.failedFuture(
                new MembershipChangeException("kv", MembershipChangeException.Reason.UNKNOWN_MEMBER, "not a member")));
        problem(transfer("{\"target\":\"n4\"}"), 404, "unknown-member");
        problem(transfer("{\"target\":\"n7\"}"), 404, "unknown-member");
        when(group.transferLeadership(MemberId.of("n4"))).thenReturn(CompletableFuture.failedFuture(
                new IllegalStateException("member n1 of group 'kv' is not the leader; the leader is n4")));
        problem(transfer("{\"target\":\"n4\"}"), 409, "not-leader");
    }

    @Test
    void aTransferIsAnsweredWithTheStatusOr400Or409Or504() {
        when(group.transferLeadership(MemberId.of("n4"))).thenReturn(CompletableFuture.completedFuture(null));
        when(group.metrics()).thenReturn(mock(io.raftex.core.GroupMetrics.class));
        ResponseEntity<byte[]> done = transfer("{\"target\":\"n4\"}");
        assertThat(done.getStatusCode().value()).isEqualTo(200);
        assertThat(JSON.readTree(done.getBody()).path("group").asString()).isEqualTo("kv");

        problem(transfer("{}"), 400, "malformed");
        problem(transfer("[1]"), 400, "malformed");
        when(group.transferLeadership(MemberId.of("n4"))).thenReturn(CompletableFuture.failedFuture(
                new CommandTimeoutException("no")));
        assertThat(problem(transfer("{\"target\":\"n4\"}"), 504, "timeout").path("detail").asString())
                .contains("did not pass to n4");
        // the core never answers: the controller stops waiting after the command timeout
        when(group.transferLeadership(MemberId.of("n4"))).thenReturn(new CompletableFuture<>());
        problem(transfer("{\"target\":\"n4\"}"), 504, "timeout");

        GroupStatus follower = new GroupStatus("kv", "n1", Role.FOLLOWER, 3, Optional.of("n4"), 10, 10, 10, 0, true,
                STATUS.members());
        when(group.statusAsync()).thenReturn(CompletableFuture.completedFuture(follower));
        assertThat(problem(transfer("{\"target\":\"n4\"}"), 409, "not-leader").path("detail").asString())
                .contains("(n4)");
    }

    @Test
    void aSnapshotIsAnsweredWithItsIndexOr501Or409Or503() {
        when(group.self()).thenReturn(MemberId.of("n1"));
        when(group.snapshot()).thenReturn(CompletableFuture.completedFuture(new io.raftex.core.snapshot.SnapshotMeta(
                7, 2, CONFIG)));
        ResponseEntity<byte[]> taken = snapshot("kv");
        assertThat(taken.getStatusCode().value()).isEqualTo(200);
        assertThat(new String(taken.getBody(), StandardCharsets.UTF_8))
                .isEqualTo("{\"group\":\"kv\",\"nodeId\":\"n1\",\"snapshotIndex\":7,\"snapshotTerm\":2}");

        when(group.snapshot()).thenReturn(CompletableFuture.failedFuture(new UnsupportedOperationException("no")));
        problem(snapshot("kv"), 501, "snapshots-unsupported");
        when(group.snapshot()).thenReturn(CompletableFuture.failedFuture(new IllegalStateException("nothing")));
        problem(snapshot("kv"), 409, "nothing-to-snapshot");
        when(group.snapshot()).thenReturn(CompletableFuture.failedFuture(new GroupStoppedException("stopped", null)));
        ResponseEntity<byte[]> stopped = snapshot("kv");
        assertThat(problem(stopped, 503, "not-running").path("detail").asString()).contains("'kv'");
        assertThat(stopped.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        // a failure no handler answers is the operation's own 500
        when(group.snapshot()).thenReturn(CompletableFuture.failedFuture(new java.io.UncheckedIOException(
                new java.io.IOException("disk full"))));
        assertThat(problem(snapshot("kv"), 500, "snapshot-failed").path("detail").asString()).contains("disk full");
        problem(snapshot("nope"), 404, "unknown-group");
        problem(call(mvc, new MockHttpServletRequest("POST", "/raft/admin/groups/kv/snapshot"), null), 401,
                "unauthorized");
    }

    @Test
    void readsAnswerTheStatusOr404Or503() {
        ResponseEntity<byte[]> one = call(mvc, new MockHttpServletRequest("GET", "/raft/admin/groups/kv"), null);
        assertThat(one.getStatusCode().value()).isEqualTo(200);
        assertThat(new String(one.getBody(), StandardCharsets.UTF_8))
                .isEqualTo(JSON.writeValueAsString(RaftStatusJson.of(STATUS)));
        when(lifecycle.groupNames()).thenReturn(List.of("kv"));
        ResponseEntity<byte[]> all = call(mvc, new MockHttpServletRequest("GET", "/raft/admin/groups"), null);
        assertThat(JSON.readTree(all.getBody()).size()).isEqualTo(1);

        problem(call(mvc, new MockHttpServletRequest("GET", "/raft/admin/groups/nope"), null), 404, "unknown-group");
        when(group.statusAsync()).thenReturn(CompletableFuture.failedFuture(new GroupStoppedException("stopped",
                null)));
        ResponseEntity<byte[]> stopped = call(mvc, new MockHttpServletRequest("GET", "/raft/admin/groups/kv"), null);
        problem(stopped, 503, "not-running");
        assertThat(stopped.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        // a group stopping while the list is read is left out
        all = call(mvc, new MockHttpServletRequest("GET", "/raft/admin/groups"), null);
        assertThat(JSON.readTree(all.getBody()).size()).isZero();
    }

    private ResponseEntity<byte[]> snapshot(String group) {
        return call(mvc, new MockHttpServletRequest("POST", "/raft/admin/groups/" + group + "/snapshot"), BEARER);
    }
}
