package io.raftex.autoconfigure.transport;

import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.MembershipChangeRequest;
import io.raftex.core.message.MembershipChangeResponse;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteRequest;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RaftMessageJsonTest {

    private final RaftMessageJson json = new RaftMessageJson();
    private static final MemberId N1 = MemberId.of("n1");
    private static final MemberId N2 = MemberId.of("n2");

    @Test
    void everyMessageTypeRoundTrips() throws Exception {
        List<Class<?>> types = RaftMessageJson.messageTypes(RaftMessage.class);
        assertThat(types).hasSizeGreaterThanOrEqualTo(11);
        for (Class<?> type : types) {
            RaftMessage message = sample(type);
            byte[] encoded = json.encode(message);
            assertThat(new String(encoded, StandardCharsets.UTF_8)).contains("\"type\":\"" + type.getSimpleName() + "\"");
            List<RaftMessage> decoded = json.decodeBatch(json.batch("n1", List.of(encoded)));
            assertThat(decoded).hasSize(1);
            assertSame(message, decoded.get(0));
        }
    }

    @Test
    void theFieldsTheCoreLeavesNullOnPurposeTravelAsNull() throws Exception {
        // a removal has no membership; an accepted change no rejection
        List<RaftMessage> messages = List.of(
                new MembershipChangeRequest("kv", N1, N2, 3, 9, true, MemberId.of("n3"), "", null),
                new MembershipChangeRequest("kv", N1, N2, 3, 9, false, MemberId.of("n3"), "http://h:1",
                        Membership.PROMOTABLE),
                new MembershipChangeResponse("kv", N2, N1, 3, 9, null, 12, 3));
        for (RaftMessage m : messages) {
            byte[] encoded = json.encode(m);
            assertSame(m, json.decodeBatch(json.batch("n1", List.of(encoded))).get(0));
        }
        assertThat(new String(json.encode(messages.get(0)), StandardCharsets.UTF_8)).contains("\"membership\":null");
        // every other field stays required and non-null
        String removal = "{\"type\":\"MembershipChangeRequest\",\"group\":\"kv\",\"from\":\"n1\",\"to\":\"n2\","
                + "\"term\":3,\"requestId\":9,\"remove\":true,\"member\":%s,\"address\":%s,\"membership\":null}";
        assertThat(json.decodeBatch(String.format(removal, "\"n3\"", "\"\"").getBytes(StandardCharsets.UTF_8)))
                .hasSize(1);
        for (String bad : List.of(String.format(removal, "null", "\"\""), String.format(removal, "\"n3\"", "null"),
                "{\"type\":\"MembershipChangeResponse\",\"group\":\"kv\",\"from\":\"n1\",\"to\":\"n2\",\"term\":3,"
                        + "\"requestId\":9,\"index\":12,\"entryTerm\":3}")) {
            assertThatThrownBy(() -> json.decodeBatch(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(RaftMessageJson.MalformedBatchException.class);
        }
    }

    @Test
    void entriesCarryPayloadsAsBase64() {
        byte[] payload = {0, 1, 2, (byte) 0xff, 'x'};
        AppendEntriesRequest request = new AppendEntriesRequest("kv", N1, N2, 3, 5, 2,
                List.of(new LogEntry(6, 3, EntryType.COMMAND, -42, 7, 6, 1234, payload), LogEntry.noop(7, 3, 99)),
                5, 11);
        String text = new String(json.encode(request), StandardCharsets.UTF_8);
        assertThat(text).contains("\"payload\":\"AAEC/3g=\"").contains("\"from\":\"n1\"");
        AppendEntriesRequest back = (AppendEntriesRequest) json.decodeBatch(text.getBytes(StandardCharsets.UTF_8)).get(0);
        assertThat(back.entries()).isEqualTo(request.entries());
        assertThat(back.entries().get(0).payload()).isEqualTo(payload);
    }

    @Test
    void acceptsABareArrayOrOneMessageAndLenientTypeNames() {
        String one = "{\"type\":\"vote-request\",\"group\":\"g\",\"from\":\"n1\",\"to\":\"n2\",\"term\":2,"
                + "\"lastLogIndex\":1,\"lastLogTerm\":1,\"transfer\":false}";
        assertThat(json.decodeBatch(one.getBytes(StandardCharsets.UTF_8)))
                .containsExactly(new VoteRequest("g", N1, N2, 2, 1, 1, false));
        assertThat(json.decodeBatch(("[" + one + "," + one + "]").getBytes(StandardCharsets.UTF_8))).hasSize(2);
    }

    @Test
    void refusesMissingNullOrMistypedFields() {
        String[] bad = {
            "", "null", "42", "[1]", "{\"messages\":{}}", "{}", "{\"messages\":[{\"type\":\"Nope\"}]}",
            "{\"messages\":[{\"type\":\"VoteRequest\",\"group\":\"g\",\"from\":\"n1\",\"to\":\"n2\"}]}",
            "{\"messages\":[{\"type\":\"VoteRequest\",\"group\":null,\"from\":\"n1\",\"to\":\"n2\",\"term\":2,"
                    + "\"lastLogIndex\":1,\"lastLogTerm\":1,\"transfer\":false}]}",
            "{\"messages\":[{\"type\":\"VoteRequest\",\"group\":\"g\",\"from\":\" \",\"to\":\"n2\",\"term\":2,"
                    + "\"lastLogIndex\":1,\"lastLogTerm\":1,\"transfer\":false}]}",
            "{\"messages\":[{\"type\":\"VoteRequest\",\"group\":\"g\",\"from\":\"n1\",\"to\":\"n2\",\"term\":\"x\","
                    + "\"lastLogIndex\":1,\"lastLogTerm\":1,\"transfer\":false}]}",
            "{\"messages\":[{\"type\":\"AppendEntriesRequest\",\"group\":\"g\",\"from\":\"n1\",\"to\":\"n2\",\"term\":2,"
                    + "\"prevLogIndex\":0,\"prevLogTerm\":0,\"entries\":[null],\"leaderCommit\":0,\"readRound\":0}]}",
            "{\"messages\":[{\"type\":\"AppendEntriesRequest\",\"group\":\"g\",\"from\":\"n1\",\"to\":\"n2\",\"term\":2,"
                    + "\"prevLogIndex\":0,\"prevLogTerm\":0,\"entries\":[{\"index\":0,\"term\":1,\"type\":\"NOOP\","
                    + "\"clientId\":0,\"sequence\":0,\"ackedBelow\":0,\"leaderTime\":0,\"payload\":\"\"}],"
                    + "\"leaderCommit\":0,\"readRound\":0}]}",
            "{\"messages\":[]} trailing",
        };
        for (String body : bad) {
            assertThatThrownBy(() -> json.decodeBatch(body.getBytes(StandardCharsets.UTF_8)))
                    .as(body).isInstanceOf(RaftMessageJson.MalformedBatchException.class);
        }
    }

    private static void assertSame(RaftMessage expected, RaftMessage actual) throws Exception {
        assertThat(actual.getClass()).isEqualTo(expected.getClass());
        for (RecordComponent c : expected.getClass().getRecordComponents()) {
            Object a = c.getAccessor().invoke(expected);
            Object b = c.getAccessor().invoke(actual);
            if (a instanceof byte[] x) {
                assertThat((byte[]) b).as(c.getName()).isEqualTo(x);
            } else {
                assertThat(b).as(c.getName()).isEqualTo(a);
            }
        }
    }

    /** A message of {@code type} with a distinct value in every component. */
    static RaftMessage sample(Class<?> type) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            args[i] = sampleValue(components[i], i);
        }
        Constructor<?> ctor = type.getDeclaredConstructor(types);
        return (RaftMessage) ctor.newInstance(args);
    }

    private static Object sampleValue(RecordComponent c, int i) {
        Class<?> t = c.getType();
        if (c.getName().equals("from")) {
            return N1;
        }
        if (c.getName().equals("to")) {
            return N2;
        }
        if (t == String.class) {
            return "group-" + i;
        }
        if (t == long.class) {
            return 1000L + i;
        }
        if (t == int.class) {
            return 100 + i;
        }
        if (t == boolean.class) {
            return i % 2 == 0;
        }
        if (t == MemberId.class) {
            return MemberId.of("m" + i);
        }
        if (t == byte[].class) {
            return new byte[] {1, 2, 3, (byte) i};
        }
        if (t == List.class) {
            List<LogEntry> entries = new ArrayList<>();
            entries.add(new LogEntry(5, 2, EntryType.COMMAND, 9, 3, 2, 77, new byte[] {9, 8}));
            entries.add(LogEntry.noop(6, 2, 78));
            return entries;
        }
        if (t.isEnum()) {
            return t.getEnumConstants()[0];
        }
        throw new IllegalArgumentException("no sample for " + c);
    }

    @Test
    void anAnswerWithoutAnIncarnationFromAPeerOfAnEarlierVersionDecodesAsIncarnationZero() {
        String old = "{\"type\":\"VoteResponse\",\"group\":\"g\",\"from\":\"n2\",\"to\":\"n1\",\"term\":3,"
                + "\"granted\":true}";
        assertThat(json.decodeBatch(old.getBytes(StandardCharsets.UTF_8)))
                .containsExactly(new io.raftex.core.message.VoteResponse("g", MemberId.of("n2"), N1, 3, true, 0));
        io.raftex.core.message.AppendEntriesResponse withOne = new io.raftex.core.message.AppendEntriesResponse("g",
                MemberId.of("n2"), N1, 3, true, 7, 0, 0, 0, 1, 0x1234_5678_9abc_def0L);
        assertThat(json.decodeBatch(json.batch("n2", List.of(json.encode(withOne))))).containsExactly(withOne);
    }

    @Test
    void aVoteAnswerWithoutRemovedAtIndexDecodesAsSayingNothingOfMembership() {
        String old = "{\"type\":\"PreVoteResponse\",\"group\":\"g\",\"from\":\"n2\",\"to\":\"n1\",\"term\":3,"
                + "\"granted\":false,\"incarnation\":5}";
        assertThat(json.decodeBatch(old.getBytes(StandardCharsets.UTF_8))).containsExactly(
                new io.raftex.core.message.PreVoteResponse("g", MemberId.of("n2"), N1, 3, false, 5, 0));
        io.raftex.core.message.VoteResponse removed = new io.raftex.core.message.VoteResponse("g", MemberId.of("n2"),
                N1, 3, false, 5, 12);
        assertThat(new String(json.encode(removed), StandardCharsets.UTF_8)).contains("\"removedAtIndex\":12");
        assertThat(json.decodeBatch(json.batch("n2", List.of(json.encode(removed))))).containsExactly(removed);
    }
}
