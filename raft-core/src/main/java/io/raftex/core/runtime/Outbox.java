package io.raftex.core.runtime;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Hands the group's messages to the {@link Transport}, addressed from the configuration in force, or else from the
 * address book of every member this member has known (bootstrap, persisted history, each configuration in force):
 * answers must reach a member the configuration in force no longer names, such as a leader that is removing itself
 * and waits for its followers to acknowledge the entry that removes it, and a node not yet added answers its leader
 * so. A message to nobody known, or one the transport refuses, is dropped (Raft resends). Used on the group's loop
 * only.
 */
final class Outbox {

    private static final Logger LOG = LoggerFactory.getLogger(GroupRuntime.class);

    private final String group;
    private final MemberId self;
    private final Transport transport;
    /** Every member of every configuration known, by id, with the address it was last known at. */
    private final Map<MemberId, Member> knownMembers = new HashMap<>();
    /** The configuration whose members {@link #knownMembers} took in last. */
    private ClusterConfig addressesFrom;

    Outbox(String group, MemberId self, Transport transport) {
        this.group = group;
        this.self = self;
        this.transport = transport;
    }

    /** Adds the members of {@code config} to the address book (a later address of the same id replaces one). */
    void learn(ClusterConfig config) {
        config.members().forEach(m -> knownMembers.put(m.id(), m));
    }

    /** Sends {@code message} to its addressee as {@code inForce} (or, failing that, the address book) names it. */
    void send(ClusterConfig inForce, RaftMessage message) {
        if (inForce != addressesFrom) {
            addressesFrom = inForce;
            learn(inForce);
        }
        Optional<Member> to = inForce.member(message.to());
        if (to.isEmpty()) {
            to = Optional.ofNullable(knownMembers.get(message.to()));
        }
        if (to.isEmpty()) {
            LOG.debug("[{}@{}] no address for {}; dropped {}", group, self, message.to(), message);
            return;
        }
        try {
            transport.send(to.get(), message);
        } catch (RuntimeException e) {
            LOG.debug("[{}@{}] transport refused a message to {}", group, self, message.to(), e);
        }
    }
}
