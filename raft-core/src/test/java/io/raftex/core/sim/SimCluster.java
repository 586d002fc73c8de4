package io.raftex.core.sim;

import io.raftex.core.MemberId;
import io.raftex.core.log.InMemoryGroupLog;
import io.raftex.core.log.PersistentState;
import io.raftex.core.protocol.ProtocolConfig;

import java.util.List;
import java.util.Optional;

/**
 * A whole group of simulated members on one seeded scheduler: the test's handle to time, faults, and the state
 * of every member. Invariants are checked as events happen; a violation throws with the seed in the message.
 */
final class SimCluster extends BaseSimCluster<SimNode> {

    private int restarts;

    SimCluster(int size, long seed) {
        this(size, seed, PROTOCOL);
    }

    SimCluster(int size, long seed, ProtocolConfig protocolConfig) {
        super(size, seed, protocolConfig);
        PersistentState initial = new PersistentState(0, Optional.empty(), config);
        for (MemberId id : ids) {
            SimNode node = new SimNode(id, this, new InMemoryGroupLog(initial));
            nodes.add(node);
        }
        for (SimNode node : nodes) {
            node.start(scheduler.random.nextLong());
        }
    }

    // ------------------------------------------------------------------ faults

    @Override
    public void restart(int i) {
        SimNode node = nodes.get(i);
        node.crash();
        node.start(seed * 31 + (++restarts));
    }

    // ------------------------------------------------------------------ views

    /** Every member: none of them ever leaves the group. */
    @Override
    List<SimNode> membersLedBy(int leader) {
        return nodes;
    }

    /**
     * How many live members have applied the entry at {@code index}, checking they all applied the same one; and
     * its payload as text (empty string if none).
     */
    int nCommitted(long index) {
        int count = 0;
        for (SimNode n : nodes) {
            if (n.up && n.sessions.lastApplied() >= index) {
                count++;
            }
        }
        return count;
    }

    /**
     * MIT's one(): offers the command to members in turn until a leader takes it, then waits until at least
     * {@code expected} members applied it at that index; retries with another leader if it was lost. Returns the
     * index.
     */
    long one(String command, int expected, boolean retry) {
        byte[] payload = KvMachine.put("one", command);
        long deadline = scheduler.now() + 10_000;
        int starter = 0;
        while (scheduler.now() < deadline) {
            long index = -1;
            for (int k = 0; k < nodes.size(); k++) {
                starter = (starter + 1) % nodes.size();
                var idx = nodes.get(starter).start(payload);
                if (idx.isPresent()) {
                    index = idx.getAsLong();
                    break;
                }
            }
            if (index > 0) {
                long at = index;
                long waitUntil = scheduler.now() + 2_000;
                while (scheduler.now() < waitUntil) {
                    runFor(20);
                    if (nCommitted(at) >= expected && committedPayload(at).equals(command)) {
                        return at;
                    }
                }
                if (!retry) {
                    throw new AssertionError("one(" + command + ") failed to reach agreement\n  " + describe());
                }
            } else {
                runFor(50);
            }
        }
        throw new AssertionError("one(" + command + ") failed to reach agreement\n  " + describe());
    }

    /** The command text applied at {@code index} by live members ("" if none applied it or it is not a put). */
    String committedPayload(long index) {
        for (SimNode n : nodes) {
            if (n.up && n.sessions.lastApplied() >= index) {
                var e = n.disk.entry(index);
                String text = new String(e.payload(), java.nio.charset.StandardCharsets.UTF_8);
                return text.startsWith("P one ") ? text.substring(6) : "";
            }
        }
        return "";
    }

    long maxTerm() {
        return nodes.stream().filter(n -> n.up).mapToLong(n -> n.member.term()).max().orElse(0);
    }
}
