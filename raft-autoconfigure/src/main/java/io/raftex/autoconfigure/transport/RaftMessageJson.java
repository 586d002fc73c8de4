package io.raftex.autoconfigure.transport;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.raftex.core.MemberId;
import io.raftex.core.message.RaftMessage;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.jsontype.NamedType;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The JSON wire format of peer messages. Every {@link RaftMessage} record is an object with a {@code type}
 * discriminator (the record's simple name, such as {@code AppendEntriesRequest}) and one field per record
 * component; member ids are strings and byte arrays (log entry payloads) base64. A request body is a batch:
 * <pre>{"from":"n1","messages":[{"type":"VoteRequest","group":"kv","from":"n1","to":"n2","term":3,...}]}</pre>
 * The decoder also takes a bare array of messages or a single message. Every field is required, and non-null except
 * those the core leaves null on purpose ({@link #NULLABLE}: the membership of a removal, the rejection of an
 * accepted membership change), which are written as JSON {@code null}; the exceptions are the {@code incarnation}
 * of votes and acknowledgements and the {@code removedAtIndex} of votes, which a peer of an earlier version does not
 * send (absent, they are 0).
 *
 * <p>The record types are found from the sealed {@link RaftMessage} hierarchy, so a message type added to the
 * core travels without a change here. The mapper is private: application-wide Jackson settings do not change the
 * wire format.
 */
public final class RaftMessageJson {

    private static final byte[] BATCH_MIDDLE = ",\"messages\":[".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BATCH_END = "]}".getBytes(StandardCharsets.UTF_8);

    /**
     * Record components ({@code Type.component}) the core sets to null on purpose; every other reference component
     * of a decoded message must be non-null.
     */
    static final Set<String> NULLABLE = Set.of(
            "MembershipChangeRequest.membership", "MembershipChangeResponse.rejection");

    /**
     * The fields a peer of an earlier version may leave out (absent, they are 0), by the message types that carry
     * them: {@code incarnation} (0: no identity, docs/membership.md) and {@code removedAtIndex} (0: the answer says
     * nothing of the candidate's membership).
     */
    private static final Map<String, Set<String>> ZERO_IF_ABSENT = Map.of(
            "incarnation", Set.of("VoteResponse", "PreVoteResponse", "AppendEntriesResponse",
                    "InstallSnapshotResponse"),
            "removedAtIndex", Set.of("VoteResponse", "PreVoteResponse"));

    private final JsonMapper mapper;
    private final ObjectWriter messageWriter;
    private final ObjectReader messageReader;
    /** Type names by their normalised form (lower case, no '-' or '_'), to accept "vote-request" and the like. */
    private final Map<String, String> typeNames;

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
    private interface RaftMessageMixin {
    }

    public RaftMessageJson() {
        List<Class<?>> types = messageTypes(RaftMessage.class);
        Map<String, String> names = new LinkedHashMap<>();
        List<NamedType> named = new ArrayList<>();
        for (Class<?> type : types) {
            for (RecordComponent c : type.getRecordComponents()) {
                if (c.getName().equals("type")) {
                    throw new IllegalStateException(type + " has a component named 'type', the wire discriminator");
                }
            }
            named.add(new NamedType(type, type.getSimpleName()));
            names.put(normalise(type.getSimpleName()), type.getSimpleName());
        }
        SimpleModule ids = new SimpleModule("raft-member-id");
        ids.addSerializer(MemberId.class, new MemberIdSerializer());
        ids.addDeserializer(MemberId.class, new MemberIdDeserializer());
        this.mapper = JsonMapper.builder()
                .addMixIn(RaftMessage.class, RaftMessageMixin.class)
                .registerSubtypes(named.toArray(new NamedType[0]))
                .addModule(ids)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                // nulls are checked after decoding (checkNulls), where NULLABLE can be told apart
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        this.messageWriter = mapper.writerFor(RaftMessage.class);
        this.messageReader = mapper.readerFor(RaftMessage.class);
        this.typeNames = Collections.unmodifiableMap(names);
    }

    /** Every record class of a sealed hierarchy, depth first. */
    static List<Class<?>> messageTypes(Class<?> root) {
        List<Class<?>> out = new ArrayList<>();
        Class<?>[] permitted = root.getPermittedSubclasses();
        if (permitted == null) {
            if (root.isRecord()) {
                out.add(root);
            }
            return out;
        }
        for (Class<?> sub : permitted) {
            out.addAll(messageTypes(sub));
        }
        return out;
    }

    private static String normalise(String typeName) {
        return typeName.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    /** The names of every message type, as they appear in the {@code type} field. */
    public List<String> typeNames() {
        return List.copyOf(typeNames.values());
    }

    /** Encodes one message as a JSON object with its {@code type}. */
    public byte[] encode(RaftMessage message) {
        return messageWriter.writeValueAsBytes(message);
    }

    /** Joins messages encoded by {@link #encode} into a batch body sent by {@code from}. */
    public byte[] batch(String from, List<byte[]> encodedMessages) {
        int size = 16 + from.length() * 6 + BATCH_MIDDLE.length + BATCH_END.length;
        for (byte[] m : encodedMessages) {
            size += m.length + 1;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.writeBytes("{\"from\":".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(mapper.writeValueAsBytes(from));
        out.writeBytes(BATCH_MIDDLE);
        for (int i = 0; i < encodedMessages.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(encodedMessages.get(i));
        }
        out.writeBytes(BATCH_END);
        return out.toByteArray();
    }

    /** Bytes a batch takes beyond its messages (and the commas between them), for a sender of {@code from}. */
    public int batchOverhead(String from) {
        return 16 + mapper.writeValueAsBytes(from).length + BATCH_MIDDLE.length + BATCH_END.length;
    }

    /**
     * Parses a request body into the JSON objects of its messages, without decoding them yet.
     *
     * @throws MalformedBatchException if it is not JSON or not one of the accepted shapes
     */
    public List<ObjectNode> parseBatch(byte[] body) {
        return parseBatch(body, 0, body.length);
    }

    /**
     * Parses {@code length} bytes of {@code buffer} from {@code offset} (one line of a stream) like
     * {@link #parseBatch(byte[])}.
     *
     * @throws MalformedBatchException if it is not JSON or not one of the accepted shapes
     */
    public List<ObjectNode> parseBatch(byte[] buffer, int offset, int length) {
        JsonNode root;
        try {
            root = mapper.readTree(buffer, offset, length);
        } catch (JacksonException e) {
            throw new MalformedBatchException("the body is not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode messages;
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new MalformedBatchException("the body is empty");
        } else if (root.isArray()) {
            messages = root;
        } else if (root.isObject() && root.has("messages")) {
            messages = root.get("messages");
            if (!messages.isArray()) {
                throw new MalformedBatchException("'messages' must be an array");
            }
        } else if (root.isObject() && root.has("type")) {
            messages = mapper.createArrayNode().add(root);
        } else {
            throw new MalformedBatchException("expected {\"messages\":[...]}, an array of messages or one message");
        }
        List<ObjectNode> out = new ArrayList<>(messages.size());
        int i = 0;
        for (JsonNode m : messages) {
            if (!m.isObject()) {
                throw new MalformedBatchException("message " + i + " is not a JSON object");
            }
            out.add((ObjectNode) m);
            i++;
        }
        return out;
    }

    /**
     * The group a parsed message names, or null if it has no string {@code group} field.
     */
    public static String groupOf(ObjectNode message) {
        JsonNode g = message.get("group");
        return g != null && g.isString() ? g.asString() : null;
    }

    /**
     * Decodes one message parsed by {@link #parseBatch}.
     *
     * @throws MalformedBatchException if its type is unknown or a field is missing, null or of the wrong type
     */
    public RaftMessage decode(ObjectNode node) {
        JsonNode type = node.get("type");
        if (type == null || !type.isString()) {
            throw new MalformedBatchException("a message has no string 'type'; known types: " + typeNames());
        }
        String canonical = typeNames.get(normalise(type.asString()));
        if (canonical == null) {
            throw new MalformedBatchException("unknown message type '" + type.asString() + "'; known types: "
                    + typeNames());
        }
        ObjectNode copy = node;
        if (!canonical.equals(type.asString())) {
            copy = node.deepCopy();
            copy.put("type", canonical);
        }
        for (Map.Entry<String, Set<String>> field : ZERO_IF_ABSENT.entrySet()) {
            if (!copy.has(field.getKey()) && field.getValue().contains(canonical)) {
                copy = copy == node ? node.deepCopy() : copy;
                copy.put(field.getKey(), 0L);
            }
        }
        RaftMessage message;
        try {
            message = messageReader.readValue(copy);
        } catch (JacksonException e) {
            throw new MalformedBatchException("invalid " + canonical + ": " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            // a record constructor refused a value
            throw new MalformedBatchException("invalid " + canonical + ": " + e.getMessage());
        }
        checkNulls(message, canonical);
        return message;
    }

    /** Every reference component is non-null, except those in {@link #NULLABLE}. */
    private static void checkNulls(RaftMessage message, String type) {
        for (RecordComponent c : message.getClass().getRecordComponents()) {
            if (c.getType().isPrimitive() || NULLABLE.contains(type + "." + c.getName())) {
                continue;
            }
            Object value;
            try {
                value = c.getAccessor().invoke(message);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (value == null) {
                throw new MalformedBatchException("invalid " + type + ": '" + c.getName() + "' is null");
            }
        }
    }

    /** Decodes a whole body; for tests and tools. */
    public List<RaftMessage> decodeBatch(byte[] body) {
        List<RaftMessage> out = new ArrayList<>();
        for (ObjectNode node : parseBatch(body)) {
            out.add(decode(node));
        }
        return out;
    }

    /** The body is not a valid batch of messages. */
    public static final class MalformedBatchException extends RuntimeException {

        public MalformedBatchException(String message) {
            super(message);
        }
    }

    private static final class MemberIdSerializer extends ValueSerializer<MemberId> {
        @Override
        public void serialize(MemberId value, JsonGenerator gen, SerializationContext ctxt) {
            gen.writeString(value.value());
        }
    }

    private static final class MemberIdDeserializer extends ValueDeserializer<MemberId> {
        @Override
        public MemberId deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return (MemberId) ctxt.handleUnexpectedToken(MemberId.class, p);
            }
            try {
                return MemberId.of(p.getString());
            } catch (IllegalArgumentException e) {
                return (MemberId) ctxt.handleWeirdStringValue(MemberId.class, p.getString(), e.getMessage());
            }
        }
    }
}
