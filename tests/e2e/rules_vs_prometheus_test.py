#!/usr/bin/env python3
"""Rules side by side: promethium's rule engine against the real Prometheus 2.42.

Both servers run from their own temp directory (cwd) with
`--config.file=prometheus.yml` and the SAME rule file under the same
relative name (rules/side_by_side.yml), so each group has the same key
(file;name) and therefore, in Prometheus, the same evaluation slot (an
offset within the interval from XXH64 of the labels {file, name}). The test
computes that slot itself (xxh64 below) and checks that every rule output
of both servers carries a timestamp in it.

Once both servers have run every group three times (so the `for` state
restore at start-up is over), the whole scenario is pushed at once over
remote write: samples every second for SCENARIO_S seconds from a start S a
little in the future, at a millisecond phase that no evaluation, no range
boundary and no query time ever falls on. Both servers then evaluate the
same data at the same instants, so everything must agree:
- /api/v1/rules, taken every couple of seconds during the scenario when both
  servers have evaluated exactly the same slots (checked through the groups'
  lastEvaluation, and by reading each server twice): per rule health, type,
  query, labels, annotations, duration, state and the alerts (state,
  labels, annotations, activeAt, value);
- /api/v1/alerts at the end (steady state);
- the raw samples of ALERTS, ALERTS_FOR_STATE and the recording rules'
  outputs from S on (a range selector at a fixed past time), and the same
  series through query_range over aligned timestamps (staleness included).
The scenario has alerts that fire, one that stays pending (`for` longer
than the test), one that resolves, one with keep_firing_for, templated
labels and annotations ($labels, $value, humanize, humanizePercentage,
printf) and recording rules with and without labels.

Regression checks for the start-up discrepancy bench/rules_side_by_side.py
showed (docs/RULES.md, "Differences from Prometheus 2.42 observed side by
side"; the cause was a group slot hashed differently from Prometheus): the
slot check above, and SbsStartup, an always-true alert compared relative to
each server's first evaluation: its ALERTS must start pending at the third
evaluation (the `for` state is restored after the second) and fire after
`for`, the same on both.

Differences allowed on purpose are in ALLOWED_DIFFERENCES with the reason;
timing fields (evaluationTime, lastEvaluation) are never compared.
Standard library only; every request has a timeout and every loop is
bounded; about 55 s.
"""

import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (TestFailure, check, free_port, json_diff, print_log_tail, wait_ready,  # noqa: E402
                        wait_until)
from golden_test import push, request, sort_key_metric  # noqa: E402

REL_TOLERANCE = 1e-9
STARTUP_DEADLINE = 60
RULE_FILE = "rules/side_by_side.yml"
GROUP_INTERVAL_MS = {"sbs_main": 2000, "sbs_slow": 4000}
SCENARIO_S = 150  # seconds of pushed samples (more than the test needs)
COMPARE_UNTIL_S = 40  # compare /api/v1/rules during [S, S + this]
MIN_SNAPSHOTS = 6  # consistent /api/v1/rules snapshots that must be compared

RULES = """groups:
  - name: sbs_main
    rules:
      - record: instance:sbs_requests:rate10s
        expr: sum by (instance) (rate(sbs_requests_total[10s]))
      - record: instance:sbs_errors:ratio10s
        expr: sum by (instance) (rate(sbs_requests_total{code="500"}[10s])) / on (instance) instance:sbs_requests:rate10s
        labels:
          team: storage
      - record: sbs:temperature:max
        expr: max(sbs_temperature)
      - alert: SbsHighErrorRatio
        expr: instance:sbs_errors:ratio10s > 0.1
        for: 4s
        labels:
          severity: page
          where: '{{ $labels.instance }}-{{ $labels.team }}'
        annotations:
          summary: 'Instance {{ $labels.instance }} fails {{ $value | humanizePercentage }} of requests'
          value: '{{ $value | humanize }}'
      - alert: SbsRoomHot
        expr: sbs_temperature > 30
        for: 10m
        labels:
          severity: ticket
        annotations:
          summary: 'Room {{ $labels.room }} is at {{ printf "%.1f" $value }} degrees'
      - alert: SbsRoomWarm
        expr: sbs_temperature{room="r3"} > 26
        annotations:
          summary: '{{ $labels.room }}: {{ $value }}'
      - alert: SbsFlap
        expr: sbs_flap > 0
        for: 2s
        keep_firing_for: 8s
        annotations:
          summary: 'flap on {{ $labels.instance }} ({{ $labels.__name__ }})'
  - name: sbs_slow
    interval: 4s
    rules:
      - record: sbs:requests:rate10s
        expr: sum(rate(sbs_requests_total[10s]))
        labels:
          source: side_by_side
      - alert: SbsTrafficLow
        expr: sum by (instance) (rate(sbs_requests_total[10s])) < 12
        for: 8s
        annotations:
          description: '{{ $labels.instance }} serves {{ $value | humanize }} req/s ({{ $value | printf "%.3f" }})'
      - alert: SbsStartup
        expr: vector(1)
        for: 12s
        labels:
          severity: info
"""

# Which group writes each output series (by __name__, or alertname for
# ALERTS and ALERTS_FOR_STATE), for the evaluation slot check.
GROUP_OF = {
    "instance:sbs_requests:rate10s": "sbs_main", "instance:sbs_errors:ratio10s": "sbs_main",
    "sbs:temperature:max": "sbs_main", "SbsHighErrorRatio": "sbs_main", "SbsRoomHot": "sbs_main",
    "SbsRoomWarm": "sbs_main", "SbsFlap": "sbs_main", "sbs:requests:rate10s": "sbs_slow",
    "SbsTrafficLow": "sbs_slow", "SbsStartup": "sbs_slow",
}

# Always true from each server's first evaluation of sbs_slow, which depends
# on when the server started: compared relative to that evaluation
# (check_startup), and left out of the absolute comparisons.
STARTUP_ALERT = "SbsStartup"

# Fields of /api/v1/rules and /api/v1/alerts that are timing noise: when a
# server happened to run the evaluation and how long it took.
TIMING_FIELDS = ("evaluationTime", "lastEvaluation")

# Differences allowed on purpose: regular expression over a difference as
# json_diff prints it -> reason. Any other difference fails the test.
ALLOWED_DIFFERENCES = {
    r"\.groups\[\d+\]\.rules\[\d+\]\.labels: unexpected \{\}$":
        "a recording rule without labels: 2.42 (slice labels, `omitempty`) leaves `labels` out; 3.x release "
        "binaries use stringlabels, whose Labels the JSON encoder never finds empty, and send labels: {} as we do",
}


# ---------------------------------------------------------------- evaluation slots


_M64 = (1 << 64) - 1
_P1, _P2, _P3, _P4, _P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                           9650029242287828579, 2870177450012600261)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc, lane):
    return (_rotl((acc + lane * _P2) & _M64, 31) * _P1) & _M64


def xxh64(data):
    """XXH64 with seed 0 (the hash of Prometheus's labels.Hash)."""
    n, i = len(data), 0
    if n >= 32:
        v = [(_P1 + _P2) & _M64, _P2, 0, (-_P1) & _M64]
        while i + 32 <= n:
            for j in range(4):
                v[j] = _round(v[j], int.from_bytes(data[i + 8 * j:i + 8 * j + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M64
        for x in v:
            h = (((h ^ _round(0, x)) * _P1) + _P4) & _M64
    else:
        h = _P5
    h = (h + n) & _M64
    while i + 8 <= n:
        h = (_rotl(h ^ _round(0, int.from_bytes(data[i:i + 8], "little")), 27) * _P1 + _P4) & _M64
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ ((int.from_bytes(data[i:i + 4], "little") * _P1) & _M64), 23) * _P2 + _P3) & _M64
        i += 4
    while i < n:
        h = (_rotl(h ^ ((data[i] * _P5) & _M64), 11) * _P1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    return h ^ (h >> 32)


def group_offset_ns(file, name, interval_ms):
    """Prometheus's Group.EvalTimestamp offset: labels{file, name}.Hash() mod interval."""
    key = b"file\xff" + file.encode() + b"\xffname\xff" + name.encode() + b"\xff"
    return xxh64(key) % (interval_ms * 1_000_000)


def group_phase_ms(name):
    """Evaluation timestamps of group `name`, in ms, are this modulo its interval."""
    return group_offset_ns(RULE_FILE, name, GROUP_INTERVAL_MS[name]) // 1_000_000


def far_phase(avoid):
    """A millisecond phase within the second, as far as possible from every
    phase (ms within the second) in `avoid`."""
    def distance(p):
        return min(min(abs(p - a), 1000 - abs(p - a)) for a in avoid)
    return max(range(0, 1000, 10), key=distance)


# ---------------------------------------------------------------- servers


def start(binary, workdir, port):
    os.makedirs(os.path.join(workdir, "rules"), exist_ok=True)
    with open(os.path.join(workdir, "prometheus.yml"), "w") as f:
        f.write(f"global:\n  evaluation_interval: 2s\nrule_files:\n  - {RULE_FILE}\n")
    with open(os.path.join(workdir, RULE_FILE), "w") as f:
        f.write(RULES)
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen(
        [binary, "--config.file=prometheus.yml", "--storage.tsdb.path=data",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, log


def get_json(base, path, params=None):
    status, doc = request(base + path + ("?" + urllib.parse.urlencode(params) if params else ""))
    if status != 200 or not isinstance(doc, dict) or doc.get("status") != "success":
        raise TestFailure(f"GET {base}{path} {params}: HTTP {status}: {str(doc)[:300]}")
    return doc["data"]


def iterations(base):
    """{rule group key: prometheus_rule_group_iterations_total} from /metrics."""
    status, body = request(base + "/metrics")
    out = {}
    for line in (body if isinstance(body, str) else "").splitlines():
        if line.startswith("prometheus_rule_group_iterations_total{"):
            key = line.split('rule_group="', 1)[1].split('"', 1)[0]
            out[key] = float(line.rsplit(" ", 1)[1])
    return out


# ---------------------------------------------------------------- scenario data


def scenario_lines(start_s, phase_ms):
    """remote_write_push input: one sample per series per second from start_s."""
    lines = []
    for k in range(SCENARIO_S):
        ts = (start_s + k) * 1000 + phase_ms
        series = [
            ('sbs_requests_total{instance="a",code="200"}', 1000 + 10 * k),
            ('sbs_requests_total{instance="a",code="500"}', 7),
            ('sbs_requests_total{instance="b",code="200"}', 2000 + 10 * k),
            ('sbs_requests_total{instance="b",code="500"}', 100 + 5 * max(0, k - 8)),  # errors from k = 8
            ('sbs_requests_total{instance="c",code="200"}', 500 + 10 * k),
            ('sbs_requests_total{instance="c",code="500"}', 50 + 0.5 * k),  # below the ratio threshold
            ('sbs_temperature{room="r1"}', 25),
            ('sbs_temperature{room="r2"}', 35.25),  # pending for the whole test (for: 10m)
            ('sbs_temperature{room="r3"}', 28.5 if k < 20 else 15),  # fires, then resolves
            ('sbs_flap{instance="x"}', 1 if k < 12 else 0),  # fires, kept firing 8 s, resolves
        ]
        lines.extend(f"{sel} {value} {ts}\n" for sel, value in series)
    return "".join(lines)


# ---------------------------------------------------------------- comparison


def parse_go_time_ms(text):
    """Milliseconds since the epoch of an RFC 3339 time as Go prints it."""
    date, frac = text.rstrip("Z"), ""
    if "." in date:
        date, frac = date.split(".", 1)
    return calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S")) * 1000 + int((frac + "000")[:3])


def evaluated_slots(rules_data):
    """{group: the slot (ms) of the group's latest evaluation}, from lastEvaluation."""
    out = {}
    for g in rules_data["groups"]:
        interval = GROUP_INTERVAL_MS[g["name"]]
        phase = group_phase_ms(g["name"])
        t = parse_go_time_ms(g["lastEvaluation"])
        out[g["name"]] = (t - phase) // interval * interval + phase if t > 1000 else None
    return out


def normalized_rules(rules_data):
    """The rules answer without timing fields; alerts (unordered in
    Prometheus, a Go map) sorted by labels."""
    groups = []
    for g in rules_data["groups"]:
        g = {k: v for k, v in g.items() if k not in TIMING_FIELDS}
        rules = []
        for r in g["rules"]:
            r = {k: v for k, v in r.items() if k not in TIMING_FIELDS}
            if r["name"] == STARTUP_ALERT:
                r = {k: v for k, v in r.items() if k not in ("alerts", "state")}
            if "alerts" in r:
                r["alerts"] = sorted(r["alerts"], key=lambda a: json.dumps(a["labels"], sort_keys=True))
            rules.append(r)
        g["rules"] = rules
        groups.append(g)
    return {"groups": groups}


def normalized_alerts(alerts_data):
    return sorted((a for a in alerts_data["alerts"] if a["labels"].get("alertname") != STARTUP_ALERT),
                  key=lambda a: json.dumps(a["labels"], sort_keys=True))


_reasons_printed = set()


def unexplained(differences):
    """The differences not covered by ALLOWED_DIFFERENCES (printing the allowed ones)."""
    left = []
    for d in differences:
        reason = next((r for pattern, r in ALLOWED_DIFFERENCES.items() if re.search(pattern, d)), None)
        if reason:
            print(f"ALLOWED: {d}" + ("" if reason in _reasons_printed else f"\n  because: {reason}"), flush=True)
            _reasons_printed.add(reason)
        else:
            left.append(d)
    return left


def compare(label, want, got):
    out = []
    json_diff("", want, got, REL_TOLERANCE, out)
    bad = unexplained(out)
    for d in bad:
        print(f"DIFF: {label}: {d}", flush=True)
    if not out:
        print(f"same: {label}", flush=True)
    return bad


def consistent_snapshot(base):
    """/api/v1/rules read twice with no evaluation in between (same content), or None."""
    first = get_json(base, "/api/v1/rules")
    second = get_json(base, "/api/v1/rules")
    if evaluated_slots(first) != evaluated_slots(second) or normalized_rules(first) != normalized_rules(second):
        return None
    return second


def compare_rules_during_scenario(prom, ours, start_s, failures):
    """Compares /api/v1/rules whenever both servers stand at the same slots."""
    compared, attempts, last_slots = 0, 0, None
    seen_states = set()
    while time.time() < start_s + COMPARE_UNTIL_S and attempts < 200:
        attempts += 1
        p, o = consistent_snapshot(prom), consistent_snapshot(ours)
        if p is None or o is None or evaluated_slots(p) != evaluated_slots(o):
            time.sleep(0.3)
            continue
        slots = evaluated_slots(p)
        if slots == last_slots:
            time.sleep(0.3)
            continue
        last_slots = slots
        label = "/api/v1/rules at slots " + ", ".join(f"{g}=S{(t - start_s * 1000) / 1000:+.3f}s"
                                                      for g, t in sorted(slots.items()))
        failures.extend(f"{label}: {d}" for d in compare(label, normalized_rules(p), normalized_rules(o)))
        for g in p["groups"]:
            for r in g["rules"]:
                for a in r.get("alerts", []):
                    seen_states.add((r["name"], a["state"]))
                    if "keepFiringSince" in a:
                        seen_states.add((r["name"], "keepFiringSince"))
        compared += 1
        time.sleep(1.7)
    return compared, seen_states


def compare_series(prom, ours, start_s, end_ms, failures):
    """Raw samples and query_range of the rule outputs, from S to end_ms."""
    window_ms = end_ms - (start_s - 3) * 1000
    selectors = [f'{{__name__=~"ALERTS|ALERTS_FOR_STATE",alertname!="{STARTUP_ALERT}"}}',
                 '{__name__=~"instance:sbs_.+|sbs:.+"}']
    results = {}
    for sel in selectors:
        params = {"query": f"{sel}[{window_ms}ms]", "time": f"{end_ms / 1000:.3f}"}
        p, o = get_json(prom, "/api/v1/query", params), get_json(ours, "/api/v1/query", params)
        p["result"].sort(key=sort_key_metric)
        o["result"].sort(key=sort_key_metric)
        failures.extend(compare(f"raw samples {sel}", p, o))
        results[sel] = p["result"]
        for name, res in (("prometheus", p["result"]), ("promethium", o["result"])):
            check_slots(name, res, failures)
    for expr in (f'ALERTS{{alertname!="{STARTUP_ALERT}"}}', f'ALERTS_FOR_STATE{{alertname!="{STARTUP_ALERT}"}}',
                 "instance:sbs_errors:ratio10s", "sbs:requests:rate10s",
                 'count by (alertstate) (ALERTS{alertname="SbsFlap"})'):
        params = {"query": expr, "start": f"{((start_s - 3) * 1000 + end_ms % 1000) / 1000:.3f}",
                  "end": f"{end_ms / 1000:.3f}", "step": "1"}
        p, o = get_json(prom, "/api/v1/query_range", params), get_json(ours, "/api/v1/query_range", params)
        p["result"].sort(key=sort_key_metric)
        o["result"].sort(key=sort_key_metric)
        failures.extend(compare(f"query_range {expr}", p, o))
    return results


def check_slots(server, matrix, failures):
    """Every rule output sample lies on its group's evaluation slot."""
    for series in matrix:
        m = series["metric"]
        group = GROUP_OF.get(m.get("alertname", m.get("__name__")))
        interval, phase = GROUP_INTERVAL_MS[group], group_phase_ms(group)
        off = {round(float(t) * 1000) % interval for t, _ in series["values"]}
        if off != {phase}:
            failures.append(f"{server}: {m} samples at {sorted(off)} ms past the {interval} ms slot, "
                            f"want {phase} (Prometheus's EvalTimestamp)")


def startup_history(base, end_ms):
    """SbsStartup as (first evaluation ms, [(ms after it, alertstate)...]) from
    ALERTS and ALERTS_FOR_STATE, or a string saying what is wrong."""
    params = {"query": f'{{__name__=~"ALERTS|ALERTS_FOR_STATE",alertname="{STARTUP_ALERT}"}}[10m]',
              "time": f"{end_ms / 1000:.3f}"}
    history, active_at = [], set()
    for series in get_json(base, "/api/v1/query", params)["result"]:
        m = series["metric"]
        for t, v in series["values"]:
            t_ms = round(float(t) * 1000)
            if m["__name__"] == "ALERTS":
                history.append((t_ms, m["alertstate"]))
            else:
                active_at.add(float(v))
    history.sort()
    if not history or len(active_at) != 1:
        return f"no ALERTS or not one ALERTS_FOR_STATE value: {history[:3]} {active_at}"
    # `for` is restored after the second evaluation; ALERTS start with the third.
    first_eval = history[0][0] - 2 * GROUP_INTERVAL_MS["sbs_slow"]
    if first_eval // 1000 != int(active_at.pop()):
        return f"ALERTS start at {history[0][0]}, not two evaluations after activeAt"
    return first_eval, [(t - first_eval, state) for t, state in history]


def check_startup(prom, ours, end_ms):
    """The start-up regression (docs/RULES.md): ALERTS of an alert active from
    each server's first evaluation start at its third evaluation (after the
    `for` restore), pending, and fire once `for` has passed, on both servers."""
    interval = GROUP_INTERVAL_MS["sbs_slow"]
    p, o = startup_history(prom, end_ms), startup_history(ours, end_ms)
    check(not isinstance(p, str), f"Prometheus's {STARTUP_ALERT} history has the expected shape ({str(p)[:200]})")
    check(not isinstance(o, str), f"promethium's {STARTUP_ALERT} history has the expected shape ({str(o)[:200]})")
    print(f"{STARTUP_ALERT}: first evaluation of sbs_slow at {p[0]} (Prometheus), {o[0]} (promethium)", flush=True)
    n = min(len(p[1]), len(o[1]))
    check(n >= 4 and p[1][:n] == o[1][:n], f"{STARTUP_ALERT} has the same ALERTS history after each server's first "
          f"evaluation ({n} samples): ours {o[1][:5]}..., Prometheus {p[1][:5]}...")
    check(p[1][0] == (2 * interval, "pending") and (3 * interval, "firing") in p[1],
          f"the history starts pending at the third evaluation and fires at the fourth ({p[1][:4]})")


def check_scenario_coverage(samples, seen_states):
    """The scenario exercised what it is meant to (in Prometheus's answers)."""
    alerts = [s["metric"] for s in samples[next(iter(samples))] if s["metric"]["__name__"] == "ALERTS"]
    states = {(m["alertname"], m["alertstate"]) for m in alerts}
    for want in (("SbsHighErrorRatio", "firing"), ("SbsRoomHot", "pending"), ("SbsRoomWarm", "firing"),
                 ("SbsFlap", "pending"), ("SbsFlap", "firing"), ("SbsTrafficLow", "firing")):
        check(want in states, f"Prometheus wrote ALERTS for {want[0]} {want[1]}")
    check(("SbsRoomHot", "firing") not in states, "SbsRoomHot never fired (for: 10m)")
    check(("SbsHighErrorRatio", "firing") in seen_states and ("SbsRoomHot", "pending") in seen_states
          and ("SbsFlap", "keepFiringSince") in seen_states,
          f"the compared /api/v1/rules snapshots include firing, pending and kept-firing alerts "
          f"({sorted(seen_states)})")


# ---------------------------------------------------------------- main


def run(args, tmpdir, procs):
    ports = {"prometheus": free_port(), "promethium": free_port()}
    dirs = {n: os.path.join(tmpdir, n) for n in ports}
    for name, binary in (("prometheus", args.prometheus), ("promethium", args.promethium)):
        procs[name] = start(binary, dirs[name], ports[name])
    prom, ours = (f"http://127.0.0.1:{ports[n]}" for n in ("prometheus", "promethium"))
    wait_ready("prometheus", prom, procs["prometheus"][0], STARTUP_DEADLINE)
    wait_ready("promethium", ours, procs["promethium"][0], STARTUP_DEADLINE)

    # The `for` restore runs after each group's second evaluation; the data
    # starts after it on both servers.
    keys = [f"{RULE_FILE};{g}" for g in GROUP_INTERVAL_MS]
    for name, base in (("prometheus", prom), ("promethium", ours)):
        wait_until(40, f"{name} evaluated every group three times",
                   lambda: all(iterations(base).get(k, 0) >= 3 for k in keys))

    phases = [group_phase_ms(g) % 1000 for g in GROUP_INTERVAL_MS]
    sample_phase = far_phase(phases)
    query_phase = far_phase(phases + [sample_phase])
    start_s = int(time.time()) + 5  # time to push to both before the first sample
    print(f"group slots (ms past the interval): { {g: group_phase_ms(g) for g in GROUP_INTERVAL_MS} }, "
          f"samples at +{sample_phase} ms, queries at +{query_phase} ms, S = {start_s}", flush=True)
    path = os.path.join(tmpdir, "scenario.txt")
    with open(path, "w") as f:
        f.write(scenario_lines(start_s, sample_phase))
    push(args.push_tool, prom, path)
    push(args.push_tool, ours, path)
    check(time.time() < start_s, "the scenario was pushed before its first sample time")

    failures = []
    compared, seen_states = compare_rules_during_scenario(prom, ours, start_s, failures)
    check(compared >= MIN_SNAPSHOTS, f"{compared} /api/v1/rules snapshots compared at identical slots "
          f"(want >= {MIN_SNAPSHOTS})")
    failures.extend(compare("/api/v1/alerts (steady state)", normalized_alerts(get_json(prom, "/api/v1/alerts")),
                            normalized_alerts(get_json(ours, "/api/v1/alerts"))))
    end_ms = (int(time.time()) - 2) * 1000 + query_phase
    samples = compare_series(prom, ours, start_s, end_ms, failures)
    check_startup(prom, ours, end_ms)
    check_scenario_coverage(samples, seen_states)
    check(not failures, "no unexplained differences from Prometheus 2.42:\n  " + "\n  ".join(failures))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--push-tool", required=True)
    args = parser.parse_args()
    # The servers run in their own directories: make the paths absolute.
    args.promethium, args.prometheus, args.push_tool = (
        os.path.abspath(p) if p else p for p in (args.promethium, args.prometheus, args.push_tool))
    for name, path in (("prometheus", args.prometheus), ("remote_write_push", args.push_tool),
                       ("promethium", args.promethium)):
        if not path or not os.path.exists(path):
            print(f"FAIL: {name} not found ({path!r})", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="promethium_rules_sbs_") as tmpdir:
        procs = {}
        try:
            run(args, tmpdir, procs)
            print("PASS")
            return 0
        except (TestFailure, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            print(f"FAIL: {e}", file=sys.stderr)
            for name, (_, log) in procs.items():
                log.flush()
                print_log_tail(log.name, f"{name} output", 3000)
            return 1
        finally:
            for proc, log in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=5)
                log.close()


if __name__ == "__main__":
    sys.exit(main())
