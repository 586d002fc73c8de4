package io.raftex.core.runtime;

import ch.qos.logback.classic.Level;
import io.raftex.core.ClusterConfig;
import io.raftex.core.LogCapture;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.PreVoteResponse;
import io.raftex.core.protocol.ProtocolConfig;
import io.raftex.core.protocol.RaftMember;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** What the watch logs of a peer's report that this member was removed: once when it comes, once when it ends. */
class IncarnationWatchTest {

    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");
    private static final MemberId N3 = MemberId.of("n3");
    private static final ClusterConfig THREE = ClusterConfig.ofVoters(List.of(Member.voter("n1", "a1"),
            Member.voter("n2", "a2"), Member.voter("n3", "a3")));

    @Test
    void aPeersReportOfThisMembersRemovalIsLoggedOnceAndItsEndOnce() {
        try (LogCapture lines = new LogCapture(GroupRuntime.class.getName(), Level.INFO)) {
            RaftMember n3 = new RaftMember("g", N3, ProtocolConfig.defaults(),
                    new InMemoryGroupLog(new PersistentState(1, Optional.empty(), THREE)), new Random(1));
            IncarnationWatch watch = new IncarnationWatch("g", N3);
            watch.check(n3);
            lines.clear(); // whatever the start says of incarnations

            n3.handle(new PreVoteResponse("g", N2, N3, 1, false, 0, 7));
            watch.check(n3);
            watch.check(n3);
            assertThat(lines.events()).singleElement().satisfies(line -> {
                assertThat(line.getLevel()).isEqualTo(Level.WARN);
                assertThat(line.getFormattedMessage()).contains("member n2").contains("index 7")
                        .contains("leaves this node out");
            });

            lines.clear();
            n3.handle(new AppendEntriesRequest("g", N1, N3, 1, 0, 0, List.of(), 0, 0));
            watch.check(n3);
            watch.check(n3);
            assertThat(lines.events()).singleElement().satisfies(line -> assertThat(line.getFormattedMessage())
                    .contains("no longer holds"));
        }
    }
}
