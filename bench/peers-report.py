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

CLASS_ORDER = {"base": 0, "culvert": 1, "peer": 2, "encrypted": 3, "plain": 4, "legacy": 5}
# per-end CPU (A = sender, B = receiver): the legacy section (issue 12)
PER_END = [f"{t}_cpu_{e}_s{g}" for t in ("tcp1", "tcp4", "udp") for e in "ab" for g in ("", "_per_gb")]

# (column, title, higher_is_better)
THROUGHPUT = [
    ("tcp1_mbps", "TCP 1 stream Mbit/s", True),
    ("tcp4_mbps", "TCP 4 streams Mbit/s", True),
    ("udp_pps", "UDP delivered datagrams/s", True),
    ("udp_loss_pct", "UDP loss %", False),
    ("udp_mbps", "UDP delivered Mbit/s", True),
    ("tcp1_cpu_s_per_gb", "CPU s/GB, TCP 1", False),
    ("tcp4_cpu_s_per_gb", "CPU s/GB, TCP 4", False),
    ("udp_cpu_s_per_gb", "CPU s/GB, UDP", False),
    ("rss_a_mib", "RSS A MiB", False),
    ("rss_b_mib", "RSS B MiB", False),
    ("up_s", "bring-up s", False),
]
LATENCY = [
    ("ping1_avg_ms", "ping 1 s avg ms", False),
    ("ping1_p50_ms", "ping 1 s p50 ms", False),
    ("ping1_p99_ms", "ping 1 s p99 ms", False),
    ("ping02_avg_ms", "ping 0.2 s avg ms", False),
    ("ping02_p50_ms", "ping 0.2 s p50 ms", False),
    ("ping02_p99_ms", "ping 0.2 s p99 ms", False),
    ("sockperf_p50_us", "sockperf p50 µs", False),
    ("sockperf_p99_us", "sockperf p99 µs", False),
]
RATIO = ["tcp1_mbps", "tcp4_mbps", "udp_pps", "tcp1_cpu_s_per_gb", "tcp4_cpu_s_per_gb", "udp_cpu_s_per_gb",
         "ping1_p50_ms", "ping02_p50_ms", "ping02_p99_ms", "sockperf_p50_us", "sockperf_p99_us"]
SHORT = {"tcp1_mbps": "TCP 1", "tcp4_mbps": "TCP 4", "udp_pps": "UDP pps", "ping1_p50_ms": "ping 1 s p50",
         "ping02_p50_ms": "ping 0.2 s p50", "ping02_p99_ms": "ping 0.2 s p99", "sockperf_p50_us": "sockperf p50",
         "sockperf_p99_us": "sockperf p99", "tcp1_cpu_s_per_gb": "CPU/GB TCP 1",
         "tcp4_cpu_s_per_gb": "CPU/GB TCP 4", "udp_cpu_s_per_gb": "CPU/GB UDP"}
BETTER = {k: hib for k, _, hib in THROUGHPUT + LATENCY}

# Issue 9's speed marks: (column, target, higher_is_better). Throughput: system >= target x best peer;
# CPU/GB: system <= target x best peer.
MARKS = [
    ("tcp1_mbps", 3.0, True),
    ("tcp4_mbps", 3.0, True),
    ("tcp1_cpu_s_per_gb", 1 / 3, False),
    ("tcp4_cpu_s_per_gb", 1 / 3, False),
    ("udp_pps", 2.0, True),
]
MARK_TITLE = {"tcp1_mbps": "TCP 1 ≥ 3×", "tcp4_mbps": "TCP 4 ≥ 3×", "tcp1_cpu_s_per_gb": "CPU/GB TCP 1 ≤ ⅓",
              "tcp4_cpu_s_per_gb": "CPU/GB TCP 4 ≤ ⅓", "udp_pps": "UDP pps ≥ 2×"}


def mark_cell(value, best, target, higher):
    """'3.41× met' / '1.41× missed (2.13× short)'; CPU: '0.74 missed (2.22× short)' (ratio to the best peer)."""
    if value is None or best is None or not best:
        return "NA"
    r = value / best
    if higher:
        return f"**{r:.2f}× met**" if r >= target else f"{r:.2f}× missed ({target / r:.2f}× short)"
    return f"**{r:.2f} met**" if r <= target else f"{r:.2f} missed ({r / target:.2f}× short)"


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


def variant_sibling(s):
    """culvert-j17 / culvert-j17-tun -> culvert-j17-off (the same JDK and transport with offloads off)."""
    if not s.startswith("culvert-") or s.endswith("-off"):
        return None
    base = s[:-4] if s.endswith("-tun") else s
    return base + "-off"


def table(L, hdr, rows):
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for r in rows:
        L.append("| " + " | ".join(r) + " |")
    L.append("")


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
    cls = {s: systems.get(s, ("?",))[0] for s in order}

    agg = {}
    for s in order:
        ok = [r for r in by[s] if r["status"] == "OK"]
        a = {"_ok": len(ok), "_n": len(by[s]), "_notes": sorted({r["note"] for r in by[s] if r["note"] not in ("", "-", "NA")}),
             "_status": sorted({r["status"] for r in by[s]}),
             "_offloads": sorted({r.get("offloads") or "" for r in ok} - {"", "-", "NA"})}
        for k in [k for k, _, _ in THROUGHPUT + LATENCY] + PER_END:
            v = [x for x in (num(r.get(k)) for r in ok) if x is not None]
            a[k] = (statistics.median(v), min(v), max(v)) if v else None
        agg[s] = a

    def med(s, k):
        return agg[s][k][0] if agg[s][k] is not None else None

    def cell(s, k):
        st = agg[s][k]
        if st is None:
            return "NA"
        m, lo, hi = st
        return fmt(m) if len(runs) == 1 or lo == hi else f"{fmt(m)} ({fmt(lo)}–{fmt(hi)})"

    peers = [s for s in order if cls[s] == "peer" and agg[s]["_ok"]]
    best = {}
    for k in RATIO:
        cands = [(med(s, k), s) for s in peers if med(s, k) is not None]
        if cands:
            best[k] = (max if BETTER[k] else min)(cands)
    culverts = [s for s in order if cls[s] == "culvert"]
    peer_names = ", ".join(sorted({s for s in order if cls[s] == "peer"})) or "none in this run"

    L = []
    L.append(f"# Culvert side by side with other VPN daemons — {meta.get('date', '?')}")
    L.append("")
    L.append(f"- kernel (`uname -r`) **{meta.get('kernel', '?')}**, CPU {meta.get('cpu', '?')}")
    L.append(f"- Java 17: **{meta.get('java17', '?')}**")
    L.append(f"- Java 25: **{meta.get('java25', '?')}**")
    L.append(f"- Culvert {meta.get('culvert', '?')}")
    L.append(f"- {len(runs)} run(s); {meta.get('params', '')}")
    if meta.get("warmup"):
        L.append(f"- warm-up: {meta['warmup']}")
    if meta.get("offload_keys"):
        warn = meta["offload_keys"].startswith("NOT")
        L.append(f"- offload config keys: {'**' if warn else ''}{meta['offload_keys']}{'**' if warn else ''}")
    L.append("- underlay veth 192.0.2.1/.2 (MTU 1500), overlay 198.18.0.1/.2, tunnel MTU 1420, "
             "two network namespaces on one machine; traffic from A to B")
    if meta["walls"]:
        L.append(f"- wall time: {'; '.join(meta['walls'])}")
    L.append("")
    L.append("Cells: median (min–max) over the OK runs (one value when there was one run). "
             "CPU s/GB = utime+stime of the daemons on both ends (from /proc/PID/stat) per 10⁹ bytes received "
             "by iperf3; kernel softirq work is not in it. UDP: iperf3 -u -b 0 (as fast as the sender can) with "
             "datagrams that fit the tunnel MTU unfragmented; *delivered datagrams/s* = datagrams that reached "
             "iperf3 in B per second, loss % = of those sent. RSS = VmRSS after the benchmark, one tunnel per "
             "daemon (A dials, B listens). Bring-up = from starting the daemons to the first ping answered "
             "through the tunnel.")
    L.append("")

    # ---- issue 9's speed marks
    L.append("## Speed marks (issue 9)")
    L.append("")
    L.append(f"Reference: the best encrypted peer per column among wireguard-go, OpenVPN UDP and tinc (in this run: "
             f"{peer_names}); OpenVPN TCP and the unencrypted vtund are shown below but are never the reference. Throughput: Culvert ÷ best, "
             "mark met at ≥ 3× (TCP) or ≥ 2× (UDP datagrams/s). CPU/GB: Culvert ÷ best, mark met at ≤ ⅓ (0.33). "
             "*short* = the factor still missing.")
    L.append("")
    hdr = ["", *[MARK_TITLE[k] for k, _, _ in MARKS], "marks met"]
    rows_ = [["*best peer*", *[f"{best[k][1]} {fmt(best[k][0])}" if k in best else "NA" for k, _, _ in MARKS], ""]]
    for s in culverts:
        if not agg[s]["_ok"]:
            rows_.append([s, *["NA"] * len(MARKS), "not run OK"])
            continue
        cells, met, n = [], 0, 0
        for k, target, higher in MARKS:
            b = best.get(k, (None, None))[0]
            c = mark_cell(med(s, k), b, target, higher)
            cells.append(c)
            if c != "NA":
                n += 1
                met += c.endswith("met**")
        rows_.append([s, *cells, f"{met}/{n}"])
    table(L, hdr, rows_)

    # each variant against offloads off, and all offloads against tun offloads (the share of UDP GSO/GRO)
    pairs = [(s, variant_sibling(s)) for s in culverts] + \
            [(s, s + "-tun") for s in culverts if variant_sibling(s) and not s.endswith("-tun")]
    steps = [(s, o) for s, o in pairs if o in agg and agg[s]["_ok"] and agg[o]["_ok"]]
    if steps:
        L.append("Gain of each offload step: variant ÷ the same JDK and transport with offloads off, and all "
                 "offloads ÷ tun offloads only (the share of UDP GSO/GRO). Throughput: above 1 is a gain; "
                 "CPU/GB: below 1 is a gain.")
        L.append("")
        cols = ["tcp1_mbps", "tcp4_mbps", "udp_pps", "tcp1_cpu_s_per_gb", "tcp4_cpu_s_per_gb", "udp_cpu_s_per_gb"]
        rows_ = []
        for s, off in steps:
            rows_.append([f"{s} ÷ {off}", *[f"{med(s, k) / med(off, k):.2f}" if med(s, k) is not None and med(off, k)
                                          else "NA" for k in cols]])
        table(L, ["step", *[SHORT[k] for k in cols]], rows_)

    # ---- the figures
    L.append("## Throughput, CPU and memory")
    L.append("")
    table(L, ["system", "ok/runs"] + [t for _, t, _ in THROUGHPUT],
          [[s, f"{agg[s]['_ok']}/{agg[s]['_n']}"] + [cell(s, k) for k, _, _ in THROUGHPUT] for s in order])
    L.append("## Latency through the tunnel (idle, after the warm-up)")
    L.append("")
    L.append("ping: ICMP echo RTT answered by B's kernel (p99 by nearest rank: with fewer than 100 pings it is the "
             "largest). sockperf: UDP ping-pong to a sockperf server in B, one message in flight; sockperf reports "
             "latency as RTT/2.")
    L.append("")
    table(L, ["system"] + [t for _, t, _ in LATENCY], [[s] + [cell(s, k) for k, _, _ in LATENCY] for s in order])

    L.append("## Ratio to the best encrypted peer (medians)")
    L.append("")
    L.append("Each cell is system ÷ best encrypted peer (wireguard-go, OpenVPN UDP, tinc) for that column. "
             "Throughput: above 1 is better. Latency and CPU/GB: below 1 is better.")
    L.append("")
    rows_ = [["*best peer*"] + [f"{best[k][1]} {fmt(best[k][0])}" if k in best else "NA" for k in RATIO]]
    for s in order:
        rows_.append([s] + [f"{med(s, k) / best[k][0]:.2f}" if med(s, k) is not None and k in best and best[k][0]
                            else "NA" for k in RATIO])
    table(L, ["system"] + [SHORT[k] for k in RATIO], rows_)

    legacy_section(L, order, cls, agg, med, cell, meta)

    L.append("## Systems")
    L.append("")
    for s in order:
        line = f"- `{s}` ({cls[s]}): {systems.get(s, ('?', '?'))[1]}"
        if agg[s]["_offloads"]:
            line += "; the daemons logged: " + " / ".join(f"`{o}`" for o in agg[s]["_offloads"])
        L.append(line)
    notes = [s for s in order if agg[s]["_notes"] or agg[s]["_ok"] < agg[s]["_n"]]
    if notes:
        L.append("")
        L.append("Not OK / notes:")
        L.append("")
        for s in notes:
            L.append(f"- {s}: status {','.join(agg[s]['_status'])}; " + " | ".join(agg[s]["_notes"]))
    L.append("")
    ok_chart = chart(out, order, cls, agg, best, meta, len(runs))
    L.append("![chart](chart.png)" if ok_chart else f"(no chart: {CHART_NEEDS})")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    return 0


def legacy_reference(s):
    """culvert-vtun-tcp-aes128lzo[-j17] -> vtun-tcp-aes128lzo (vtund <-> vtund with the same settings)."""
    base = s[:-4] if s.endswith("-j17") else s
    return base[len("culvert-"):] if base.startswith("culvert-vtun-") else None


def legacy_section(L, order, cls, agg, med, cell, meta):
    """Issue 12: each vtund -> Culvert pair beside vtund -> vtund with the same settings, per end."""
    pairs = [(s, legacy_reference(s)) for s in order if cls[s] == "legacy"]
    pairs = [(s, r) for s, r in pairs if r in agg]
    if not pairs:
        return
    secs = num((meta.get("params", "").split("PB_TIME=") + ["8"])[1].split()[0]) or 8.0
    L.append("## Legacy VTUN (issue 12): vtund → Culvert beside vtund → vtund")
    L.append("")
    L.append("Both pairs have vtund's client in A, the sender (iperf3 runs A → B). The receiving end B is vtund's "
             "server in the reference row and Culvert (`transport = vtun-legacy`, server) in the mixed row. "
             "CPU s/GB per end = that end's utime+stime per 10⁹ bytes received; *busy* = that end's CPU seconds ÷ "
             f"the {secs:.0f} s test (1.00 = one core all the time; vtund is single-threaded, so an end near 1.00 "
             "is the bottleneck). *mixed ÷ ref* = throughput of the mixed pair ÷ vtund ↔ vtund.")
    L.append("")
    rows_ = []
    for s, r in pairs:
        for t, col in (("tcp1", "tcp1_mbps"), ("tcp4", "tcp4_mbps"), ("udp", "udp_mbps")):
            ratio = (f"{med(s, col) / med(r, col):.2f}" if med(s, col) is not None and med(r, col) else "NA")
            for sys_, role in ((r, "vtund → vtund"), (s, "vtund → Culvert")):
                busy = [med(sys_, f"{t}_cpu_{e}_s") for e in "ab"]
                rows_.append([f"`{sys_}`" if sys_ == s else f"`{sys_}` (ref)", t, role, cell(sys_, col),
                              ratio if sys_ == s else "",
                              cell(sys_, f"{t}_cpu_a_s_per_gb"), cell(sys_, f"{t}_cpu_b_s_per_gb"),
                              *["NA" if b is None else f"{b / secs:.2f}" for b in busy]])
    table(L, ["system", "test", "pair (A → B)", "Mbit/s", "mixed ÷ ref", "CPU s/GB A (vtund, sender)",
              "CPU s/GB B (receiver)", "busy A", "busy B"], rows_)


def jdk(line):
    """'OpenJDK Runtime Environment 17.0.15+6-Debian-1deb12u1 (/usr/lib/jvm/...)' -> '17.0.15+6-Debian-1deb12u1'"""
    if not line:
        return "?"
    return line.split(" (")[0].replace("OpenJDK Runtime Environment ", "").split(" ")[0].replace('"', "")


CHART_NEEDS = "gnuplot with the pngcairo terminal is needed for chart.png: apt-get install gnuplot-nox"


def chart(out, order, cls, agg, best, meta, nruns):
    """chart.png: five panels (TCP, UDP, CPU/GB, latency, Culvert's marks); returns False when it could not draw."""
    if not shutil.which("gnuplot"):
        print(f"no chart: {CHART_NEEDS}", file=sys.stderr)
        return False
    cols = ["tcp1_mbps", "tcp4_mbps", "udp_pps", "tcp1_cpu_s_per_gb", "tcp4_cpu_s_per_gb", "udp_cpu_s_per_gb",
            "ping02_p50_ms", "ping02_p99_ms", "sockperf_p50_us"]
    col = {c: 2 + 3 * i for i, c in enumerate(cols)}  # gnuplot column of c's median; min, max follow
    shown = [s for s in order if agg[s]["_ok"] and s != "raw"]
    dat = os.path.join(out, "chart.dat")
    with open(dat, "w") as f:
        f.write("# system " + " ".join(f"{c}_med {c}_min {c}_max" for c in cols) + "\n")
        for s in shown:
            vals = []
            for c in cols:
                st = agg[s][c]
                scale = 1000.0 if c.endswith("_ms") else 1e-3 if c == "udp_pps" else 1.0  # µs; kpps
                vals += ["NaN"] * 3 if st is None else [f"{x * scale:.3f}" for x in st]
            f.write(f'"{s}" ' + " ".join(vals) + "\n")
    # Culvert's factors against the best peer; CPU as best ÷ Culvert so that higher is better throughout
    marks = os.path.join(out, "chart-marks.dat")
    culverts = [s for s in shown if cls[s] == "culvert"]
    top = 3.5
    with open(marks, "w") as f:
        f.write("# system tcp1_x tcp4_x udp_pps_x cpu_tcp1_x cpu_tcp4_x (x best encrypted peer; CPU: best/system)\n")
        for s in culverts:
            v = []
            for k in ["tcp1_mbps", "tcp4_mbps", "udp_pps", "tcp1_cpu_s_per_gb", "tcp4_cpu_s_per_gb"]:
                m = agg[s][k][0] if agg[s][k] else None
                if m is None or k not in best or not best[k][0] or not m:
                    v.append("NaN")
                else:
                    x = (m / best[k][0]) if BETTER[k] else (best[k][0] / m)
                    top = max(top, x * 1.1)
                    v.append(f"{x:.3f}")
            f.write(f'"{s}" ' + " ".join(v) + "\n")
    raw = agg.get("raw", {})
    raw_tcp = f" (raw veth: {raw['tcp1_mbps'][0]:.0f} Mbit/s, not drawn)" if raw.get("tcp1_mbps") else ""
    raw_udp = f" (raw veth: {raw['udp_pps'][0] / 1e3:.0f} kpps, iperf3's own ceiling here; not drawn)" if raw.get("udp_pps") else ""
    title = (f"Culvert vs VPN peers, kernel {meta.get('kernel', '?')}, "
             f"median (bars: min-max) of {nruns} run(s), {meta.get('date', '')}")

    def series(c, t, first=False):
        return f'{"" if not first else repr(dat).replace(chr(39), chr(34))}{"" if first else chr(39) + chr(39)} ' \
               f'using {col[c]}:{col[c] + 1}:{col[c] + 2}{":xtic(1)" if first else ""} title "{t}"'

    def plot(pairs):
        return "plot " + ", ".join(series(c, t, i == 0) for i, (c, t) in enumerate(pairs))

    marks_plot = (f'plot "{marks}" using 2:xtic(1) title "TCP 1", \'\' using 3 title "TCP 4", \'\' using 4 title "UDP pps", '
                  f'\'\' using 5 title "CPU/GB TCP 1", \'\' using 6 title "CPU/GB TCP 4"') if culverts else ""
    gp = f"""
set terminal pngcairo size 1300,2100 font "Sans,10"
set output "{os.path.join(out, 'chart.png')}"
set datafile missing "NaN"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside right top
set lmargin at screen 0.07
set rmargin at screen 0.83
set xtics rotate by -30 nomirror
set yrange [0:*]
set multiplot layout {5 if culverts else 4},1 title "{title}\\nJava 17: {jdk(meta.get('java17'))}, Java 25: {jdk(meta.get('java25'))}; Culvert {meta.get('culvert', '?').split(' (')[0]}"
set title "Throughput, iperf3 TCP, Mbit/s (higher is better){raw_tcp}"
{plot([("tcp1_mbps", "1 stream"), ("tcp4_mbps", "4 streams")])}
set title "UDP at full rate: datagrams delivered per second, thousands (higher is better){raw_udp}"
{plot([("udp_pps", "iperf3 -u -b 0")])}
set title "Daemon CPU seconds per GB, both ends (lower is better)"
{plot([("tcp1_cpu_s_per_gb", "TCP 1 stream"), ("tcp4_cpu_s_per_gb", "TCP 4 streams"), ("udp_cpu_s_per_gb", "UDP")])}
set title "Latency, idle, µs, log scale (lower is better)"
set logscale y
set yrange [10:*]
{plot([("ping02_p50_ms", "ping 0.2 s p50 (RTT)"), ("ping02_p99_ms", "ping 0.2 s p99 (RTT)"), ("sockperf_p50_us", "sockperf p50 (RTT/2)")])}
unset logscale y
set yrange [0:{top:.2f}]
set title "Culvert ÷ best encrypted peer (CPU: best ÷ Culvert), higher is better; issue 9's marks: 3× TCP and CPU (red), 2× UDP (blue)"
set style histogram clustered gap 1
set arrow 1 from graph 0, first 3 to graph 1, first 3 nohead dt 2 lw 2 lc rgb "red"
set arrow 2 from graph 0, first 2 to graph 1, first 2 nohead dt 3 lw 2 lc rgb "blue"
set arrow 3 from graph 0, first 1 to graph 1, first 1 nohead lw 1 lc rgb "black"
{marks_plot}
unset multiplot
"""
    with open(os.path.join(out, "chart.gp"), "w") as f:
        f.write(gp)
    r = subprocess.run(["gnuplot", os.path.join(out, "chart.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"gnuplot failed ({CHART_NEEDS}):\n" + r.stderr, file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv))
