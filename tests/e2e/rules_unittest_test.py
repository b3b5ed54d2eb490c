#!/usr/bin/env python3
"""Differential test of rule unit tests: `promtool test rules F` (Prometheus
2.42) and `promethium test rules F` must give the same verdict (exit status
0 vs non-0) for every file of rules/unittest/testdata/ (*.pass.yml must
pass, *.fail.yml must fail) and for rules/template/testdata/templates_test.yml,
the promtool-verified template corpus. A missing promtool fails the test."""
import argparse
import glob
import os
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--promethium", required=True)
    ap.add_argument("--promtool", default="")
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    if not args.promtool or not os.access(args.promtool, os.X_OK):
        print(f"FAIL: promtool not found ({args.promtool!r}); install the prometheus package (scripts/setup.sh)")
        return 1

    corpus = sorted(glob.glob(os.path.join(args.source_dir, "rules/unittest/testdata/*.yml")))
    files = corpus + [os.path.join(args.source_dir, "rules/template/testdata/templates_test.yml")]
    failures = []
    agree = 0
    for f in files:
        rc_tool, out_tool = run([args.promtool, "test", "rules", f])
        rc_ours, out_ours = run([args.promethium, "test", "rules", f])
        name = os.path.basename(f)
        want = None
        if name.endswith(".pass.yml") or name == "templates_test.yml":
            want = True
        elif name.endswith(".fail.yml"):
            want = False
        if (rc_tool == 0) != (rc_ours == 0):
            failures.append(f"{name}: promtool exit {rc_tool}, promethium exit {rc_ours}\n"
                            f"--- promtool:\n{out_tool}--- promethium:\n{out_ours}")
            continue
        if rc_ours not in (0, 1):
            failures.append(f"{name}: unexpected exit {rc_ours}\n{out_ours}")
            continue
        if want is not None and (rc_ours == 0) != want:
            failures.append(f"{name}: both {'pass' if rc_ours == 0 else 'fail'}, the file name says otherwise")
            continue
        agree += 1
        print(f"ok   {name}: both {'pass' if rc_ours == 0 else 'fail'}")

    # Several files in one call: any failure makes the whole run exit 1.
    pair = [os.path.join(args.source_dir, "rules/unittest/testdata", n) for n in ("basic.pass.yml", "nan.fail.yml")]
    rc_tool, _ = run([args.promtool, "test", "rules"] + pair)
    rc_ours, out = run([args.promethium, "test", "rules"] + pair)
    if rc_tool != 1 or rc_ours != 1 or out.count("Unit Testing:  ") != 2:
        failures.append(f"two files: promtool exit {rc_tool}, promethium exit {rc_ours}\n{out}")
    # Usage errors exit 2.
    rc_usage, _ = run([args.promethium, "test", "rules"])
    if rc_usage != 2:
        failures.append(f"`promethium test rules` without files exited {rc_usage}, want 2")

    print(f"{agree}/{len(files)} files with the same verdict as promtool")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
