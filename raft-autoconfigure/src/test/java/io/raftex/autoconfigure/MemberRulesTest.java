package io.raftex.autoconfigure;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@link MemberRules} takes as a member id and a member url, and how it redacts credentials. */
class MemberRulesTest {

    @Test
    void idsAreShortAndNeedNoEscaping() {
        for (String id : List.of("n1", "node-2", "a.b_c", "x".repeat(64), "...", "N")) {
            assertThat(MemberRules.idProblem(id)).as(id).isEmpty();
        }
        for (String id : List.of("", ".", "..", "a/b", "../x", "a b", "x".repeat(65), "n\ud800", "n\u00e9", "a%2Fb",
                "a\nb")) {
            assertThat(MemberRules.idProblem(id)).as(id).isPresent();
        }
        assertThat(MemberRules.idProblem(null)).isPresent();
        assertThat(MemberRules.idProblem("x".repeat(10_000)).orElseThrow()).hasSizeLessThan(300);
    }

    @Test
    void urlsAreHttpWithAHostAPortInRangeAndNoCredentials() {
        assertThat(MemberRules.baseUrl("http://10.0.0.4:8080/")).isEqualTo("http://10.0.0.4:8080");
        assertThat(MemberRules.baseUrl(" https://h ")).isEqualTo("https://h");
        assertThat(MemberRules.baseUrl("http://h:65535/ctx")).isEqualTo("http://h:65535/ctx");
        assertThat(MemberRules.baseUrl("http://[::1]:1")).isEqualTo("http://[::1]:1");
        for (String url : List.of("", "h:1", "ftp://h:1", "http://h:0", "http://h:99999", "http://h:65536",
                "http://u@h:1", "http://u:p@h:1", "http://h:1?q", "http://h:1#f", "http:///x", "http://a b:1")) {
            assertThat(MemberRules.isValidUrl(url)).as(url).isFalse();
        }
        assertThatThrownBy(() -> MemberRules.baseUrl("http://user:secret@h:1"))
                .hasMessageContaining("credentials").hasMessageNotContaining("secret");
    }

    @Test
    void redactionHidesUserInformationOnly() {
        assertThat(MemberRules.redact("http://user:pass@h:1/p")).isEqualTo("http://***@h:1/p");
        assertThat(MemberRules.redact("http://h:1/p@q")).isEqualTo("http://h:1/p@q");
        assertThat(MemberRules.redact("http://h:1")).isEqualTo("http://h:1");
        assertThat(MemberRules.redact("u:p@h")).isEqualTo("***@h");
    }
}
