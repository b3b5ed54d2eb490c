#!/usr/bin/env bash
# Remote write receiving throughput: Promethium vs Prometheus (Debian's 2.42)
# on loopback, same pre-encoded batches (web/remote/remote_write_load.cc).
# Each receiver starts on an empty data dir; the load tool reports accepted
# samples per wall second and per CPU second of the receiver process.
#
#   web/remote/remote_write_bench.sh <build dir> [series] [rounds] [batch] [connections]
#
# Bounded: every receiver is killed on exit; the load tool stops after 300 s.
set -euo pipefail
BUILD=${1:?usage: remote_write_bench.sh <build dir> [series] [rounds] [batch] [connections]}
SERIES=${2:-10000}
ROUNDS=${3:-30}
BATCH=${4:-500}
CONNS=${5:-2}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
LOAD=$BUILD/web/remote_write_load
PROMETHIUM=$BUILD/server/promethium
TMP=$(mktemp -d /tmp/rw_bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
printf 'global:\n  scrape_interval: 15s\n' >"$TMP/prometheus.yml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$1/-/ready" >/dev/null && return 0
    sleep 0.25
  done
  echo "receiver on port $1 did not become ready" >&2
  return 1
}

run_one() {  # name, command...
  local name=$1 port
  shift
  port=$(free_port)
  "$@" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/$name-data" \
    --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver >"$TMP/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_ready "$port"
  echo "== $name (pid $pid): series=$SERIES rounds=$ROUNDS batch=$BATCH connections=$CONNS"
  "$LOAD" --url="http://127.0.0.1:$port/api/v1/write" --series="$SERIES" --rounds="$ROUNDS" --batch="$BATCH" \
    --connections="$CONNS" --pid="$pid" --timeout_seconds=300 || echo "($name: some requests failed)"
  echo "rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

run_one promethium "$PROMETHIUM"
run_one prometheus "$PROMETHEUS"
