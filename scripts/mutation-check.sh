#!/usr/bin/env bash
# Shows that the simulator and the core's unit tests catch a broken safety rule: copies HEAD to a temporary
# directory, breaks one rule in RaftMember, runs the protocol tests there, and prints how many failed.
# Usage: scripts/mutation-check.sh [rule1|rule2|rule3|lease]   (default: all four)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
declare -A OLD NEW
OLD[rule1]='                persistState(); // rule 1: durable before the vote leaves'
NEW[rule1]=''
OLD[rule2]='long match = Math.min(leaderMatched, durableIndex);'
NEW[rule2]='long match = leaderMatched;'
OLD[rule3]='if (quorumIndex > commitIndex && log.termAt(quorumIndex) == term) {'
NEW[rule3]='if (quorumIndex > commitIndex) {'
OLD[lease]='return role == Role.LEADER || (leader.isPresent() && electionElapsed < cfg.electionTimeoutTicks());'
NEW[lease]='return false;'
for m in "${@:-rule1 rule2 rule3 lease}"; do
  for name in $m; do
    work=$(mktemp -d)
    git -C "$repo" archive HEAD | tar -C "$work" -xf -
    python3 - "$work/raft-core/src/main/java/io/raftex/core/protocol/RaftMember.java" "${OLD[$name]}" "${NEW[$name]}" <<'PY'
import sys
p, old, new = sys.argv[1:4]
s = open(p).read()
assert old in s, "mutation point not found: " + old
open(p, "w").write(s.replace(old, new, 1))
PY
    (cd "$work" && ./mvnw -B -q -pl raft-core test -Draft.sim.seeds=150 -Dsurefire.failIfNoSpecifiedTests=false \
        -Dtest='SimulationSoakTest,RaftScenariosTest,RaftMemberTest' > "$work/out.log" 2>&1) || true
    echo "$name: $(grep -h 'Tests run:.*Fail' "$work/out.log" | tail -1 | sed 's/\[ERROR\] //; s/\[INFO\] //')"
    rm -rf "$work"
  done
done
