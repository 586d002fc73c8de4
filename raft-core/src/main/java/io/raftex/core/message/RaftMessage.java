package io.raftex.core.message;

import io.raftex.core.MemberId;

/**
 * A message between two members of one group. Every message names its group, sender, receiver and the sender's
 * term, so a receiver can route it and apply the term rules before looking at anything else.
 */
public sealed interface RaftMessage
        permits PreVoteRequest, PreVoteResponse, VoteRequest, VoteResponse, AppendEntriesRequest,
        AppendEntriesResponse, ReadIndexRequest, ReadIndexResponse, ForwardCommand, ForwardCommandResponse,
        TimeoutNow, InstallSnapshotRequest, InstallSnapshotResponse, SnapshotRequest, MembershipChangeRequest,
        MembershipChangeResponse {

    /** The group this message belongs to. */
    String group();

    /** The sending member. */
    MemberId from();

    /** The receiving member. */
    MemberId to();

    /** The sender's current term (for a pre-vote request: the term it would stand in). */
    long term();
}
