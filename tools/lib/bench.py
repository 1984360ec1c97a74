# SPDX-License-Identifier: BSD-3-Clause
"""tools/bench driver: alternating whole runs on one input and one forwarding core; medians and ratios.

Cases:
  stats-cost  ingestd against the same build with measurement compiled out
  testpmd     ingestd (full parse + route + encode) against dpdk-testpmd io and 5tswap
"""
import argparse
import csv
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

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

STATS_COST = [("measured", "build/src/app/ingestd"), ("unmeasured", "build-nomeasure/src/app/ingestd")]
TESTPMD = [("ingestd", "build/src/app/ingestd"), ("testpmd-5tswap", "5tswap"), ("testpmd-io", "io")]


def run_testpmd(mode, pcap, seconds, prefix):
    """dpdk-testpmd forwarding net_pcap (infinite_rx) to net_null on lcore 1; Mpps of port 0's RX."""
    argv = ["dpdk-testpmd", "-l", "0,1", "--no-pci", "--no-huge", "-m", "512", "--file-prefix", prefix,
            "--log-level=error", "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--vdev", "net_null1,no-rx=1",
            "--", f"--forward-mode={mode}", "--stats-period", "1", "--nb-cores=1", "--total-num-mbufs=8192",
            "--no-mlockall"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds)  # a benchmark's fixed measuring window, not a synchronisation
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    subprocess.run(["rm", "-rf", f"/var/run/dpdk/{prefix}"], check=False)
    # Each stats print shows port 0 then port 1; port 0's Rx-pps is every other value.
    rates = [int(v) for v in re.findall(r"Rx-pps:\s+(\d+)", out)][0::2]
    steady = rates[1:] if len(rates) > 2 else rates  # the first period includes start-up
    if not steady:
        raise RuntimeError("testpmd printed no rates:\n" + out[-2000:])
    return {"mpps": statistics.median(steady) / 1e6, "cycles_per_packet": 0.0}


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
    ap.add_argument("--case", choices=["stats-cost", "testpmd"], default="stats-cost")
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

    variants = STATS_COST if args.case == "stats-cost" else TESTPMD
    rows = []
    try:
        for i in range(args.runs):
            for name, binary in variants:
                if name.startswith("testpmd"):
                    r = run_testpmd(binary, pcap, args.seconds, prefix + "-testpmd")
                else:
                    r = run_once(binary, config, args.seconds, os.path.join(work, "stats.json"))
                rows.append({"variant": name, "run": i + 1, **r})
                print(f"run {i + 1} {name:14} {r['mpps']:7.2f} Mpps",
                      file=sys.stderr)
    finally:
        try:
            os.unlink(f"/dev/shm/ingestd.{prefix}")
        except FileNotFoundError:
            pass

    def summary(name, key):
        v = [r[key] for r in rows if r["variant"] == name]
        return min(v), statistics.median(v), max(v)

    title = "Stats cost" if args.case == "stats-cost" else "ingestd against testpmd"
    lines = [f"{title}: {args.size} B UDP, net_pcap infinite_rx -> net_null, one forwarding lcore on CPU 1, "
             f"{args.runs} alternating runs of {args.seconds:g} s each",
             "", "| variant | Mpps min / median / max |", "|---|---|"]
    for name, _ in variants:
        lo, med, hi = summary(name, "mpps")
        lines.append(f"| {name} | {lo:.2f} / {med:.2f} / {hi:.2f} |")
    lines.append("")
    base = variants[0][0]
    for name, _ in variants[1:]:
        ratio = summary(base, "mpps")[1] / summary(name, "mpps")[1]
        lines.append(f"{base} / {name} throughput (medians): {ratio:.3f}")
    report = "\n".join(lines)
    print(report)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.case}.md"), "w") as f:
        f.write(report + "\n")
    with open(os.path.join(args.out, f"{args.case}.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["variant", "run", "mpps", "cycles_per_packet"])
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
