#!/usr/bin/env bash
# Side by side on this machine, one after the other in one run: a three-member etcd cluster (v3 JSON gateway) and
# the three-node RaftEx demo (./run-cluster.sh), both on loopback, loaded by the same wrk settings: writes of
# 256-byte values over 1,000 keys to the leader, then linearizable reads of them from the leader. Prints both and
# the RaftEx / etcd ratio. Each cluster runs alone while it is measured.
#
#   scripts/bench-vs-etcd.sh [connections] [seconds]     defaults: 64 connections, 12 s per load
#
# Before the measured writes, each cluster gets WARMUP (default 10) seconds of the same writes, unmeasured.
#
# Needs: etcd and etcdctl (Debian: apt-get install etcd-server etcd-client), wrk, Java 17. Uses ports 23791-23793,
# 23801-23803 (etcd) and 8081-8083 (demo), a temporary directory for etcd and ./data for the demo (wiped).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CONNS=${1:-64}
SECS=${2:-12}
WARMUP=${WARMUP:-10}   # seconds of unmeasured writes before the measured ones, for both
for tool in etcd etcdctl wrk java curl; do
  command -v "$tool" >/dev/null || { echo "$tool not found (see the header of $0)" >&2; exit 1; }
done

WORK=$(mktemp -d)
ETCD_PIDS=()
DEMO_PID=
cleanup() {
  [ ${#ETCD_PIDS[@]} -gt 0 ] && kill "${ETCD_PIDS[@]}" 2>/dev/null || true
  [ -n "$DEMO_PID" ] && kill -TERM "$DEMO_PID" 2>/dev/null && wait "$DEMO_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# wrk output -> "requests/s p50 p99"
run_wrk() {
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$@")
  echo "$out" >> "$WORK/wrk.log"
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  local non2xx
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  echo "$rps $p50 $p99 ${non2xx:-0}"
}

echo "== etcd $(etcd --version | head -1 | awk '{print $3}'), 3 members"
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
echo "leader: $ETCD_LEADER"
wrk -t2 -c"$CONNS" -d"${WARMUP}s" -s demo-app/bench/etcd.lua "$ETCD_LEADER" -- put > /dev/null   # warm-up
read -r E_PUT E_PUT50 E_PUT99 E_PUTERR < <(run_wrk -s demo-app/bench/etcd.lua "$ETCD_LEADER" -- put)
read -r E_GET E_GET50 E_GET99 E_GETERR < <(run_wrk -s demo-app/bench/etcd.lua "$ETCD_LEADER" -- get)
kill "${ETCD_PIDS[@]}" 2>/dev/null || true
wait "${ETCD_PIDS[@]}" 2>/dev/null || true
ETCD_PIDS=()

echo "== RaftEx demo, 3 nodes"
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
echo "leader: http://127.0.0.1:$LEADER_PORT"
# warm-up: the JVMs compile their hot paths in the first seconds
wrk -t2 -c"$CONNS" -d"${WARMUP}s" -s demo-app/bench/put.lua "http://127.0.0.1:$LEADER_PORT" > /dev/null
read -r R_PUT R_PUT50 R_PUT99 R_PUTERR < <(run_wrk -s demo-app/bench/put.lua "http://127.0.0.1:$LEADER_PORT")
read -r R_GET R_GET50 R_GET99 R_GETERR < <(run_wrk -s demo-app/bench/get.lua "http://127.0.0.1:$LEADER_PORT")
kill -TERM "$DEMO_PID" 2>/dev/null || true
wait "$DEMO_PID" 2>/dev/null || true
DEMO_PID=

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "wrk -t2 -c$CONNS -d${SECS}s, to the leader, load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %12s %10s %10s %8s\n' "load" "requests/s" "p50" "p99" "non-2xx"
printf '%-34s %12s %10s %10s %8s\n' "etcd writes" "$E_PUT" "$E_PUT50" "$E_PUT99" "$E_PUTERR"
printf '%-34s %12s %10s %10s %8s\n' "RaftEx writes" "$R_PUT" "$R_PUT50" "$R_PUT99" "$R_PUTERR"
printf '%-34s %12s %10s %10s %8s\n' "etcd linearizable reads" "$E_GET" "$E_GET50" "$E_GET99" "$E_GETERR"
printf '%-34s %12s %10s %10s %8s\n' "RaftEx linearizable reads" "$R_GET" "$R_GET50" "$R_GET99" "$R_GETERR"
echo "RaftEx / etcd: writes $(ratio "$R_PUT" "$E_PUT")x, linearizable reads $(ratio "$R_GET" "$E_GET")x"
