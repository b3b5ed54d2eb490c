#!/usr/bin/env bash
# Regenerates prometheus-2.42-histogram-wal/wal/: the WAL a real Prometheus
# 2.42 (with --enable-feature=native-histograms) wrote after receiving
# prometheus-2.42-histogram-wal/request.bin over remote write.
#
# request.bin is a snappy-compressed prometheus.WriteRequest of ten integer
# native histograms (two series, five samples each), written by Promethium's
# remote write codec (remote/write/codec.h); expected.txt lists them
# (labels, timestamp ms, counter-reset hint, Prometheus's String() form),
# which is also what Prometheus's query API returned for them. The WAL then
# holds one series record and one histogram samples record (type 7).
#
# Usage: make_histogram_wal_fixture.sh. Needs /usr/bin/prometheus 2.42,
# curl and python3 (to find a free port).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/prometheus-2.42-histogram-wal"
work="$(mktemp -d)"
prom_pid=""
cleanup() {
  if [[ -n "$prom_pid" ]]; then kill -TERM "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
printf 'global:\n  scrape_interval: 1h\n' >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
  --enable-feature=native-histograms >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 300); do
  curl -sf "$url/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf -X POST --data-binary @"$out/request.bin" -H 'Content-Encoding: snappy' \
  -H 'Content-Type: application/x-protobuf' -H 'X-Prometheus-Remote-Write-Version: 0.1.0' "$url/api/v1/write"
kill -TERM "$prom_pid"
wait "$prom_pid" || true
prom_pid=""
rm -rf "$out/wal"
cp -r "$work/data/wal" "$out/wal"
ls -l "$out/wal"
