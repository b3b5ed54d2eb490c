#!/usr/bin/env bash
# Regenerates prometheus-2.42-wal/: the wal/ and wbl/ directories a real
# Prometheus 2.42 wrote, plus expected.txt, the samples that went in.
#
# Four short Prometheus runs on one data directory (each start opens a new
# WAL segment), fed over remote write with a fixed set of samples of three
# series, 5 minutes apart, starting at a 2h-aligned time t0:
#   run 1  k = 0..29   (t0 .. t0+2h25m)                      -> segment 0
#   run 2  k = 30..35  and delete_series (admin API) of one
#          series over [k=31, k=33] -> a tombstone record    -> segment 1
#   run 3  nothing                                           -> segment 2 (empty)
#   run 4  k = 36..41: the head now spans more than 1.5 block ranges, so
#          Prometheus compacts [t0, t0+2h) into a block and checkpoints
#          segments 0..1 into checkpoint.00000001 (keeping samples >= t0+2h);
#          then k = 42..45 in order, and out-of-order samples (the config
#          sets out_of_order_time_window), which go to wbl/. One series gets
#          40 of them, more than the 32 an out-of-order head chunk holds, so
#          the WBL also holds an m-map marker record.
# WAL compression is Prometheus 2.42's default (snappy).
#
# expected.txt lines:
#   wal <selector> <value> <timestamp ms>        an in-order sample pushed
#   ooo <selector> <value> <timestamp ms>        an out-of-order sample pushed
#   tombstone <selector> <mint ms> <maxt ms>     a deletion
#   checkpoint_mint <ms>                         samples below it are only in
#                                                the block, not in wal/
#
# Usage: make_wal_fixture.sh <path to the remote_write_push binary>
#   (build it with: ninja -C <build dir> remote_write_push). Needs
#   /usr/bin/prometheus 2.42, curl and python3 (to find a free port).
set -euo pipefail
push="${1:?usage: make_wal_fixture.sh <remote_write_push binary>}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/prometheus-2.42-wal"
work="$(mktemp -d)"
prom_pid=""

stop_prometheus() {
  [[ -n "$prom_pid" ]] || return 0
  kill -TERM "$prom_pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$prom_pid" 2>/dev/null; then
    kill -KILL "$prom_pid" 2>/dev/null || true
    echo "prometheus did not stop within 30 s; killed" >&2
  fi
  wait "$prom_pid" 2>/dev/null || true
  prom_pid=""
}
cleanup() {
  stop_prometheus
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
cat >"$work/prometheus.yml" <<'YML'
global:
  scrape_interval: 1h
storage:
  tsdb:
    out_of_order_time_window: 1h
YML

start_prometheus() {
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver --web.enable-admin-api \
    >>"$work/prometheus.log" 2>&1 &
  prom_pid=$!
  for _ in $(seq 1 300); do
    if curl -sf "$url/-/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/prometheus.log" >&2
  echo "prometheus did not become ready" >&2
  exit 1
}

t0=1699999200000  # a multiple of 2h, so the first block is [t0, t0+2h)
step=300000
requests='fixture_requests_total{instance="a",job="wal_fixture"}'
temperature='fixture_temperature{job="wal_fixture",room="lab"}'
deleted='fixture_deleted_total{job="wal_fixture"}'

# Samples k = $1..$2 of the three series, as remote_write_push input.
in_order() {
  awk -v from="$1" -v to="$2" -v t0="$t0" -v step="$step" -v r="$requests" -v tp="$temperature" -v d="$deleted" '
    BEGIN {
      for (k = from; k <= to; k++) {
        t = t0 + k * step
        v = sprintf("%.17g", 20.5 + k * 0.25)
        if (k == 27) v = "NaN"
        if (k == 43) v = "-1.5"
        printf "%s %d %.0f\n%s %s %.0f\n%s %d %.0f\n", r, k * 10, t, tp, v, t, d, k, t
      }
    }'
}

# Out-of-order samples, pushed after k = 45: five for requests between its
# samples at t0+3h..t0+3h25m, and 40 for temperature 7 s apart from t0+3h.
out_of_order() {
  awk -v t0="$t0" -v step="$step" -v r="$requests" -v tp="$temperature" '
    BEGIN {
      for (j = 0; j < 5; j++) printf "%s %d %.0f\n", r, 1000 + j, t0 + 36 * step + 150000 + j * step
      for (j = 0; j < 40; j++) printf "%s %s %.0f\n", tp, sprintf("%.17g", 30 + j * 0.5), t0 + 36 * step + 7000 * (j + 1)
    }'
}

push_file() {
  "$push" "$url/api/v1/write" "$1" >"$work/push.out" || { cat "$work/push.out" >&2; exit 1; }
}

: >"$work/expected.txt"
batch() {  # batch <name> <from k> <to k>
  in_order "$2" "$3" >"$work/$1.txt"
  push_file "$work/$1.txt"
  sed 's/^/wal /' "$work/$1.txt" >>"$work/expected.txt"
}

start_prometheus
batch batch1 0 29
stop_prometheus

start_prometheus
batch batch2 30 35
del_mint=$((t0 + 31 * step))
del_maxt=$((t0 + 33 * step))
curl -sf -X POST "$url/api/v1/admin/tsdb/delete_series" --data-urlencode "match[]=$deleted" \
  --data-urlencode "start=$((del_mint / 1000))" --data-urlencode "end=$((del_maxt / 1000))" >/dev/null
echo "tombstone $deleted $del_mint $del_maxt" >>"$work/expected.txt"
stop_prometheus

start_prometheus
stop_prometheus

start_prometheus
batch batch3 36 41
for _ in $(seq 1 600); do
  [[ -d "$work/data/wal/checkpoint.00000001" ]] && break
  sleep 0.1
done
if [[ ! -d "$work/data/wal/checkpoint.00000001" ]]; then
  cat "$work/prometheus.log" >&2
  echo "no checkpoint after 60 s" >&2
  exit 1
fi
echo "checkpoint_mint $((t0 + 2 * 3600 * 1000))" >>"$work/expected.txt"
batch batch4 42 45
out_of_order >"$work/ooo.txt"
push_file "$work/ooo.txt"
sed 's/^/ooo /' "$work/ooo.txt" >>"$work/expected.txt"
stop_prometheus

rm -rf "$out/wal" "$out/wbl"
mkdir -p "$out"
cp -a "$work/data/wal" "$out/wal"
cp -a "$work/data/wbl" "$out/wbl"
cp "$work/expected.txt" "$out/expected.txt"
echo "wrote $out:"
ls -lR "$out"
