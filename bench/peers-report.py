#!/usr/bin/env python3
"""Report of a bench/peers.sh output directory: report.md (Markdown tables) and chart.png (gnuplot).

usage: peers-report.py OUT_DIR

Reads OUT_DIR/results.tsv (one row per run and system), systems.tsv (id, class, description) and
meta.txt (kernel, JDKs, parameters). Cells are median (min–max) over the runs whose status is OK.
Ratios compare a system's median with the best median among the encrypted peers (class "peer":
wireguard-go, OpenVPN, tinc); vtund without encryption and raw veth are shown but never "best".
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys

CLASS_ORDER = {"base": 0, "culvert": 1, "peer": 2, "plain": 3}

# (column, title, higher_is_better)
THROUGHPUT = [
    ("tcp1_mbps", "TCP 1 stream Mbit/s", True),
    ("tcp4_mbps", "TCP 4 streams Mbit/s", True),
    ("tcp1_cpu_s_per_gb", "CPU s/GB, TCP 1 (both ends)", False),
    ("tcp4_cpu_s_per_gb", "CPU s/GB, TCP 4 (both ends)", False),
    ("rss_a_mib", "RSS A MiB", False),
    ("rss_b_mib", "RSS B MiB", False),
    ("up_s", "bring-up s", False),
]
LATENCY = [
    ("ping1_avg_ms", "ping 1 s avg ms", False),
    ("ping1_p50_ms", "ping 1 s p50 ms", False),
    ("ping02_avg_ms", "ping 0.2 s avg ms", False),
    ("ping02_p50_ms", "ping 0.2 s p50 ms", False),
    ("sockperf_p50_us", "sockperf p50 µs", False),
    ("sockperf_p99_us", "sockperf p99 µs", False),
]
RATIO = ["tcp1_mbps", "tcp4_mbps", "ping1_p50_ms", "ping02_p50_ms", "sockperf_p50_us",
         "sockperf_p99_us", "tcp1_cpu_s_per_gb", "tcp4_cpu_s_per_gb"]
SHORT = {"tcp1_mbps": "TCP 1", "tcp4_mbps": "TCP 4", "ping1_p50_ms": "ping 1 s p50",
         "ping02_p50_ms": "ping 0.2 s p50", "sockperf_p50_us": "sockperf p50",
         "sockperf_p99_us": "sockperf p99", "tcp1_cpu_s_per_gb": "CPU/GB TCP 1",
         "tcp4_cpu_s_per_gb": "CPU/GB TCP 4"}
BETTER = {k: hib for k, _, hib in THROUGHPUT + LATENCY}


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(x):
    if x is None:
        return "NA"
    a = abs(x)
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def load_meta(path):
    meta, walls = {}, []
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition(": ")
            if k == "wall":
                walls.append(v)
            elif k == "package":
                meta.setdefault("packages", []).append(v)
            else:
                meta[k] = v  # the last invocation wins
    meta["walls"] = walls
    return meta


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    out = argv[1]
    with open(os.path.join(out, "results.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    systems = {}
    with open(os.path.join(out, "systems.tsv")) as f:
        for i, line in enumerate(f):
            sid, cls, desc = line.rstrip("\n").split("\t", 2)
            systems[sid] = (cls, desc, i)
    meta = load_meta(os.path.join(out, "meta.txt"))
    runs = sorted({r["run"] for r in rows}, key=int)

    by = {}
    for r in rows:
        for side in "ab":
            kib = num(r.get(f"rss_{side}_kib"))
            r[f"rss_{side}_mib"] = None if kib is None else kib / 1024
        by.setdefault(r["system"], []).append(r)
    order = sorted(by, key=lambda s: (CLASS_ORDER.get(systems.get(s, ("?",))[0], 9), systems.get(s, ("", "", 99))[2]))

    agg = {}
    for s in order:
        ok = [r for r in by[s] if r["status"] == "OK"]
        a = {"_ok": len(ok), "_n": len(by[s]), "_notes": sorted({r["note"] for r in by[s] if r["note"] not in ("", "-", "NA")}),
             "_status": sorted({r["status"] for r in by[s]})}
        for k, _, _ in THROUGHPUT + LATENCY:
            v = [x for x in (num(r.get(k)) for r in ok) if x is not None]
            a[k] = (statistics.median(v), min(v), max(v)) if v else None
        agg[s] = a

    def cell(s, k):
        st = agg[s][k]
        if st is None:
            return "NA"
        med, lo, hi = st
        return fmt(med) if len(runs) == 1 or lo == hi else f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"

    peers = [s for s in order if systems.get(s, ("",))[0] == "peer" and agg[s]["_ok"]]
    best = {}
    for k in RATIO:
        cands = [(agg[s][k][0], s) for s in peers if agg[s][k] is not None]
        if cands:
            best[k] = (max if BETTER[k] else min)(cands)

    L = []
    L.append(f"# Culvert side by side with other VPN daemons — {meta.get('date', '?')}")
    L.append("")
    L.append(f"- kernel **{meta.get('kernel', '?')}**, CPU {meta.get('cpu', '?')}")
    L.append(f"- Java 17: **{meta.get('java17', '?')}**")
    L.append(f"- Java 25: **{meta.get('java25', '?')}**")
    L.append(f"- Culvert {meta.get('culvert', '?')}")
    L.append(f"- {len(runs)} run(s); {meta.get('params', '')}")
    L.append("- underlay veth 192.0.2.1/.2 (MTU 1500), overlay 198.18.0.1/.2, tunnel MTU 1420, "
             "two network namespaces on one machine; traffic from A to B")
    if meta["walls"]:
        L.append(f"- wall time: {'; '.join(meta['walls'])}")
    L.append("")
    L.append("Cells: median (min–max) over the OK runs (one value when there was one run). "
             "CPU s/GB = utime+stime of the daemons on both ends (from /proc/PID/stat) per 10⁹ bytes received "
             "by iperf3; kernel softirq work is not in it. RSS = VmRSS after the benchmark, one tunnel per daemon "
             "(A dials, B listens). Bring-up = from starting the daemons to the first ping answered through the tunnel.")
    L.append("")
    L.append("## Throughput, CPU and memory")
    L.append("")
    hdr = ["system", "ok/runs"] + [t for _, t, _ in THROUGHPUT]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for s in order:
        L.append("| " + " | ".join([s, f"{agg[s]['_ok']}/{agg[s]['_n']}"] + [cell(s, k) for k, _, _ in THROUGHPUT]) + " |")
    L.append("")
    L.append("## Latency through the tunnel (idle, after a warm-up)")
    L.append("")
    L.append("ping: ICMP echo RTT answered by B's kernel. sockperf: UDP ping-pong to a sockperf server in B, "
             "one message in flight; sockperf reports latency as RTT/2.")
    L.append("")
    hdr = ["system"] + [t for _, t, _ in LATENCY]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for s in order:
        L.append("| " + " | ".join([s] + [cell(s, k) for k, _, _ in LATENCY]) + " |")
    L.append("")
    L.append("## Ratio to the best encrypted peer (medians)")
    L.append("")
    L.append("Each cell is system ÷ best encrypted peer (wireguard-go, OpenVPN, tinc) for that column. "
             "Throughput: above 1 is better. Latency and CPU/GB: below 1 is better.")
    L.append("")
    hdr = ["system"] + [SHORT[k] for k in RATIO]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    L.append("| *best peer* | " + " | ".join(f"{best[k][1]} {fmt(best[k][0])}" if k in best else "NA" for k in RATIO) + " |")
    for s in order:
        cells = []
        for k in RATIO:
            st = agg[s][k]
            if st is None or k not in best or not best[k][0]:
                cells.append("NA")
            else:
                cells.append(f"{st[0] / best[k][0]:.2f}")
        L.append("| " + " | ".join([s] + cells) + " |")
    L.append("")
    L.append("## Systems")
    L.append("")
    for s in order:
        L.append(f"- `{s}` ({systems.get(s, ('?', '?'))[0]}): {systems.get(s, ('?', '?'))[1]}")
    notes = [s for s in order if agg[s]["_notes"] or agg[s]["_ok"] < agg[s]["_n"]]
    if notes:
        L.append("")
        L.append("Not OK / notes:")
        L.append("")
        for s in notes:
            L.append(f"- {s}: status {','.join(agg[s]['_status'])}; " + " | ".join(agg[s]["_notes"]))
    L.append("")
    L.append("![chart](chart.png)")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")

    chart(out, order, agg, meta, len(runs))
    return 0


def jdk(line):
    """'OpenJDK Runtime Environment 17.0.15+6-Debian-1deb12u1 (/usr/lib/jvm/...)' -> '17.0.15+6-Debian-1deb12u1'"""
    if not line:
        return "?"
    return line.split(" (")[0].replace("OpenJDK Runtime Environment ", "").split(" ")[0].replace('"', "")


def chart(out, order, agg, meta, nruns):
    if not shutil.which("gnuplot"):
        print("gnuplot not found: no chart", file=sys.stderr)
        return
    cols = ["tcp1_mbps", "tcp4_mbps", "ping1_p50_ms", "ping02_p50_ms", "sockperf_p50_us",
            "tcp1_cpu_s_per_gb", "tcp4_cpu_s_per_gb"]
    shown = [s for s in order if agg[s]["_ok"]]
    raw = agg.get("raw", {}).get("tcp1_mbps")
    dat = os.path.join(out, "chart.dat")
    with open(dat, "w") as f:
        f.write("# system " + " ".join(f"{c}_med {c}_min {c}_max" for c in cols) + "\n")
        for s in shown:
            vals = []
            for c in cols:
                st = agg[s][c]
                scale = 1000.0 if c.endswith("_ms") else 1.0  # latency panel in µs
                vals += ["NaN"] * 3 if st is None else [f"{x * scale:.3f}" for x in st]
            f.write(f'"{s}" ' + " ".join(vals) + "\n")
    tput = [s for s in shown if s != "raw"]
    title = (f"Culvert vs VPN peers, kernel {meta.get('kernel', '?')}, "
             f"median (bars: min-max) of {nruns} run(s), {meta.get('date', '')}")
    raw_note = f" (raw veth: {raw[0]:.0f} Mbit/s, not drawn)" if raw else ""
    gp = f"""
set terminal pngcairo size 1200,1300 font "Sans,10"
set output "{os.path.join(out, 'chart.png')}"
set datafile missing "NaN"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics rotate by -30 nomirror
set yrange [0:*]
set multiplot layout 3,1 title "{title}\\nJava 17: {jdk(meta.get('java17'))}, Java 25: {jdk(meta.get('java25'))}; Culvert {meta.get('culvert', '?').split(' (')[0]}"
set title "Throughput, iperf3 TCP, Mbit/s (higher is better){raw_note}"
plot "< grep -v '^\\"raw\\"' {dat}" using 2:3:4:xtic(1) title "1 stream", '' using 5:6:7 title "4 streams"
set title "Latency, idle, µs (lower is better)"
plot "{dat}" using 8:9:10:xtic(1) title "ping 1 s p50 (RTT)", '' using 11:12:13 title "ping 0.2 s p50 (RTT)", '' using 14:15:16 title "sockperf p50 (RTT/2)"
set title "Daemon CPU seconds per GB, both ends (lower is better)"
plot "< grep -v '^\\"raw\\"' {dat}" using 17:18:19:xtic(1) title "TCP 1 stream", '' using 20:21:22 title "TCP 4 streams"
unset multiplot
"""
    with open(os.path.join(out, "chart.gp"), "w") as f:
        f.write(gp)
    r = subprocess.run(["gnuplot", os.path.join(out, "chart.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        print("gnuplot failed:\n" + r.stderr, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
