package io.raftex.autoconfigure.transport;

import io.raftex.core.MemberId;
import io.raftex.core.log.ConfigCodec;
import io.raftex.core.log.EntryType;
import io.raftex.core.log.LogEntry;
import io.raftex.core.message.AppendEntriesRequest;
import io.raftex.core.message.AppendEntriesResponse;
import io.raftex.core.message.ForwardCommandResponse;
import io.raftex.core.message.InstallSnapshotRequest;
import io.raftex.core.message.InstallSnapshotResponse;
import io.raftex.core.message.MembershipChangeRequest;
import io.raftex.core.message.MembershipChangeResponse;
import io.raftex.core.message.PreVoteRequest;
import io.raftex.core.message.RaftMessage;
import io.raftex.core.message.VoteRequest;
import io.raftex.core.protocol.RaftMember;

import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The structural rules every inbound peer message must meet before it reaches a group, whatever transport it came
 * by. A message that breaks one is refused whole: the protocol trusts authenticated peers with its decisions, but a
 * message no correct member could have sent (entries that do not follow {@code prevLogIndex}, a term that goes
 * backwards, a negative index) would otherwise make a group's log throw and stop the group.
 *
 * <p>The rules:
 * <ul>
 *   <li>every message: a group name of 1 to 64 letters, digits, '.', '-' or '_' starting with a letter or digit;
 *       a sender and a receiver that differ; no negative term, index, term of an entry, commit index, read round,
 *       sequence number or acknowledged sequence number; a term of at most {@link #MAX_TERM};</li>
 *   <li>{@link AppendEntriesRequest}: {@code prevLogTerm} is 0 exactly when {@code prevLogIndex} is 0 and is at
 *       most {@code term}; entry {@code i} is at index {@code prevLogIndex + 1 + i}; entry terms are at most
 *       {@code term}, at least {@code prevLogTerm} and never decrease; a no-op entry carries no payload; a
 *       configuration entry's payload decodes as a configuration ({@link ConfigCodec#decode});</li>
 *   <li>{@link AppendEntriesResponse}: a success carries no rejection hints; {@code conflictTerm} is at most
 *       {@code term};</li>
 *   <li>{@link VoteRequest}, {@link PreVoteRequest}: {@code lastLogTerm} is 0 exactly when {@code lastLogIndex}
 *       is 0 and is at most {@code term};</li>
 *   <li>{@link ForwardCommandResponse}: an accepted command has an index of at least 1 and an entry term between 1
 *       and {@code term};</li>
 *   <li>{@link InstallSnapshotRequest}: a snapshot of index 1 at least, in a term from 1 to {@code term}, and a
 *       non-empty chunk that lies within its {@code totalSize}; {@link InstallSnapshotResponse}: index 1 at
 *       least;</li>
 *   <li>{@link MembershipChangeRequest}: names a member; an addition (not {@code remove}) also has a non-blank
 *       address and a membership;</li>
 *   <li>{@link MembershipChangeResponse}: an accepted change (no rejection) is either in place already (index and
 *       entry term 0) or at an index of at least 1 with an entry term between 1 and {@code term}.</li>
 * </ul>
 */
public final class RaftMessageValidator {

    /**
     * The highest term a message may carry: the core's {@link RaftMember#MAX_TERM}, half of {@code Long.MAX_VALUE}.
     * A term above it would leave a member no room to campaign (its next term would in the end wrap negative).
     */
    public static final long MAX_TERM = RaftMember.MAX_TERM;

    /** A valid group name: 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit. */
    public static final Pattern GROUP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** What {@link #GROUP_NAME} accepts, in words. */
    public static final String GROUP_NAME_RULE =
            "a group name is 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit";

    private RaftMessageValidator() {
    }

    /** Whether {@code name} is a valid group name. */
    public static boolean isValidGroupName(String name) {
        return name != null && GROUP_NAME.matcher(name).matches();
    }

    /**
     * Checks a group name as found in a message.
     *
     * @throws InvalidRaftMessageException if it is not a valid group name
     */
    public static void validateGroupName(String group) {
        if (!isValidGroupName(group)) {
            throw new InvalidRaftMessageException("group " + (group == null ? "null" : "'" + group + "'")
                    + " is invalid: " + GROUP_NAME_RULE);
        }
    }

    /**
     * Checks {@code message} against every structural rule and that it is addressed to {@code receiver}.
     *
     * @throws InvalidRaftMessageException naming the first rule it breaks
     */
    public static void validate(RaftMessage message, MemberId receiver) {
        validate(message);
        if (!message.to().equals(receiver)) {
            throw invalid(message, "is addressed to '" + message.to() + "', but this is node '" + receiver + "'");
        }
    }

    /**
     * Checks {@code message} against every structural rule.
     *
     * @throws InvalidRaftMessageException naming the first rule it breaks
     */
    public static void validate(RaftMessage message) {
        if (message == null) {
            throw new InvalidRaftMessageException("a message is null");
        }
        if (!isValidGroupName(message.group())) {
            throw invalid(message, "group " + (message.group() == null ? "null" : "'" + message.group() + "'")
                    + " is invalid: " + GROUP_NAME_RULE);
        }
        if (message.from() == null || message.to() == null) {
            throw invalid(message, "has no " + (message.from() == null ? "from" : "to"));
        }
        if (message.from().equals(message.to())) {
            throw invalid(message, "is sent by its own receiver '" + message.to() + "'");
        }
        checkNotNegative(message);
        if (message.term() > MAX_TERM) {
            throw invalid(message, "term", "is " + message.term() + ", above the highest term " + MAX_TERM
                    + ": it would leave no room to campaign");
        }
        if (message instanceof AppendEntriesRequest m) {
            checkAppend(m);
        } else if (message instanceof AppendEntriesResponse m) {
            checkAppendResponse(m);
        } else if (message instanceof VoteRequest m) {
            checkLastLog(m, m.lastLogIndex(), m.lastLogTerm());
        } else if (message instanceof PreVoteRequest m) {
            checkLastLog(m, m.lastLogIndex(), m.lastLogTerm());
        } else if (message instanceof ForwardCommandResponse m) {
            checkForwardResponse(m);
        } else if (message instanceof InstallSnapshotRequest m) {
            checkInstallSnapshot(m);
        } else if (message instanceof MembershipChangeRequest m) {
            checkChangeRequest(m);
        } else if (message instanceof MembershipChangeResponse m) {
            checkChangeResponse(m);
        } else if (message instanceof InstallSnapshotResponse m) {
            if (m.lastIndex() < 1) {
                throw invalid(m, "lastIndex", "is " + m.lastIndex() + ", but a snapshot covers index 1 at least");
            }
        }
    }

    private static void checkChangeRequest(MembershipChangeRequest m) {
        if (m.member() == null) {
            throw invalid(m, "member", "is null, but a membership change names the member it is about");
        }
        if (!m.remove()) {
            if (m.address() == null || m.address().isBlank()) {
                throw invalid(m, "address", "is " + (m.address() == null ? "null" : "blank")
                        + ", but a member added is reached at an address");
            }
            if (m.membership() == null) {
                throw invalid(m, "membership", "is null, but a member added is a voter, promotable or a non-voter");
            }
        }
    }

    private static void checkChangeResponse(MembershipChangeResponse m) {
        if (m.rejection() != null || (m.index() == 0 && m.entryTerm() == 0)) {
            return;
        }
        if (m.index() < 1 || m.entryTerm() < 1 || m.entryTerm() > m.term()) {
            throw invalid(m, "entryTerm", "is " + m.entryTerm() + " at index " + m.index() + ", but an accepted"
                    + " change is in place already (index and entry term 0) or at index 1 or more with an entry term"
                    + " between 1 and the leader's term " + m.term());
        }
    }

    private static void checkInstallSnapshot(InstallSnapshotRequest m) {
        if (m.lastIndex() < 1 || m.lastTerm() < 1 || m.lastTerm() > m.term()) {
            throw invalid(m, "lastTerm", "is " + m.lastTerm() + " at index " + m.lastIndex()
                    + ", but a snapshot covers index 1 at least, in a term from 1 to the sender's term " + m.term());
        }
        if (m.totalSize() < 1 || m.data().length == 0 || m.offset() > m.totalSize() - m.data().length) {
            throw invalid(m, "data", "holds " + m.data().length + " bytes at offset " + m.offset()
                    + ", which is not a non-empty part of a snapshot of " + m.totalSize() + " bytes");
        }
    }

    /** Counters and positions are never negative; ids (client, request) and times may be anything. */
    private static boolean mustNotBeNegative(String component) {
        return component.equals("term") || component.endsWith("Index") || component.endsWith("Term")
                || component.equals("leaderCommit") || component.equals("readRound")
                || component.equals("sequence") || component.equals("ackedBelow") || component.equals("offset")
                || component.equals("totalSize") || component.equals("received");
    }

    /** By record component name, so that a message type added to the core is covered as well. */
    private static void checkNotNegative(RaftMessage message) {
        for (RecordComponent c : message.getClass().getRecordComponents()) {
            if ((c.getType() != long.class && c.getType() != int.class) || !mustNotBeNegative(c.getName())) {
                continue;
            }
            long value;
            try {
                value = ((Number) c.getAccessor().invoke(message)).longValue();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (value < 0) {
                throw invalid(message, c.getName(), "is negative: " + value);
            }
        }
    }

    private static void checkAppend(AppendEntriesRequest m) {
        long prevIndex = m.prevLogIndex();
        long prevTerm = m.prevLogTerm();
        if (prevIndex == 0 && prevTerm != 0) {
            throw invalid(m, "prevLogTerm", "is " + prevTerm + " but must be 0 when prevLogIndex is 0");
        }
        if (prevIndex > 0 && prevTerm == 0) {
            throw invalid(m, "prevLogTerm", "is 0 but prevLogIndex " + prevIndex + " is an entry, of term 1 or more");
        }
        if (prevTerm > m.term()) {
            throw invalid(m, "prevLogTerm", "is " + prevTerm + ", above the leader's term " + m.term());
        }
        List<LogEntry> entries = m.entries();
        if (entries == null) {
            throw invalid(m, "entries", "is null");
        }
        if (prevIndex > Long.MAX_VALUE - entries.size()) {
            throw invalid(m, "prevLogIndex", "is " + prevIndex + ": the entries' indices would overflow");
        }
        long previousTerm = prevTerm;
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            String field = "entries[" + i + "]";
            if (e == null) {
                throw invalid(m, field, "is null");
            }
            long expected = prevIndex + 1 + i;
            if (e.index() != expected) {
                throw invalid(m, field + ".index", "is " + e.index() + " but must be " + expected
                        + ": entries follow prevLogIndex " + prevIndex + " one by one, without gaps");
            }
            if (e.term() > m.term()) {
                throw invalid(m, field + ".term", "is " + e.term() + ", above the leader's term " + m.term());
            }
            if (e.term() < previousTerm) {
                throw invalid(m, field + ".term", "is " + e.term() + ", below the term " + previousTerm + " of "
                        + (i == 0 ? "prevLogTerm" : "entries[" + (i - 1) + "]") + ": terms never decrease in a log");
            }
            if (e.type() == EntryType.NOOP && e.payload().length != 0) {
                throw invalid(m, field + ".payload", "is " + e.payload().length + " bytes, but a NOOP entry has none");
            }
            if (e.type() == EntryType.CONFIG) {
                try {
                    ConfigCodec.decode(e.payload());
                } catch (RuntimeException bad) {
                    throw invalid(m, field + ".payload", "is not a configuration: " + bad.getMessage());
                }
            }
            if (e.sequence() < 0 || e.ackedBelow() < 0) {
                throw invalid(m, field + (e.sequence() < 0 ? ".sequence" : ".ackedBelow"), "is negative: "
                        + Math.min(e.sequence(), e.ackedBelow()));
            }
            previousTerm = e.term();
        }
    }

    private static void checkAppendResponse(AppendEntriesResponse m) {
        if (m.success() && (m.rejectedIndex() != 0 || m.conflictTerm() != 0 || m.conflictIndex() != 0)) {
            throw invalid(m, "reports success but carries rejection hints (rejectedIndex " + m.rejectedIndex()
                    + ", conflictTerm " + m.conflictTerm() + ", conflictIndex " + m.conflictIndex()
                    + "), which must be 0");
        }
        if (m.conflictTerm() > m.term()) {
            throw invalid(m, "conflictTerm", "is " + m.conflictTerm() + ", above the sender's term " + m.term());
        }
    }

    private static void checkLastLog(RaftMessage m, long lastLogIndex, long lastLogTerm) {
        if (lastLogIndex == 0 && lastLogTerm != 0) {
            throw invalid(m, "lastLogTerm", "is " + lastLogTerm + " but must be 0 when lastLogIndex is 0");
        }
        if (lastLogIndex > 0 && lastLogTerm == 0) {
            throw invalid(m, "lastLogTerm", "is 0 but lastLogIndex " + lastLogIndex + " is an entry, of term 1 or more");
        }
        if (lastLogTerm > m.term()) {
            throw invalid(m, "lastLogTerm", "is " + lastLogTerm + ", above the candidate's term " + m.term());
        }
    }

    private static void checkForwardResponse(ForwardCommandResponse m) {
        if (!m.accepted()) {
            return;
        }
        if (m.index() < 1) {
            throw invalid(m, "index", "is " + m.index() + " but an accepted command is at index 1 or more");
        }
        if (m.entryTerm() < 1 || m.entryTerm() > m.term()) {
            throw invalid(m, "entryTerm", "is " + m.entryTerm() + " but an accepted command's entry term is between"
                    + " 1 and the leader's term " + m.term());
        }
    }

    private static InvalidRaftMessageException invalid(RaftMessage m, String field, String what) {
        return new InvalidRaftMessageException(m.getClass().getSimpleName() + "." + field + " " + what);
    }

    private static InvalidRaftMessageException invalid(RaftMessage m, String what) {
        return new InvalidRaftMessageException(m.getClass().getSimpleName() + " " + what);
    }
}
