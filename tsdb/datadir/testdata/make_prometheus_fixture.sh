#!/usr/bin/env bash
# Regenerates prometheus-2.42/ (a real Prometheus 2.42 data directory) and
# prometheus-2.42.dump (promtool's dump of every sample in it).
#
# Prometheus scrapes itself every second for 75 s, keeping only a few metric
# families, with 10 s blocks (hidden flags), an out-of-order window (so wbl/
# exists) and the memory snapshot on shutdown (so chunk_snapshot.* exists).
# The result holds blocks, wal/ segments with a checkpoint, wbl/, chunks_head/
# and a chunk snapshot: every artefact Promethium must recognise.
#
# Usage: tsdb/datadir/testdata/make_prometheus_fixture.sh   (needs prometheus, promtool)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
port=19190
cat >"$work/p.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:$port']
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'prometheus_tsdb_head_.*|up|scrape_.*'
        action: keep
storage:
  tsdb:
    out_of_order_time_window: 1m
YML
timeout -s TERM 75 prometheus --config.file="$work/p.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address=127.0.0.1:$port --storage.tsdb.min-block-duration=10s \
  --storage.tsdb.max-block-duration=10s --enable-feature=memory-snapshot-on-shutdown >"$work/log" 2>&1 || true
rm -f "$work/data/queries.active"
cp -a "$work/data" "$work/copy"
promtool tsdb dump "$work/copy" >"$here/prometheus-2.42.dump"
rm -rf "$here/prometheus-2.42"
cp -a "$work/data" "$here/prometheus-2.42"
