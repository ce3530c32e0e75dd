#!/usr/bin/env python3
"""Markdown table of AEAD JMH results: bench/jmh-table.py LABEL=result.json [LABEL=result.json ...]

Reads JMH's JSON (-rf json -rff FILE) of AeadBenchmark or DataPathBenchmark.seal/open and prints one row per
JDK, implementation, operation and size: ops/s (with JMH's 99.9% error), Gbit/s of plaintext and bytes
allocated per operation (gc.alloc.rate.norm, when run with -prof gc)."""
import json
import sys

print("| JDK | implementation | operation | size (B) | ops/s | ± (99.9%) | Gbit/s | B/op |")
print("|---|---|---|---:|---:|---:|---:|---:|")
for arg in sys.argv[1:]:
    label, path = arg.split("=", 1)
    rows = []
    for r in json.load(open(path)):
        p = r.get("params", {})
        size = int(p.get("size", 0))
        op = r["benchmark"].rsplit(".", 1)[1]
        score = r["primaryMetric"]["score"]
        err = r["primaryMetric"]["scoreError"]
        norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        rows.append((p.get("aead", ""), op, size, score, err, norm))
    for aead, op, size, score, err, norm in sorted(rows, key=lambda x: (x[0], x[1], x[2])):
        gbit = score * size * 8 / 1e9
        b = "" if norm is None else f"{norm:,.0f}"
        err_text = "" if err != err else f"{err:,.0f}"   # NaN for a single iteration
        print(f"| {label} | {aead.lower()} | {op} | {size} | {score:,.0f} | {err_text} | {gbit:.2f} | {b} |")
