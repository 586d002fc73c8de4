#!/usr/bin/env bash
# Side by side on this machine, one after the other in one run: a three-member etcd cluster (v3 JSON gateway) and
# the three-node RaftEx demo (./run-cluster.sh), both on loopback, loaded by the same wrk settings, all to the
# leader. Each cluster runs alone while it is measured, and gets WARMUP seconds of unmeasured writes and WARMUP/3 seconds of
# unmeasured linearizable reads first (64 connections). Rows:
#   writes with 1, 16, 64 and 256 connections (256-byte values over 1,000 keys: etcd.lua -- put, put.lua),
#   linearizable reads with 64 connections (etcd.lua -- get, get.lua),
#   a 50/50 read/write mix with 64 connections, every write with its own value (mix.lua -- etcd|raftex).
# Prints a markdown table: requests/s, p50 and p99 of each cluster, and RaftEx / etcd per row.
#
#   scripts/bench-vs-etcd.sh                      DURATION=15 WARMUP=60 THREADS=2 by default: ~7 min
#   DURATION=30 scripts/bench-vs-etcd.sh          seconds per row
#
# Needs: etcd and etcdctl (Debian: apt-get install etcd-server etcd-client), wrk, Java 17. Uses ports 23791-23793,
# 23801-23803 (etcd) and 8081-8083 (demo), a temporary directory for etcd and ./data for the demo (wiped).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-15}   # seconds per measured row
WARMUP=${WARMUP:-60}       # seconds of unmeasured writes (64 connections) before the rows, for each cluster, then a third of it of reads (the JVMs' compilers are still busy after 30 s on 2 cores)
THREADS=${THREADS:-2}      # wrk threads
for tool in etcd etcdctl wrk java curl; do
  command -v "$tool" >/dev/null || { echo "$tool not found (see the header of $0)" >&2; exit 1; }
done

WORK=$(mktemp -d)
ETCD_PIDS=()
DEMO_PID=
cleanup() {
  if [ ${#ETCD_PIDS[@]} -gt 0 ]; then
    kill "${ETCD_PIDS[@]}" 2>/dev/null || true
    wait "${ETCD_PIDS[@]}" 2>/dev/null || true
  fi
  if [ -n "$DEMO_PID" ]; then   # run-cluster.sh stops its three JVMs on TERM and waits for them
    kill -TERM "$DEMO_PID" 2>/dev/null || true
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# "16.90ms" / "1.20s" / "850.00us" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.1f", v + 0;
    else if (v ~ /s$/) printf "%.0f", v * 1000; else print "n/a" }'
}

# run_wrk <connections> <wrk args...> -> "requests/s p50ms p99ms errors" (errors: non-2xx + socket errors)
run_wrk() {
  local conns=$1 out
  shift
  out=$(wrk -t"$((THREADS < conns ? THREADS : conns))" -c"$conns" -d"${DURATION}s" --latency "$@")
  { echo "== wrk -c$conns $*  (load average $(cut -d' ' -f1-3 /proc/loadavg))"; echo "$out"; } >> "$WORK/wrk.log"
  local rps p50 p99 errs
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}')
  echo "${rps:-0} $(to_ms "${p50:-x}") $(to_ms "${p99:-x}") $errs"
}

ROWS=("writes, 1 connection" "writes, 16 connections" "writes, 64 connections" "writes, 256 connections"
  "linearizable reads, 64 connections" "50/50 reads/writes, 64 connections")
declare -A RES

# measure <prefix E|R> <url> <put args...> -- the six rows against one cluster
measure() {
  local p=$1 url=$2 kind=$3
  local put get mix
  if [ "$kind" = etcd ]; then
    put=(-s demo-app/bench/etcd.lua "$url" -- put); get=(-s demo-app/bench/etcd.lua "$url" -- get)
    mix=(-s demo-app/bench/mix.lua "$url" -- etcd)
  else
    put=(-s demo-app/bench/put.lua "$url"); get=(-s demo-app/bench/get.lua "$url")
    mix=(-s demo-app/bench/mix.lua "$url" -- raftex)
  fi
  wrk -t"$THREADS" -c64 -d"${WARMUP}s" "${put[@]}" > /dev/null   # warm-up (the JVMs compile their hot paths)
  wrk -t"$THREADS" -c64 -d"$((WARMUP / 3))s" "${get[@]}" > /dev/null
  RES[$p,0]=$(run_wrk 1 "${put[@]}")
  RES[$p,1]=$(run_wrk 16 "${put[@]}")
  RES[$p,2]=$(run_wrk 64 "${put[@]}")
  RES[$p,3]=$(run_wrk 256 "${put[@]}")
  RES[$p,4]=$(run_wrk 64 "${get[@]}")
  RES[$p,5]=$(run_wrk 64 "${mix[@]}")
  echo "   done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ETCD_VERSION=$(etcd --version | head -1 | awk '{print $3}')
echo "== etcd $ETCD_VERSION, 3 members (load average $LOAD_START)"
CLUSTER="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
ENDPOINTS="http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793"
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$WORK/e$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token bench \
    > "$WORK/e$i.log" 2>&1 &
  ETCD_PIDS+=($!)
done
for _ in $(seq 1 60); do
  etcdctl --endpoints="$ENDPOINTS" endpoint health >/dev/null 2>&1 && break
  sleep 1
done
ETCD_LEADER=$(etcdctl --endpoints="$ENDPOINTS" endpoint status | awk -F', ' '$5 == "true" {print $1}')
[ -n "$ETCD_LEADER" ] || { echo "etcd has no leader" >&2; exit 1; }
echo "   leader: $ETCD_LEADER"
measure E "$ETCD_LEADER" etcd
kill "${ETCD_PIDS[@]}" 2>/dev/null || true
wait "${ETCD_PIDS[@]}" 2>/dev/null || true
ETCD_PIDS=()

echo "== RaftEx demo, 3 nodes (load average $(cut -d' ' -f1-3 /proc/loadavg))"
./run-cluster.sh --clean > "$WORK/demo.log" 2>&1 &
DEMO_PID=$!
LEADER_PORT=
for _ in $(seq 1 180); do
  for port in 8081 8082 8083; do
    if curl -fs "http://127.0.0.1:$port/raft/admin/groups/kv" 2>/dev/null | grep -q '"role":"leader"'; then
      LEADER_PORT=$port
    fi
  done
  [ -n "$LEADER_PORT" ] && break
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$WORK/demo.log" >&2; exit 1; }
  sleep 1
done
[ -n "$LEADER_PORT" ] || { echo "the demo cluster elected no leader" >&2; exit 1; }
echo "   leader: http://127.0.0.1:$LEADER_PORT"
measure R "http://127.0.0.1:$LEADER_PORT" raftex
kill -TERM "$DEMO_PID" 2>/dev/null || true
wait "$DEMO_PID" 2>/dev/null || true
DEMO_PID=

cp "$WORK/wrk.log" "${WRK_LOG:-/dev/null}" 2>/dev/null || true
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
cell() { printf "%s/s (p50 %s ms, p99 %s ms)" "$(echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$2" "$3"; }
echo
echo "etcd $ETCD_VERSION vs RaftEx demo, 3 members each on loopback, wrk -t$THREADS -d${DURATION}s --latency to the"
echo "leader after ${WARMUP}s of warm-up; load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(nproc) cores"
echo
echo "| load (to the leader) | etcd $ETCD_VERSION | RaftEx demo | RaftEx / etcd | errors etcd / RaftEx |"
echo "|---|---|---|---|---|"
for i in "${!ROWS[@]}"; do
  read -r e50 e51 e52 e53 <<< "${RES[E,$i]}"
  read -r r50 r51 r52 r53 <<< "${RES[R,$i]}"
  echo "| ${ROWS[$i]} | $(cell "$e50" "$e51" "$e52") | $(cell "$r50" "$r51" "$r52") | **$(ratio "$r50" "$e50")×** | $e53 / $r53 |"
done
