#!/usr/bin/env python3
"""Records what a running Prometheus answers for the date functions on edge
values and prints a PromQL test script (the format of tests/promqltest).

  python3 tests/promqltest/record_date_edges.py http://127.0.0.1:PORT \
      > tests/promqltest/date_functions_edges.test

The checked-in script was recorded from Prometheus 2.42.0 (Debian
2.42.0+ds-5+deb12u1, amd64), so CI never needs Prometheus to check it.
The inputs are fixed edge values (NaN, +-Inf, beyond the int64 range, near
its ends, negative and fractional seconds) plus a seeded random sample of
magnitudes from 1e-1 to 1e31, so re-recording gives the same queries.
"""
import json
import random
import sys
import urllib.parse
import urllib.request

FUNCTIONS = ["minute", "hour", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "month", "year"]

FIXED = [
    "NaN", "Inf", "-Inf", "1e30", "-1e30", "1e19", "-1e19", "9.3e18", "-9.3e18",
    "9223372036854775807", "-9223372036854775808", "9.223372036854775e18", "-9.223372036854775e18",
    "9.2e18", "-9.2e18", "9.2233719e18", "1e17", "-1e17", "1e12", "-1e12",
    "0", "1.5", "-1.5", "-1", "-0.5", "-86400.5", "951782400", "253402300800", "-62135596800",
    "-62135596801", "4107542400", "68256000000",
]


def random_values(n, seed=16):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        v = rng.choice([-1, 1]) * 10 ** rng.uniform(-1, 31)
        out.append(repr(v))
    return out


def query(base, expr):
    params = urllib.parse.urlencode({"query": expr, "time": "0"})
    with urllib.request.urlopen(f"{base}/api/v1/query?{params}", timeout=10) as r:
        body = json.load(r)
    if body["status"] != "success":
        raise SystemExit(f"{expr}: {body}")
    return body["data"]["result"]


def main():
    base = sys.argv[1].rstrip("/")
    print("# Date functions on edge values, recorded from Prometheus 2.42.0 (amd64)")
    print("# by tests/promqltest/record_date_edges.py; do not edit by hand.")
    print("# Go converts the float to int64 (NaN and values beyond the int64 range")
    print("# become -2^63 on amd64), then time.Unix(...).UTC() wraps its arithmetic.")
    print()
    for v in FIXED + random_values(40):
        for fn in FUNCTIONS:
            expr = f"{fn}(vector({v}))"
            result = query(base, expr)
            print(f"eval instant at 0s {expr}")
            for sample in result:
                print(f"  {{}} {sample['value'][1]}")
            print()


if __name__ == "__main__":
    main()
