#!/usr/bin/env bash
# Runs a local RaftEx demo cluster (the replicated key-value store of demo-app) on 127.0.0.1: nodes n1, n2 and n3 on
# ports 8081, 8082 and 8083, their data in ./data/<node>, their logs appended to ./data/logs/<node>.log.
# It stays in the foreground and watches the nodes: if one dies it says so and the others go on. Ctrl-C, or
# `kill <the pid it prints>`, stops every node cleanly (a leader hands over first) and waits for them to exit.
#
# Needs only Java 17 or later: the first run builds demo-app/target/demo-app.jar with the Maven wrapper.
#
#   ./run-cluster.sh                  start n1, n2 and n3 (builds the jar if it is missing) and watch them
#   ./run-cluster.sh --build          rebuild the jar first
#   ./run-cluster.sh --clean          delete ./data first (start from an empty store)
# From another shell, while the cluster runs (or without it):
#   ./run-cluster.sh --restart n1     stop n1 if it runs, then start it again (same data, log appended)
#   ./run-cluster.sh --start n4       start another node, nN on port 8080+N, as a new member waiting to be added:
#                                     it prints the POST that adds it
#   ./run-cluster.sh --stop n2        stop one node;  ./run-cluster.sh --stop  stops every node
#
# Environment: JAVA_OPTS (default -Xmx384m); RAFT_CLUSTER_TOKEN, the shared secret of peer RPCs, and
# RAFT_ADMIN_TOKEN, the bearer token of admin API writes (each a fixed local default; at least 16 characters).
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$PWD
JAR=$ROOT/demo-app/target/demo-app.jar
DATA=$ROOT/data
RUN=$DATA/run
HOST=127.0.0.1
IDS=(n1 n2 n3)
CLUSTER_TOKEN=${RAFT_CLUSTER_TOKEN:-local-demo-cluster-token}
ADMIN_TOKEN=${RAFT_ADMIN_TOKEN:-local-demo-admin-token}
JAVA_OPTS=${JAVA_OPTS:--Xmx384m}
STARTUP_SECONDS=180
STOP_SECONDS=60

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

build=0
clean=0
action=cluster
target=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=1 ;;
    --clean) clean=1 ;;
    --restart|--start)
      action=${1#--}
      target=${2:-}
      [[ -n "$target" ]] || { echo "$1 needs a node id, for example $1 n1" >&2; exit 2; }
      shift ;;
    --stop)
      action=stop
      if [[ $# -gt 1 && "$2" != --* ]]; then target=$2; shift; fi ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ -n "$target" && ! "$target" =~ ^n[1-9]$ ]]; then
  echo "node ids are n1 to n9 (nN listens on port 808N), not '$target'" >&2
  exit 2
fi

port_of() { echo $((8080 + ${1#n})); }

members=""
for id in "${IDS[@]}"; do
  members+="${members:+,}$id=http://$HOST:$(port_of "$id")"
done

port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# the pid of a node started by this script and still running, or nothing
pid_of() {
  local file=$RUN/$1.pid pid
  [[ -f "$file" ]] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

known_nodes() {
  local f
  for f in "$RUN"/*.pid; do
    if [[ -e "$f" ]]; then basename "$f" .pid; fi
  done
}

# the status of group kv from the first of n1..n3 that answers, or nothing
group_status() {
  local id
  for id in "${IDS[@]}"; do
    curl -fs "http://$HOST:$(port_of "$id")/raft/admin/groups/kv" 2>/dev/null && return 0
  done
  return 0
}

check_java() {
  if ! command -v java >/dev/null 2>&1; then
    echo "java not found: install Java 17 or later" >&2
    exit 1
  fi
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  if [[ -z "$major" || "$major" -lt 17 ]]; then
    echo "Java 17 or later is needed (found: $(java -version 2>&1 | head -n 1))" >&2
    exit 1
  fi
  if [[ $build -eq 1 || ! -f "$JAR" ]]; then
    echo "Building $JAR (the first time, this downloads Maven and the dependencies)..."
    ./mvnw -B -q -DskipTests -pl demo-app -am package
  fi
}

# Starts node $1 in a session of its own (so a Ctrl-C aimed at whichever shell started it does not reach it; the
# cluster script stops it), appending to its log; the node writes its own pid file before it becomes the JVM.
start_node() {
  local id=$1 port node_members
  port=$(port_of "$id")
  if port_in_use "$port"; then
    echo "port $port on $HOST is in use: stop whatever listens there (an earlier cluster? ./run-cluster.sh --stop)" >&2
    return 1
  fi
  node_members=$members
  mkdir -p "$DATA/logs" "$RUN"
  echo "=== $(date '+%Y-%m-%d %H:%M:%S') run-cluster.sh starts $id on port $port" >>"$DATA/logs/$id.log"
  local launcher=()
  if command -v setsid >/dev/null 2>&1; then launcher=(setsid); fi
  # shellcheck disable=SC2086,SC2016 # JAVA_OPTS is a list of options; $$ is the inner shell's
  RAFT_SECURITY_CLUSTER_TOKEN=$CLUSTER_TOKEN RAFT_ADMIN_TOKEN=$ADMIN_TOKEN nohup "${launcher[@]}" bash -c \
    'echo $$ >"$0"; exec "$@"' "$RUN/$id.pid" java $JAVA_OPTS -jar "$JAR" \
    --server.address="$HOST" \
    --server.port="$port" \
    --raft.node-id="$id" \
    --raft.members="$node_members" \
    --raft.data-dir="$DATA/$id" \
    >>"$DATA/logs/$id.log" 2>&1 </dev/null &
  disown $! 2>/dev/null || true   # its death is reported by the watch loop, not by bash
  local _
  for _ in $(seq 1 50); do
    [[ -s "$RUN/$id.pid" ]] && break
    sleep 0.1
  done
}

# whether node $1 serves: its port listens and (where curl is) its Raft node runs, so it answers the group's status
node_serves() {
  local port
  port=$(port_of "$1")
  port_in_use "$port" || return 1
  if command -v curl >/dev/null 2>&1; then
    curl -fs -o /dev/null "http://$HOST:$port/raft/admin/groups/kv" 2>/dev/null || return 1
  fi
}

# Waits until node $1 serves; false (after printing its log's end) if it dies or takes too long.
await_node() {
  local id=$1 port deadline
  port=$(port_of "$id")
  deadline=$((SECONDS + STARTUP_SECONDS))
  until node_serves "$id"; do
    if [[ -z "$(pid_of "$id")" ]]; then
      echo "$id exited while starting; the end of data/logs/$id.log:" >&2
      tail -n 20 "$DATA/logs/$id.log" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "$id did not start serving on port $port within ${STARTUP_SECONDS}s; see data/logs/$id.log" >&2
      return 1
    fi
    sleep 0.5
  done
}

# Stops nodes $@ (SIGTERM: a clean shutdown, a leader hands over first), waits for them, and forgets their pid files.
stop_nodes() {
  local id pid deadline
  local -A pids=()
  for id in "$@"; do
    pid=$(pid_of "$id")
    rm -f "$RUN/$id.pid"
    if [[ -n "$pid" ]]; then
      pids[$id]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  deadline=$((SECONDS + STOP_SECONDS))
  for id in "$@"; do
    pid=${pids[$id]:-}
    [[ -n "$pid" ]] || continue
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS > deadline)); then
        echo "  $id (pid $pid) did not stop within ${STOP_SECONDS}s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.2
    done
    echo "  $id (pid $pid) stopped"
  done
}

stop_all() {
  if [[ -z "$(known_nodes)" ]]; then
    echo "no node started by run-cluster.sh runs"
    return 0
  fi
  # shellcheck disable=SC2046 # node ids have no spaces
  stop_nodes $(known_nodes)
}

case "$action" in
  stop)
    if [[ -n "$target" ]]; then
      [[ -n "$(pid_of "$target")" ]] || { echo "$target is not running"; rm -f "$RUN/$target.pid"; exit 0; }
      stop_nodes "$target"
    else
      stop_all
    fi
    exit 0 ;;
  restart|start)
    check_java
    if [[ -n "$(pid_of "$target")" ]]; then
      if [[ $action == start ]]; then
        echo "$target already runs (pid $(pid_of "$target")); ./run-cluster.sh --restart $target restarts it" >&2
        exit 1
      fi
      echo "Stopping $target..."
      stop_nodes "$target"
    fi
    echo "Starting $target on http://$HOST:$(port_of "$target") (log appended to data/logs/$target.log)..."
    start_node "$target"
    await_node "$target" || exit 1
    echo "$target (pid $(pid_of "$target")) is up on http://$HOST:$(port_of "$target")"
    if [[ " ${IDS[*]} " != *" $target "* ]] && ! group_status | grep -q "\"id\":\"$target\""; then
      cat <<EOF
It is not a member yet: it waits, taking no part, until it is added. Add it (any member takes the request; it joins
as a promotable member, catches up, and the leader makes it a voter):
  curl -X POST http://$HOST:8081/raft/admin/groups/kv/members -H 'Authorization: Bearer $ADMIN_TOKEN' \\
       -H 'Content-Type: application/json' -d '{"id":"$target","url":"http://$HOST:$(port_of "$target")"}'
EOF
    fi
    exit 0 ;;
esac

# ---- the cluster: start n1, n2 and n3, then watch every node until Ctrl-C or SIGTERM

check_java
for id in "${IDS[@]}" $(known_nodes); do
  if [[ -n "$(pid_of "$id")" ]]; then
    echo "$id already runs (pid $(pid_of "$id")): stop the running cluster first (./run-cluster.sh --stop)" >&2
    exit 1
  fi
done
for id in "${IDS[@]}"; do
  if port_in_use "$(port_of "$id")"; then
    echo "port $(port_of "$id") on $HOST is in use: stop whatever listens there (an earlier cluster?) and try again" >&2
    exit 1
  fi
done
if [[ $clean -eq 1 ]]; then
  rm -rf "$DATA"
fi
mkdir -p "$DATA/logs"
rm -rf "$RUN"
mkdir -p "$RUN"

shutdown() {
  local status=$1
  # a second Ctrl-C while stopping kills what is left
  trap 'echo " killing"; for f in "$RUN"/*.pid; do [[ -e "$f" ]] && kill -KILL "$(cat "$f")" 2>/dev/null; done; exit 130' INT TERM
  echo
  echo "Stopping the cluster..."
  stop_all
  echo "All nodes stopped. Data is kept in $DATA (./run-cluster.sh --clean starts afresh)."
  exit "$status"
}
trap 'shutdown 0' INT TERM

for id in "${IDS[@]}"; do
  start_node "$id"
  echo "started $id (pid $(pid_of "$id")) on http://$HOST:$(port_of "$id"), data in data/$id, log in data/logs/$id.log"
done
echo "Waiting for the nodes to start..."
for id in "${IDS[@]}"; do
  await_node "$id" || shutdown 1
done

cat <<EOF

RaftEx demo cluster is up: group "kv" with members $members
  n1  http://$HOST:8081  pid $(pid_of n1)
  n2  http://$HOST:8082  pid $(pid_of n2)
  n3  http://$HOST:8083  pid $(pid_of n3)
Cluster token (peer RPCs):   $CLUSTER_TOKEN
Admin token (admin writes):  $ADMIN_TOKEN
(set RAFT_CLUSTER_TOKEN and RAFT_ADMIN_TOKEN to choose others, at least 16 characters each)

Any node takes any request (followers forward writes to the leader). Try:
  curl -X PUT http://$HOST:8081/kv/greeting -H 'Content-Type: application/json' -d '{"value":"hello"}'
  curl http://$HOST:8082/kv/greeting
  curl http://$HOST:8081/raft/admin/groups/kv          # who leads, terms, indexes, members
  curl -X POST http://$HOST:8081/raft/admin/groups/kv/snapshot -H 'Authorization: Bearer $ADMIN_TOKEN'

From another shell:
  ./run-cluster.sh --restart n1    restart a node (or start it again after it died)
  ./run-cluster.sh --start n4      start a fourth node on port 8084; it prints the POST that adds it
  ./run-cluster.sh --stop n2       stop one node
Stop them all: Ctrl-C here, or kill $$ (this script), or ./run-cluster.sh --stop
EOF

# Watch: report a node that dies (the others go on) and a node started or restarted from another shell.
declare -A seen=()
for id in $(known_nodes); do seen[$id]=$(pid_of "$id"); done
while true; do
  if [[ -z "$(known_nodes)" ]]; then
    echo "Every node was stopped from another shell. Data is kept in $DATA."
    exit 0
  fi
  for id in $(known_nodes) "${!seen[@]}"; do
    pid=$(pid_of "$id")
    was=${seen[$id]:-}
    if [[ -n "$was" && -z "$pid" ]]; then
      if [[ -f "$RUN/$id.pid" ]]; then
        echo "$id (pid $was) exited; the others go on. The end of data/logs/$id.log:"
        tail -n 10 "$DATA/logs/$id.log" | sed 's/^/    /' || true
        echo "  restart it with: ./run-cluster.sh --restart $id"
      else
        echo "$id (pid $was) was stopped; start it again with: ./run-cluster.sh --restart $id"
      fi
      seen[$id]=
    elif [[ -n "$pid" && "$pid" != "$was" ]]; then
      echo "$id runs (pid $pid), started from another shell"
      seen[$id]=$pid
    fi
  done
  sleep 1 &
  wait $! || true
done
