# SPDX-License-Identifier: BSD-3-Clause
"""tools/bench driver: alternating whole runs of two ingestd builds on one input; medians and ratios."""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

CONFIG = """eal: {{main_lcore: 0, memory_mb: 256, file_prefix: {prefix}, log_level: error}}
ports:
  - {{name: in, device: net_pcap0, args: {{rx_pcap: {pcap}, infinite_rx: 1}}}}
  - {{name: out, device: net_null1, rx_queues: 0}}
pipeline:
  chains:
    - rx: [in]
      segments:
        - {{lcore: 1, cpu: 1, stages: [rx, parse, process, encode, tx]}}
routes:
  - {{from: in, to: out}}
stats: {{instance: {prefix}}}
"""

VARIANTS = [("measured", "build/src/app/ingestd"), ("unmeasured", "build-nomeasure/src/app/ingestd")]


def run_once(binary, config, seconds, stats_path):
    subprocess.run([binary, "-c", config, "--duration", str(seconds), "--final-stats", stats_path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60)
    with open(stats_path) as f:
        report = json.load(f)
    rx = report["totals"]["rx_packets"]
    busy = sum(l["counters"]["busy_cycles"] for l in report["lcores"])
    return {"mpps": rx / seconds / 1e6, "cycles_per_packet": busy / rx if rx else 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7, help="runs per variant (alternating)")
    ap.add_argument("--seconds", type=float, default=4, help="length of each run")
    ap.add_argument("--size", type=int, default=64, help="frame size in bytes")
    ap.add_argument("--quick", action="store_true", help="3 runs of 2 s: a routine check")
    ap.add_argument("--out", default="results", help="folder for the report and CSV")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.seconds = 3, 2

    work = tempfile.mkdtemp(prefix="ingestd-bench-")
    pcap = os.path.join(work, f"udp{args.size}.pcap")
    subprocess.run(["build/tools/ingest-gen/ingest-gen", "--out", pcap, "--mix", "udp", "--count", "256",
                    "--size", str(args.size)], check=True, stdout=subprocess.DEVNULL)
    prefix = f"ingestd-bench-{os.getpid()}"
    config = os.path.join(work, "bench.yaml")
    with open(config, "w") as f:
        f.write(CONFIG.format(prefix=prefix, pcap=pcap))

    rows = []
    try:
        for i in range(args.runs):
            for name, binary in VARIANTS:
                r = run_once(binary, config, args.seconds, os.path.join(work, "stats.json"))
                rows.append({"variant": name, "run": i + 1, **r})
                print(f"run {i + 1} {name:10} {r['mpps']:7.2f} Mpps {r['cycles_per_packet']:7.1f} cycles/packet",
                      file=sys.stderr)
    finally:
        try:
            os.unlink(f"/dev/shm/ingestd.{prefix}")
        except FileNotFoundError:
            pass

    def summary(name, key):
        v = [r[key] for r in rows if r["variant"] == name]
        return min(v), statistics.median(v), max(v)

    lines = [f"Stats cost: {args.size} B UDP, net_pcap infinite_rx -> net_null, run to completion on one lcore, "
             f"{args.runs} alternating runs of {args.seconds:g} s each",
             "", "| build | Mpps min / median / max | cycles/packet (median, busy) |", "|---|---|---|"]
    for name, _ in VARIANTS:
        lo, med, hi = summary(name, "mpps")
        lines.append(f"| {name} | {lo:.2f} / {med:.2f} / {hi:.2f} | {summary(name, 'cycles_per_packet')[1]:.1f} |")
    ratio = summary("measured", "mpps")[1] / summary("unmeasured", "mpps")[1]
    lines += ["", f"measured / unmeasured throughput (medians): {ratio:.3f} — measuring costs {100 * (1 - ratio):.1f} %"]
    report = "\n".join(lines)
    print(report)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "stats-cost.md"), "w") as f:
        f.write(report + "\n")
    with open(os.path.join(args.out, "stats-cost.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["variant", "run", "mpps", "cycles_per_packet"])
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
