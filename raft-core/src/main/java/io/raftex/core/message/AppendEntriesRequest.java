package io.raftex.core.message;

import io.raftex.core.MemberId;
import io.raftex.core.log.LogEntry;

import java.util.List;

/**
 * AppendEntries (Raft §5.3); with no entries it is a heartbeat.
 *
 * @param prevLogIndex index of the entry just before {@code entries}
 * @param prevLogTerm  term of that entry
 * @param entries      entries to append, possibly none
 * @param leaderCommit the leader's commit index
 * @param readRound    the leader's latest ReadIndex round; echoed back so the leader can confirm leadership
 */
public record AppendEntriesRequest(String group, MemberId from, MemberId to, long term, long prevLogIndex,
                                   long prevLogTerm, List<LogEntry> entries, long leaderCommit, long readRound)
        implements RaftMessage {

    public AppendEntriesRequest {
        entries = List.copyOf(entries);
    }
}
