#!/usr/bin/env python3
"""Rewrites tests/promqltest/known_failures.txt from a promqltest run, after
engine or storage work changed which evals fail:

  python3 tests/promqltest/record_known_failures.py build/tests/promqltest/promqltest

Runs each script over the storage its ctest case uses (MEMORY_SCRIPTS over
the in-memory storage, the others over the head), with no known-failures
list, and writes one entry per failing eval. An entry that stays keeps its
reason; a new one gets a reason derived from the error, which a person should
check: the list is a record of engine gaps, never a way to accept a wrong
answer that should be fixed.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIST = os.path.join(HERE, "known_failures.txt")
MEMORY_SCRIPTS = set()  # PROMQLTEST_MEMORY_SCRIPTS of CMakeLists.txt (empty: every script over the head)


def reason_for(error):
    m = re.search(r"unsupported: (\w+) over native histograms", error)
    if m:
        return f"engine: {m.group(1)} over native histograms not implemented yet"
    if "expected warn annotations but none were found" in error:
        return "engine: missing warn annotation"
    if "expected info annotations but none were found" in error:
        return "engine: missing info annotation"
    return "engine: " + error[:100]


def main():
    binary = sys.argv[1]
    header, old = [], {}
    for line in open(LIST):
        if line.startswith("#"):
            header.append(line.rstrip("\n"))
        elif line.strip():
            key, reason = line.rstrip("\n").split(" ", 1)
            old[key] = reason
    entries = []
    testdata = os.path.join(HERE, "testdata")
    for name in sorted(os.listdir(testdata)):
        if not name.endswith(".test"):
            continue
        storage = "memory" if name in MEMORY_SCRIPTS else "head"
        out = subprocess.run([binary, f"--storage={storage}", "--allow-failures", os.path.join(testdata, name)],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"FAIL ([\w.]+\.test):(\d+): (.*)$", line)
            if m:
                key = f"{m.group(1)}:{m.group(2)}"
                entries.append(f"{key} {old.get(key, reason_for(m.group(3)))}")
    with open(LIST, "w") as f:
        f.write("\n".join(header + entries) + "\n")
    print(f"{len(entries)} known failures written to {LIST}")


if __name__ == "__main__":
    main()
