#!/usr/bin/env bash
# Runs a local three-node RaftEx demo cluster (the replicated key-value store of demo-app) on 127.0.0.1:
# three JVMs on ports 8081, 8082 and 8083, with their data in ./data/n1, ./data/n2 and ./data/n3 and their logs in
# ./data/logs. Ctrl-C stops all three cleanly (a leader hands over first) and waits for them to exit.
#
# Needs only Java 17 or later: the first run builds demo-app/target/demo-app.jar with the Maven wrapper.
#
#   ./run-cluster.sh            start (builds the jar if it is missing)
#   ./run-cluster.sh --build    rebuild the jar first
#   ./run-cluster.sh --clean    delete ./data first (start from an empty store)
#
# Environment: JAVA_OPTS (default -Xmx384m), RAFT_CLUSTER_TOKEN (shared secret of peer RPCs; a fixed local default).
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$PWD
JAR=$ROOT/demo-app/target/demo-app.jar
DATA=$ROOT/data
HOST=127.0.0.1
IDS=(n1 n2 n3)
PORTS=(8081 8082 8083)
TOKEN=${RAFT_CLUSTER_TOKEN:-local-demo-cluster-token}
JAVA_OPTS=${JAVA_OPTS:--Xmx384m}
STARTUP_SECONDS=180

build=0
clean=0
for arg in "$@"; do
  case "$arg" in
    --build) build=1 ;;
    --clean) clean=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
  esac
done

if ! command -v java >/dev/null 2>&1; then
  echo "java not found: install Java 17 or later" >&2
  exit 1
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
if [[ -z "$java_major" || "$java_major" -lt 17 ]]; then
  echo "Java 17 or later is needed (found: $(java -version 2>&1 | head -n 1))" >&2
  exit 1
fi

if [[ $build -eq 1 || ! -f "$JAR" ]]; then
  echo "Building $JAR (first run only; this downloads Maven and the dependencies)..."
  ./mvnw -B -q -DskipTests -pl demo-app -am package
fi

port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

for port in "${PORTS[@]}"; do
  if port_in_use "$port"; then
    echo "port $port on $HOST is in use: stop whatever listens there (an earlier cluster?) and try again" >&2
    exit 1
  fi
done

if [[ $clean -eq 1 ]]; then
  rm -rf "$DATA"
fi
mkdir -p "$DATA/logs"

members=""
for i in "${!IDS[@]}"; do
  members+="${members:+,}${IDS[$i]}=http://$HOST:${PORTS[$i]}"
done

pids=()

stop_all() {
  local status=$1
  # a second Ctrl-C while stopping kills what is left
  trap 'echo " killing"; kill -KILL "${pids[@]}" 2>/dev/null || true' INT TERM
  echo
  echo "Stopping the cluster..."
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" 2>/dev/null || true
    echo "  ${IDS[$i]} (pid ${pids[$i]}) stopped"
  done
  echo "All nodes stopped. Data is kept in $DATA (./run-cluster.sh --clean starts afresh)."
  exit "$status"
}

trap 'stop_all 0' INT TERM

for i in "${!IDS[@]}"; do
  id=${IDS[$i]}
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  java $JAVA_OPTS -jar "$JAR" \
    --server.address="$HOST" \
    --server.port="${PORTS[$i]}" \
    --raft.node-id="$id" \
    --raft.members="$members" \
    --raft.data-dir="$DATA/$id" \
    --raft.security.cluster-token="$TOKEN" \
    >"$DATA/logs/$id.log" 2>&1 &
  pids+=($!)
  echo "started ${id} (pid $!) on http://$HOST:${PORTS[$i]}, data in data/$id, log in data/logs/$id.log"
done

died() {
  local i=$1
  echo "${IDS[$i]} exited unexpectedly; the end of data/logs/${IDS[$i]}.log:" >&2
  tail -n 20 "$DATA/logs/${IDS[$i]}.log" >&2 || true
  stop_all 1
}

echo "Waiting for the nodes to start..."
deadline=$((SECONDS + STARTUP_SECONDS))
for i in "${!IDS[@]}"; do
  until port_in_use "${PORTS[$i]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || died "$i"
    if ((SECONDS > deadline)); then
      echo "${IDS[$i]} did not open port ${PORTS[$i]} within ${STARTUP_SECONDS}s; see data/logs/${IDS[$i]}.log" >&2
      stop_all 1
    fi
    sleep 0.5 & wait $!
  done
done

cat <<EOF

RaftEx demo cluster is up: group "kv" with members $members
  n1  http://$HOST:${PORTS[0]}
  n2  http://$HOST:${PORTS[1]}
  n3  http://$HOST:${PORTS[2]}

Any node takes any request (followers forward writes to the leader). Try:
  curl -X PUT http://$HOST:${PORTS[0]}/kv/greeting -H 'Content-Type: application/json' -d '{"value":"hello"}'
  curl http://$HOST:${PORTS[1]}/kv/greeting
  curl 'http://$HOST:${PORTS[2]}/kv/greeting?consistency=local'
  curl -X POST http://$HOST:${PORTS[2]}/kv/greeting/cas -H 'Content-Type: application/json' -d '{"expected":"hello","value":"bye"}'
  curl -X DELETE http://$HOST:${PORTS[0]}/kv/greeting
  curl http://$HOST:${PORTS[0]}/actuator/health

Press Ctrl-C to stop all three nodes.
EOF

while true; do
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || died "$i"
  done
  sleep 1 & wait $!
done
