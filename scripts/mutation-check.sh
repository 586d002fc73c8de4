#!/usr/bin/env bash
# Shows that the simulator and the unit tests catch a broken safety rule: copies HEAD to a temporary directory,
# breaks one rule in the core or the runtime, runs the protocol and runtime tests there, and prints how many failed.
# Usage: scripts/mutation-check.sh [rule1|rule2|rule3|lease|term-reset|request-id|snapshot-missing|snapshot-heartbeat|
#                                   change-in-progress|change-not-ready|config-truncate|truncation-mirror|
#                                   config-recovery-list|demote-last-voter|incarnation]
# (default: all fifteen). A rule may make several replacements in its file: OLD and NEW then hold as many parts,
# each separated by a line "@@".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
core=raft-core/src/main/java/io/raftex/core
declare -A FILE OLD NEW
FILE[rule1]=$core/protocol/RaftMember.java
OLD[rule1]='                persistState(); // rule 1: durable before the vote leaves'
NEW[rule1]=''
FILE[rule2]=$core/protocol/RaftMember.java
OLD[rule2]='long match = Math.min(leaderMatched, durableIndex);'
NEW[rule2]='long match = leaderMatched;'
FILE[rule3]=$core/protocol/RaftMember.java
OLD[rule3]='if (quorumIndex > commitIndex && log.termAt(quorumIndex) == term) {'
NEW[rule3]='if (quorumIndex > commitIndex) {'
FILE[lease]=$core/protocol/RaftMember.java
OLD[lease]='return role == Role.LEADER || (leader.isPresent() && electionElapsed < cfg.electionTimeoutTicks());'
NEW[lease]='return false;'
# a follower keeps what it knew of a leader's log when the same member leads a later term
FILE[term-reset]=$core/protocol/RaftMember.java
OLD[term-reset]='boolean newTermOrLeader = newTerm > term || !newLeader.equals(leader);'
NEW[term-reset]='boolean newTermOrLeader = !newLeader.equals(leader);'
# request ids restart at 1 in every runtime, so late answers to an earlier incarnation match new requests
FILE[request-id]=$core/runtime/GroupLoop.java
OLD[request-id]='this.nextRequestId = (1 + (env.seeds().getAsLong() >>> 33)) << 32;'
NEW[request-id]='this.nextRequestId = 1;'
# a member whose state waits for a leader's snapshot takes "I have that committed" for an answer and never gets one
FILE[snapshot-missing]=$core/protocol/RaftMember.java
OLD[snapshot-missing]='if (m.lastIndex() <= commitIndex && !stateMissing) {'
NEW[snapshot-missing]='if (m.lastIndex() <= commitIndex) {'
# a leader sends a heartbeat at a match index below its snapshot point, whose term it no longer knows
FILE[snapshot-heartbeat]=$core/protocol/RaftMember.java
OLD[snapshot-heartbeat]='long prev = pr.match >= log.snapshotIndex() ? pr.match : 0;'
NEW[snapshot-heartbeat]='long prev = pr.match;'
# a leader appends a configuration change while another is not committed yet (two changes at once)
FILE[change-in-progress]=$core/protocol/ConfigChanges.java
OLD[change-in-progress]='return new Rejected(pendingIsBinding(configs) ? ChangeRejection.NOT_READY : ChangeRejection.IN_PROGRESS);'
NEW[change-in-progress]=''
# a new leader appends a configuration change before it has committed an entry of its term
FILE[change-not-ready]=$core/protocol/ConfigChanges.java
OLD[change-not-ready]='return new Rejected(ChangeRejection.NOT_READY);'
NEW[change-not-ready]=''
# a follower keeps a configuration in force after the entry that carried it was truncated away
FILE[config-truncate]=$core/protocol/RaftMember.java
OLD[config-truncate]='reconfigured = configs.truncateFrom(e.index()); // an uncommitted configuration went with them'
NEW[config-truncate]='reconfigured = false;'
# the core keeps its own truncation count from 0, so a restart that reset the log to a snapshot (counted by the
# store before the core existed) makes it ignore every durability report
FILE[truncation-mirror]=$core/protocol/RaftMember.java
OLD[truncation-mirror]='    private long durableIndex;
@@
storeTruncations == log.truncations()
@@
                log.resetTo(index, meta.term());
@@
                log.truncateFrom(e.index());'
NEW[truncation-mirror]='    private long durableIndex;
    private long truncations;
@@
storeTruncations == truncations
@@
                log.resetTo(index, meta.term());
                truncations++;
@@
                log.truncateFrom(e.index());
                truncations++;'
# recovery trusts the persisted configuration list, which a truncation shrinks before the log's truncation is synced
FILE[config-recovery-list]=$core/protocol/ConfigHistory.java
OLD[config-recovery-list]='        kept.addAll(configEntriesAfter(Math.max(kept.get(kept.size() - 1).index(), log.snapshotIndex()), log));'
NEW[config-recovery-list]=''
# only a removal is refused for leaving no voter: making the last voter a non-voter stops the leader's group
FILE[demote-last-voter]=$core/protocol/ConfigChanges.java
OLD[demote-last-voter]='        if (members.stream().noneMatch(m -> m.membership().isVoter())) {'
NEW[demote-last-voter]='        if (change instanceof ConfigChange.Remove && members.stream().noneMatch(m -> m.membership().isVoter())) {'
# votes and acknowledgements count whatever the incarnation they come from (a member that lost its disk counts as if
# it still held what it had acknowledged)
FILE[incarnation]=$core/protocol/Incarnations.java
OLD[incarnation]='return config.member(id).map(m -> m.incarnation() == incarnation).orElse(false);'
NEW[incarnation]='return config.member(id).isPresent();'
for m in "${@:-rule1 rule2 rule3 lease term-reset request-id snapshot-missing snapshot-heartbeat change-in-progress change-not-ready config-truncate truncation-mirror config-recovery-list demote-last-voter incarnation}"; do
  for name in $m; do
    work=$(mktemp -d)
    git -C "$repo" archive HEAD | tar -C "$work" -xf -
    python3 - "$work/${FILE[$name]}" "${OLD[$name]}" "${NEW[$name]}" <<'PY'
import sys
p, olds, news = sys.argv[1:4]
s = open(p).read()
for old, new in zip(olds.split("\n@@\n"), news.split("\n@@\n"), strict=True):
    assert s.count(old) == 1, "mutation point not found once: " + old
    s = s.replace(old, new, 1)
open(p, "w").write(s)
PY
    (cd "$work" && ./mvnw -B -q -pl raft-core test -Draft.sim.seeds=150 -Draft.sim.runtime.seeds=60 \
        -Dsurefire.failIfNoSpecifiedTests=false \
        -Dtest='SimulationSoakTest,RaftScenariosTest,RaftMemberTest,ConfigChangesTest,ProgressTrackerTest,ReadIndexRoundsTest,GroupRuntimeTest,RuntimeScenariosTest,SnapshotScenariosTest,MembershipTest,LeaderTransferTest,MembershipScenariosTest,ConfigRecoveryTest,IncarnationTest,LostDiskScenariosTest,RuntimeSimulationSoakTest' > "$work/out.log" 2>&1) || true
    echo "$name: $(grep -h 'Tests run:.*Fail' "$work/out.log" | tail -1 | sed 's/\[ERROR\] //; s/\[INFO\] //')"
    grep -h 'runtime simulation soak:' "$work/out.log" | sed 's/.*, \([0-9]* failures\)/  runtime soak: \1/' || true
    rm -rf "$work"
  done
done
