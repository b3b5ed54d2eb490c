#!/usr/bin/env bash
# WAL replay speed, Promethium vs Prometheus, on the data directories that
# side_by_side.py kept (--keep --workdir DIR): restarts each server on a copy
# of its data dir with no scrape targets and prints its replay log lines.
#
#   bench/wal_replay_side_by_side.sh <side_by_side workdir> <promethium binary> [extra server flags...]
#
# Bounded: each server gets 120 s to become ready and is then stopped.
set -euo pipefail
WORK=${1:?usage: wal_replay_side_by_side.sh <workdir> <promethium> [flags...]}
PROMETHIUM=${2:?usage: wal_replay_side_by_side.sh <workdir> <promethium> [flags...]}
shift 2
PROMETHEUS=${PROMETHEUS:-prometheus}
TMP=$(mktemp -d /tmp/wal_replay.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$TMP/empty.yml"
cp -a "$WORK/promethium-data" "$TMP/a-data"
cp -a "$WORK/prometheus-data" "$TMP/b-data"
du -sh "$TMP/a-data/wal" "$TMP/b-data/wal"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_until_ready <log> <binary> <args...>
run_until_ready() {
  local log=$1 port
  shift
  port=$(free_port)
  "$@" --config.file="$TMP/empty.yml" --web.listen-address=127.0.0.1:"$port" >"$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
    sleep 0.5
  done
  kill "$pid"
  wait "$pid" || true
}

run_until_ready "$TMP/a.log" "$PROMETHIUM" --storage.tsdb.path="$TMP/a-data" "$@"
run_until_ready "$TMP/b.log" "$PROMETHEUS" --storage.tsdb.path="$TMP/b-data" "$@"
echo "promethium:"
grep -i "replay completed" "$TMP/a.log" || echo "(no replay line)"
echo "prometheus:"
grep -i "replay completed" "$TMP/b.log" || echo "(no replay line)"
