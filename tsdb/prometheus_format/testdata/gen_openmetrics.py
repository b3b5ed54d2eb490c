#!/usr/bin/env python3
"""Writes fixture.om, the OpenMetrics input of the Prometheus block fixture.

Deterministic (no randomness): rerunning it gives the same bytes. See
README.md for how the block and the expected dump are made from it.
"""
import math

START = 1699999200  # a multiple of 2h, so everything lands in one block
STEP = 15


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def main():
    out = []
    out.append("# HELP temperature_celsius Air temperature.")
    out.append("# TYPE temperature_celsius gauge")
    cities = [("Zürich", 300, 20.0), ("東京", 250, 25.0), ('🔥 \\"hot\\" zone', 40, 45.0)]
    for city, n, base in cities:
        for i in range(n):
            v = round(base + 5 * math.sin(i / 10.0) + (i % 7) * 0.125, 3)
            out.append('temperature_celsius{city="%s"} %s %d' % (city, fmt(v), START + 15 + i * STEP))
    out.append("# HELP up Whether the target answered.")
    out.append("# TYPE up gauge")
    for i in range(130):
        v = float("nan") if i in (64, 129) else float(i % 11 != 0)
        # Millisecond timestamps: fractional seconds.
        out.append('up{instance="a:9100",job="node"} %s %d.%03d' % (fmt(v), START + 30 + i * STEP, i % 1000))
    out.append("# HELP odd_values Values that stress the XOR encoding.")
    out.append("# TYPE odd_values gauge")
    specials = [0.0, -0.0, 1e300, -1e-300, float("inf"), float("-inf"), 5e-324, 1.0 / 3.0, 123456789.0, -42.5]
    for i in range(20):
        out.append('odd_values{kind="x"} %s %d' % (fmt(specials[i % len(specials)]), START + 45 + i * 60))
    out.append("# EOF")
    with open("fixture.om", "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
