#!/usr/bin/env python3
"""End to end: the `for` state of a pending alert survives a restart.

Promethium scrapes itself every second and evaluates, every 2 s, an alert
on its own `up` with `for: 40s`. Once the alert has been pending for a while
and ALERTS_FOR_STATE holds its activeAt, the process is stopped and started
again on the same data directory and port (so the alert has the same
labels). The restored activeAt must follow Prometheus's RestoreForState,
read back from /api/v1/alerts and from the ALERTS_FOR_STATE samples around
the restart (the restore runs after the second evaluation, between it and
the first post-restart ALERTS_FOR_STATE sample, whose time is F):

- sigterm (SIGTERM, --rules.alert.for-grace-period=5s): what remained of the
  `for` is more than the grace period, so activeAt moves by the downtime:
  new activeAt = old activeAt + (restore time - last sample before the stop);
  the alert still has to wait what remained of its `for`, then fires at
  new activeAt + for;
- sigkill (SIGKILL, so the WAL alone carries ALERTS_FOR_STATE;
  --rules.alert.for-grace-period=30s): what remained is less than the grace
  period, so new activeAt = restore time + grace period - for, and it fires
  one grace period after the restore;
- outage (SIGTERM, --rules.alert.for-outage-tolerance=1s): the process was
  down longer than the tolerance, so nothing is restored and the alert
  starts afresh (activeAt after the restart).

In every case the alert is pending again right after the restart, never
firing early, and the rule group misses no iteration.
"""
import argparse
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (Api, TestFailure, check, free_port, parse_rfc3339, print_log_tail,  # noqa: E402
                        rfc3339_ms, self_metrics, start_server, stop_process, wait_ready, wait_until)

INTERVAL_S = 2
FOR_S = 40
ALERT = "SelfUpHeld"
RULES = f"""groups:
  - name: restart
    interval: {INTERVAL_S}s
    rules:
      - alert: {ALERT}
        expr: up{{job="self"}} == 1
        for: {FOR_S}s
        labels:
          severity: info
"""

CASES = {
    # name: (signal, extra flags, seconds pending before the stop)
    "sigterm": (signal.SIGTERM, ["--rules.alert.for-grace-period=5s"], 12),
    "sigkill": (signal.SIGKILL, ["--rules.alert.for-grace-period=30s"], 16),
    "outage": (signal.SIGTERM, ["--rules.alert.for-grace-period=5s", "--rules.alert.for-outage-tolerance=1s"], 6),
}


def our_alert(api):
    """The alert from /api/v1/alerts, or None."""
    alerts = [a for a in api.get_json("/api/v1/alerts")["data"]["alerts"] if a["labels"].get("alertname") == ALERT]
    if len(alerts) > 1:
        raise TestFailure(f"more than one {ALERT} alert: {alerts}")
    return alerts[0] if alerts else None


def matrix(api, expr):
    """[(t seconds, value), ...] of the single series of a range-vector query."""
    result = api.query(expr)
    if len(result) != 1:
        raise ValueError(f"{expr}: want one series, got {json.dumps(result)[:300]}")
    return [(float(t), float(v)) for t, v in result[0]["values"]]


def group_metric(base, name):
    values = [v for labels, v in self_metrics(base).get(name, []) if labels.get("rule_group", "").endswith(";restart")]
    if len(values) != 1:
        raise TestFailure(f"{name}: want one series for the group, got {values}")
    return values[0]


def first_run(args, work, port, extra, pending_s):
    """Runs promethium until the alert has been pending pending_s seconds
    with its activeAt in ALERTS_FOR_STATE; returns (proc, activeAt)."""
    base = f"http://127.0.0.1:{port}"
    api = Api(port)
    proc = start_server(args.promethium, work["cfg"], work["data"], port, work["log1"], extra)
    work["procs"].append((proc, work["log1"]))
    wait_ready("promethium", base, proc)
    alert = wait_until(60, "the alert pending", lambda: our_alert(api))
    check(alert["state"] == "pending", f"the alert is pending first (got {alert['state']})")
    active_at = parse_rfc3339(alert["activeAt"])
    wait_until(30, "ALERTS_FOR_STATE holding activeAt", lambda: [
        r for r in api.query(f'ALERTS_FOR_STATE{{alertname="{ALERT}"}}') if float(r["value"][1]) == int(active_at)])
    wait_until(FOR_S, f"the alert pending for {pending_s}s", lambda: time.time() - active_at >= pending_s, interval=0.5)
    alert = our_alert(api)
    check(alert is not None and alert["state"] == "pending" and parse_rfc3339(alert["activeAt"]) == active_at,
          "still pending with the same activeAt just before the stop")
    return proc, active_at


def stop(proc, sig):
    if sig == signal.SIGKILL:
        proc.kill()
        proc.wait(timeout=30)
        check(proc.returncode == -signal.SIGKILL, "promethium killed with SIGKILL")
    else:
        check(stop_process(proc, "promethium") == 0, "promethium exits 0 on SIGTERM")


def samples_around(api, restart_at):
    """ALERTS_FOR_STATE samples before the restart and the first one after it."""
    def split():
        s = matrix(api, f'ALERTS_FOR_STATE{{alertname="{ALERT}"}}[5m]')
        after = [x for x in s if x[0] >= restart_at]
        return ([x for x in s if x[0] < restart_at], after) if after else None
    return wait_until(30, "ALERTS_FOR_STATE written after the restart (the rule is restored)", split)


def check_restored(case, old_active_at, before, first_after, new_active_at):
    """Checks new_active_at against Prometheus's RestoreForState formula."""
    check(before and all(v == int(old_active_at) for _, v in before),
          "before the stop, ALERTS_FOR_STATE held the old activeAt")
    down_at = int(before[-1][0])  # Prometheus truncates the last sample time to seconds
    f_time, f_value = first_after
    check(f_value == int(new_active_at), f"ALERTS_FOR_STATE after the restart holds the API's activeAt ({f_value})")
    # The restore ran after the evaluation at F - interval, before (or just
    # after) the one at F.
    lo, hi = f_time - INTERVAL_S - 1, f_time + INTERVAL_S + 1
    if case == "sigterm":
        remaining = FOR_S - (down_at - int(old_active_at))
        check(remaining >= 5, f"the stop left {remaining}s of `for`, more than the 5s grace period")
        shift = new_active_at - old_active_at
        check(lo - down_at <= shift <= hi - down_at,
              f"activeAt moved by the downtime: +{shift:.3f}s, restore time - last sample in "
              f"[{lo - down_at:.3f}, {hi - down_at:.3f}]")
    elif case == "sigkill":
        remaining = FOR_S - (down_at - int(old_active_at))
        check(0 < remaining < 30, f"the kill left {remaining}s of `for`, less than the 30s grace period")
        check(lo + 30 - FOR_S <= new_active_at <= hi + 30 - FOR_S,
              f"activeAt = restore time + grace period - for (got F{new_active_at - f_time:+.3f}s, "
              f"want F{lo + 30 - FOR_S - f_time:+.0f}s .. F{hi + 30 - FOR_S - f_time:+.0f}s)")
    check(new_active_at <= f_time - 2 * INTERVAL_S - 3,
          "the alert was restored, not restarted (activeAt well before the first post-restart evaluations)")


def wait_firing(api, base, pending):
    """Waits for the alert (pending is its restored /api/v1/alerts entry) to
    fire; checks when, in integer ms (evaluation times are ms; the API's
    activeAt may carry the ns of the evaluation's wall clock)."""
    new_active_at = parse_rfc3339(pending["activeAt"])
    deadline = max(30, new_active_at + FOR_S - time.time() + 60)
    firing = wait_until(deadline, "the restored alert firing", lambda: (
        lambda a: a if a and a["state"] == "firing" else None)(our_alert(api)), interval=0.5)
    check(firing["activeAt"] == pending["activeAt"], "firing keeps the restored activeAt")
    active_ms = rfc3339_ms(pending["activeAt"])
    first_ms = round(matrix(api, f'ALERTS{{alertname="{ALERT}",alertstate="firing"}}[5m]')[0][0] * 1000)
    late = (first_ms - active_ms) / 1000
    check(first_ms >= active_ms + FOR_S * 1000, f"first firing sample at activeAt + for or later (+{late:.3f}s)")
    check(first_ms <= active_ms + (FOR_S + 2 * INTERVAL_S) * 1000,
          f"fires at the first evaluation after activeAt + for (+{late:.3f}s)")
    check(group_metric(base, "prometheus_rule_group_iterations_missed_total") == 0, "no missed iteration")


def run(args, case, work):
    sig, extra, pending_s = CASES[case]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = Api(port)
    with open(work["cfg"], "w") as f:
        f.write(f"global:\n  scrape_interval: 1s\n  evaluation_interval: {INTERVAL_S}s\n"
                f"rule_files: [rules.yml]\nscrape_configs:\n  - job_name: self\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
    proc, old_active_at = first_run(args, work, port, extra, pending_s)
    stop(proc, sig)
    restart_at = time.time()
    proc = start_server(args.promethium, work["cfg"], work["data"], port, work["log2"], extra)
    work["procs"].append((proc, work["log2"]))
    wait_ready("promethium (restarted)", base, proc)
    before, after = samples_around(api, restart_at)
    alert = our_alert(api)
    check(alert is not None and alert["state"] == "pending", f"pending again after the restart (got {alert})")
    new_active_at = parse_rfc3339(alert["activeAt"])
    if case == "outage":
        check(before and before[-1][1] == int(old_active_at), "ALERTS_FOR_STATE held the old activeAt before the stop")
        check(new_active_at >= restart_at, "down longer than the outage tolerance: the alert starts afresh")
        check(after[0][1] == int(new_active_at), "ALERTS_FOR_STATE holds the fresh activeAt")
    else:
        check_restored(case, old_active_at, before, after[0], new_active_at)
        wait_firing(api, base, alert)
    check(stop_process(proc, "promethium") == 0, "promethium exits 0 on SIGTERM")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--promethium", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="promethium_rules_restart_") as tmp:
        work = {"cfg": os.path.join(tmp, "prometheus.yml"), "data": os.path.join(tmp, "data"),
                "log1": os.path.join(tmp, "first.log"), "log2": os.path.join(tmp, "second.log"), "procs": []}
        with open(os.path.join(tmp, "rules.yml"), "w") as f:
            f.write(RULES)
        try:
            run(args, args.case, work)
        except TestFailure as e:
            for proc, log in work["procs"]:
                print_log_tail(log, f"promethium output ({os.path.basename(log)})")
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        finally:
            for proc, _ in work["procs"]:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
    print(f"PASS (rules restart, {args.case})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
