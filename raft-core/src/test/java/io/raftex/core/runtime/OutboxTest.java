package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.TimeoutNow;
import io.raftex.core.transport.Transport;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Outbox}: addresses from the configuration in force, else from every member known; drops the rest. */
class OutboxTest {

    private static final MemberId N1 = MemberId.of("n1");

    /** Writes down each message with the address it went to; refuses while {@code refusing}. */
    private static final class RecordingTransport implements Transport {
        final List<String> sent = new ArrayList<>();
        boolean refusing;

        @Override
        public void start(InboundHandler inbound) {
        }

        @Override
        public void send(Member to, RaftMessage message) {
            if (refusing) {
                throw new IllegalStateException("queue full");
            }
            sent.add(message.to().value() + "@" + to.address());
        }

        @Override
        public void close() {
        }
    }

    private final RecordingTransport transport = new RecordingTransport();
    private final Outbox outbox = new Outbox("g", N1, transport);

    private static RaftMessage to(String id) {
        return new TimeoutNow("g", N1, MemberId.of(id), 1);
    }

    private static ClusterConfig config(Member... members) {
        return new ClusterConfig(List.of(members));
    }

    @Test
    void aMemberOfTheConfigurationInForceIsSentToAtItsAddressThere() {
        outbox.learn(config(Member.voter("n1", "a1"), Member.voter("n2", "old-a2")));
        outbox.send(config(Member.voter("n1", "a1"), Member.voter("n2", "a2")), to("n2"));
        assertThat(transport.sent).containsExactly("n2@a2");
    }

    @Test
    void aMemberTheConfigurationInForceNoLongerNamesIsSentToAtTheAddressLastKnown() {
        outbox.learn(config(Member.voter("n1", "a1"), Member.voter("n3", "bootstrap-a3")));
        ClusterConfig withN3 = config(Member.voter("n1", "a1"), Member.voter("n3", "a3"));
        outbox.send(withN3, to("n3"));
        ClusterConfig withoutN3 = config(Member.voter("n1", "a1"), Member.voter("n2", "a2"));
        outbox.send(withoutN3, to("n3"));
        outbox.send(withoutN3, to("n2"));
        assertThat(transport.sent).as("the address of the configuration n3 was last in, not the bootstrap one")
                .containsExactly("n3@a3", "n3@a3", "n2@a2");
    }

    @Test
    void aNodeNotYetAddedAnswersALeaderItKnowsOnlyFromTheBootstrapList() {
        outbox.learn(config(Member.voter("n2", "a2")));
        outbox.send(config(Member.voter("n2", "a2")), to("n2"));
        assertThat(transport.sent).containsExactly("n2@a2");
    }

    @Test
    void aMessageToNobodyKnownIsDropped() {
        outbox.learn(config(Member.voter("n1", "a1")));
        outbox.send(config(Member.voter("n1", "a1")), to("n9"));
        assertThat(transport.sent).isEmpty();
    }

    @Test
    void aMessageTheTransportRefusesIsDroppedAndSendingGoesOn() {
        ClusterConfig config = config(Member.voter("n1", "a1"), Member.voter("n2", "a2"));
        transport.refusing = true;
        outbox.send(config, to("n2"));
        transport.refusing = false;
        outbox.send(config, to("n2"));
        assertThat(transport.sent).containsExactly("n2@a2");
    }
}
