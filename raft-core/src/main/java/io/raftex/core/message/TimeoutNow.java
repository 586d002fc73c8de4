package io.raftex.core.message;

import io.raftex.core.MemberId;

/** The leader tells an up-to-date member to start an election at once (leadership transfer, Raft thesis §3.10). */
public record TimeoutNow(String group, MemberId from, MemberId to, long term) implements RaftMessage {
}
