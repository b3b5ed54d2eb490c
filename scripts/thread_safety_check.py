#!/usr/bin/env python3
"""Clang's thread-safety analysis over every C++ source we own.

GCC compiles the GUARDED_BY/REQUIRES/... annotations (tsdb/base/
thread_annotations.h) to nothing, so nothing would check them. This script
takes the compile commands of a build directory (CMake's
compile_commands.json), re-runs each translation unit of ours through
`clang++ -fsyntax-only -Wthread-safety -Werror=thread-safety` (no code is
generated, so it costs about a second per file) and fails when clang reports
a thread-safety error or cannot compile a file.

    scripts/thread_safety_check.py --build-dir build [--jobs 2] [--only bench/]

--only restricts the check to sources under the given paths (relative to the
source tree): .ci/run checks only bench/, the one directory the clang-checked
build (which compiles everything else with -Werror=thread-safety) leaves out.

Third-party and generated files (protobuf output, anything outside the
source tree) are skipped. Exit status: 0 clean, 1 findings, 2 usage errors.
"""

import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import time

# Flags of GCC's command lines that clang does not know or that only matter
# when generating code.
DROPPED_FLAGS = {"-c", "-MD"}
DROPPED_WITH_VALUE = {"-o", "-MF", "-MT"}
CLANG_FLAGS = ["-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety", "-Wno-unknown-warning-option",
               "-Wno-unused-command-line-argument"]
TIMEOUT_S = 300  # per file: a hung clang fails the check instead of the CI run


def clang_command(entry, clang):
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    while args and (os.path.basename(args[0]) in ("ccache", "distcc")):
        args = args[1:]
    args = args[1:]  # the compiler itself
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in DROPPED_WITH_VALUE:
            skip = True
        elif a not in DROPPED_FLAGS:
            out.append(a)
    return [clang, *CLANG_FLAGS, *out]


def ours(path, source_dir, build_dir):
    path = os.path.realpath(path)
    return path.startswith(source_dir + os.sep) and not path.startswith(build_dir + os.sep) \
        and path.endswith(".cc") and "/build" not in path[len(source_dir):]


def check_one(entry, clang):
    start = time.monotonic()
    try:
        res = subprocess.run(clang_command(entry, clang), cwd=entry["directory"], capture_output=True, text=True,
                             timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
        return entry["file"], res.returncode, res.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired:
        return entry["file"], 124, f"clang did not finish within {TIMEOUT_S}s", time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--clang", default="clang++")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", action="append", default=[], metavar="PATH",
                    help="check only sources under PATH (relative to the source tree); repeatable")
    args = ap.parse_args()
    db_path = os.path.join(args.build_dir, "compile_commands.json")
    if not os.path.exists(db_path):
        print(f"thread-safety: {db_path} not found; configure the build first", file=sys.stderr)
        return 2
    source_dir = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    build_dir = os.path.realpath(args.build_dir)
    with open(db_path) as f:
        entries = {}
        for e in json.load(f):
            rel = os.path.relpath(os.path.realpath(e["file"]), source_dir)
            if ours(e["file"], source_dir, build_dir) and (not args.only or rel.startswith(tuple(args.only))):
                entries[os.path.realpath(e["file"])] = e  # a file compiled twice is checked once
    if not entries:
        print(f"thread-safety: no sources of ours in {db_path} (--only {args.only})", file=sys.stderr)
        return 2
    failures = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, rc, stderr, _ in pool.map(lambda e: check_one(e, args.clang), entries.values()):
            if rc != 0:
                failures += 1
                print(f"thread-safety: {os.path.relpath(path, source_dir)} (clang exit {rc})\n{stderr.strip()}\n",
                      file=sys.stderr)
    elapsed = time.monotonic() - started
    if failures:
        print(f"thread-safety: FAILED in {failures} of {len(entries)} files ({elapsed:.0f}s)", file=sys.stderr)
        return 1
    print(f"thread-safety: OK ({len(entries)} files, {elapsed:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
