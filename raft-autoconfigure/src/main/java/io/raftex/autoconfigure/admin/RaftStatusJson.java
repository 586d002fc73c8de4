package io.raftex.autoconfigure.admin;

import io.raftex.autoconfigure.MemberRules;

import io.raftex.core.GroupStatus;
import io.raftex.core.Member;
import io.raftex.core.Membership;
import io.raftex.core.Role;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON shape of a group's status, shared by the admin API and {@code /actuator/raft}: exactly
 * {@code group, nodeId, role, term, leaderId, commitIndex, lastApplied, lastLogIndex, snapshotIndex,
 * members[{id, url, membership, matchIndex, nextIndex, incarnation}], incarnation, incarnationBound, catchingUp,
 * snapshotInstall, removal}. Built as
 * ordered maps, so that the application's Jackson settings (naming strategy, inclusion) cannot change the contract.
 *
 * <p>An {@code incarnation} is that of a data directory, as 16 hex digits, or {@code null} if none is known: on a
 * member, the one the configuration binds; at the top level, this node's own. {@code incarnationBound} is false while
 * this member's votes and acknowledgements do not count: it lost its data directory and waits for the leader to bind
 * the new one (docs/membership.md, "Incarnations").
 *
 * <p>{@code catchingUp} is true while this member receives a snapshot from the leader, or while more than
 * {@value #CAUGHT_UP_LAG} entries it knows committed are not applied yet; {@code snapshotInstall} is
 * {@code {index, bytesReceived, totalBytes}} for the snapshot it is receiving, {@code null} while none.
 *
 * <p>{@code removal} is {@code {configIndex, reportedBy}} when a peer reported a committed configuration that leaves
 * this node out while its own log does not hold it yet (it was removed while cut off from the leader), {@code null}
 * otherwise.
 *
 * <p>{@code role} is {@code leader}, {@code follower}, {@code candidate} or {@code pre_candidate};
 * {@code membership} is {@code voter}, {@code promotable} or {@code non-voter} (the spellings the membership API
 * takes); {@code leaderId} is {@code null} while no leader is known.
 */
public final class RaftStatusJson {

    /** More entries known committed and not applied than this: the member is catching up. */
    public static final long CAUGHT_UP_LAG = GroupStatus.CATCHING_UP_ENTRIES;

    private RaftStatusJson() {
    }

    /** Whether the member reporting {@code s} is catching up: receiving a snapshot, or applying a long backlog. */
    public static boolean catchingUp(GroupStatus s) {
        return s.snapshotInstall().isPresent() || s.commitIndex() - s.lastApplied() > CAUGHT_UP_LAG;
    }

    /** The status of one group. */
    public static Map<String, Object> of(GroupStatus s) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("group", s.group());
        json.put("nodeId", s.nodeId());
        json.put("role", role(s.role()));
        json.put("term", s.term());
        json.put("leaderId", s.leaderId().orElse(null));
        json.put("commitIndex", s.commitIndex());
        json.put("lastApplied", s.lastApplied());
        json.put("lastLogIndex", s.lastLogIndex());
        json.put("snapshotIndex", s.snapshotIndex());
        List<Map<String, Object>> members = new ArrayList<>(s.members().size());
        for (GroupStatus.MemberInfo m : s.members()) {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("id", m.id());
            member.put("url", MemberRules.redact(m.address())); // a url kept from before the rules may hold credentials
            member.put("membership", membership(m.membership()));
            member.put("matchIndex", m.matchIndex());
            member.put("nextIndex", m.nextIndex());
            member.put("incarnation", incarnation(m.incarnation()));
            members.add(member);
        }
        json.put("members", members);
        json.put("incarnation", incarnation(s.incarnation()));
        json.put("incarnationBound", s.incarnationBound());
        json.put("catchingUp", catchingUp(s));
        json.put("snapshotInstall", s.snapshotInstall().map(i -> {
            Map<String, Object> install = new LinkedHashMap<>();
            install.put("index", i.index());
            install.put("bytesReceived", i.bytesReceived());
            install.put("totalBytes", i.totalBytes());
            return install;
        }).orElse(null));
        json.put("removal", s.removal().map(r -> {
            Map<String, Object> removal = new LinkedHashMap<>();
            removal.put("configIndex", r.configIndex());
            removal.put("reportedBy", r.reportedBy());
            return removal;
        }).orElse(null));
        return json;
    }

    /** An incarnation as 16 hex digits (a JSON number would lose precision in many clients); null for none. */
    public static String incarnation(long incarnation) {
        return incarnation == Member.UNBOUND || incarnation == Member.ADDED ? null : String.format("%016x", incarnation);
    }

    /** {@code leader}, {@code follower}, {@code candidate} or {@code pre_candidate}. */
    public static String role(Role role) {
        return role.name().toLowerCase(Locale.ROOT);
    }

    /** {@code voter}, {@code promotable} or {@code non-voter}. */
    public static String membership(Membership membership) {
        return membership.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
