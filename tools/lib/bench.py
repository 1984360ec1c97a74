# SPDX-License-Identifier: BSD-3-Clause
"""tools/bench driver: alternating whole runs on the same input and forwarding core; medians and ratios.

Cases (default: all):
  sizes       64, 512 and 1500 B UDP: ingestd run to completion and pipelined, dpdk-testpmd io and
              5tswap, and the owned-copy baseline (TBB parallel_pipeline, owned objects per stage)
  mixes       UDP (16 flows), the demo mix (a fifth malformed), many flows (16,384): both layouts
  stats-cost  ingestd against the same build with measurement compiled out
  queues      throughput against RX queue count (1, 2): net_pcap with one infinite_rx capture per
              queue, one run-to-completion chain per queue, into net_null
  rules       0, 10, 100 and 10,000 rules (rte_acl) on 16,384 UDP flows, run to completion: throughput,
              process-stage cycles per packet, compile time
  flows       the flow table off and on with 16,384, 262,144 and 1,048,576 UDP flows (every frame its own
              flow in the capture, replayed), run to completion: throughput and process-stage cycles per packet
  memif       ingestd receiving over net_memif from dpdk-testpmd txonly in a second process,
              64 and 1500 B (64 B only with --quick): rate, cycles/pkt, sent vs received
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import bench_report
import bench_runs

BUILD = "build"
INGESTD = f"{BUILD}/src/app/ingestd"
INGESTD_UNMEASURED = "build-nomeasure/src/app/ingestd"
OWNED = f"{BUILD}/tests/bench/ingest-owned-baseline"
GEN = f"{BUILD}/tools/ingest-gen/ingest-gen"
INGEST_STATS = f"{BUILD}/tools/ingest-stats/ingest-stats"

SIZES = [64, 512, 1500]
QUEUE_COUNTS = [1, 2]  # a 2-vCPU machine has room for two forwarding lcores at most
MIXES = {  # name: (ingest-gen arguments, frames)
    "udp": (["--mix", "udp", "--count", "256", "--flows", "16", "--size", "64"], 256),
    "demo": (["--mix", "demo", "--count", "512"], 512),
    "flows": (["--mix", "udp", "--count", "16384", "--size", "64"], 16384),
    "flows262k": (["--mix", "udp", "--count", "262144", "--size", "64"], 262144),
    "flows1m": (["--mix", "udp", "--count", "1048576", "--size", "64"], 1048576),
}
RULE_COUNTS = [0, 10, 100, 10000]
FLOW_TABLES = [("flows", "off"), ("flows", "on"), ("flows262k", "on"), ("flows1m", "on")]
SIZE_VARIANTS = ["ingestd-rtc", "ingestd-pipeline", "testpmd-io", "testpmd-5tswap", "owned-copy", "owned-copy-2t"]
QUICK_RULE_COUNTS = [0, 10, 100, 10000]
FLOW_TABLES = [("flows", "off"), ("flows", "on"), ("flows262k", "on"), ("flows1m", "on")]
SIZE_VARIANTS = ["ingestd-rtc", "ingestd-pipeline", "testpmd-5tswap", "owned-copy"]


class Bench:
    def __init__(self, work, seconds):
        self.work, self.seconds = work, seconds
        self.prefix = f"ingestd-bench-{os.getpid()}"
        self.tsc_hz = None
        self.inputs = {}

    def capture(self, name, gen_args, frames):
        if name not in self.inputs:
            path = os.path.join(self.work, f"{name}.pcap")
            subprocess.run([GEN, "--out", path, *gen_args], check=True, stdout=subprocess.DEVNULL)
            self.inputs[name] = (path, frames)
        return self.inputs[name]

    def run(self, variant, pcap, frames):
        """One run of `variant` on `pcap`; the same CPU 1 forwards in every single-core variant."""
        stats = os.path.join(self.work, "stats.json")
        if variant.startswith("ingestd") or variant in ("measured", "unmeasured"):
            layout = "pipeline" if variant == "ingestd-pipeline" else "rtc"
            config = os.path.join(self.work, f"{layout}.yaml")
            bench_runs.write_ingestd_config(config, layout, pcap, frames, self.prefix)
            return self._ingestd(INGESTD_UNMEASURED if variant == "unmeasured" else INGESTD, config, stats)
        if variant.startswith("rules-"):
            config = os.path.join(self.work, f"{variant}.yaml")
            bench_runs.write_ingestd_config(config, "rtc", pcap, frames, self.prefix, rules=int(variant.split("-")[1]))
            return self._ingestd(INGESTD, config, stats)
        if variant.startswith("flowtable-"):
            config = os.path.join(self.work, f"{variant}.yaml")
            bench_runs.write_ingestd_config(config, "rtc", pcap, frames, self.prefix,
                                            flows=frames if variant.endswith("-on") else 0)
            return self._ingestd(INGESTD, config, stats)
        if variant.startswith("queues-"):
            queues = int(variant.split("-")[1])
            config = os.path.join(self.work, f"queues{queues}.yaml")
            bench_runs.write_queues_config(config, queues, pcap, frames, self.prefix)
            return {**self._ingestd(INGESTD, config, stats), "queues": queues}
        if variant.startswith("testpmd"):
            return bench_runs.testpmd(variant.split("-", 1)[1], pcap, self.seconds, self.prefix + "-testpmd",
                                      self.tsc_hz or 1)
        if variant == "owned-copy":
            return bench_runs.owned_copy(OWNED, pcap, self.seconds, 1, "1", stats)
        if variant == "owned-copy-2t":
            return bench_runs.owned_copy(OWNED, pcap, self.seconds, 2, "0,1", stats)
        raise ValueError(variant)

    def _ingestd(self, binary, config, stats):
        try:
            r = bench_runs.ingestd(binary, config, self.seconds, stats)
        finally:
            bench_runs.remove_segment(self.prefix)
        self.tsc_hz = self.tsc_hz or r["tsc_hz"]
        return r

    def run_memif(self, size):
        try:
            return bench_runs.memif(INGESTD, INGEST_STATS, size, self.seconds, self.prefix, self.work)
        finally:
            bench_runs.remove_segment(self.prefix)


def read_runs(path):
    """runs.csv back into rows: numbers as numbers, empty cells as None."""
    text = {"case", "mix", "variant", "lcore_cycles_per_packet", "chain_mpps"}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in r.items():
            if k not in text:
                r[k] = None if v == "" else float(v)
        r["size"], r["run"] = int(r["size"]), int(r["run"])
    return rows


def plan(args):
    """(case, mix, size, variant) in the order one round runs them; rounds alternate."""
    cases = args.case or ["sizes", "mixes", "stats-cost", "queues", "rules", "flows", "memif"]
    steps = []
    if "sizes" in cases:
        sizes = [64, 1500] if args.quick else SIZES
        variants = QUICK_SIZE_VARIANTS if args.quick else SIZE_VARIANTS
        steps += [("sizes", "udp", s, v) for s in sizes for v in variants]
    if "mixes" in cases:
        mixes = ["demo"] if args.quick else list(MIXES)
        layouts = ["ingestd-rtc"] if args.quick else ["ingestd-rtc", "ingestd-pipeline", "owned-copy"]
        steps += [("mixes", m, 64, v) for m in mixes for v in layouts]
    if "stats-cost" in cases and not args.quick:
        steps += [("stats-cost", "udp", 64, v) for v in ("measured", "unmeasured")]
    if "queues" in cases:
        steps += [("queues", "udp", 64, f"queues-{n}") for n in QUEUE_COUNTS]
    if "rules" in cases:
        steps += [("rules", "flows", 64, f"rules-{n}") for n in ([0, 10000] if args.quick else RULE_COUNTS)]
    if "flows" in cases:
        steps += [("flows", mix, 64, f"flowtable-{state}") for mix, state in FLOW_TABLES
                  if not (args.quick and mix in ("flows262k", "flows1m"))]
    if "memif" in cases:
        steps += [("memif", "txonly", s, "ingestd-memif") for s in ([64] if args.quick else [64, 1500])]
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", choices=["sizes", "mixes", "stats-cost", "queues", "rules", "flows", "memif"],
                    help="run only this case (repeatable)")
    ap.add_argument("--runs", type=int, default=5, help="rounds; each runs every variant once")
    ap.add_argument("--seconds", type=float, default=3, help="length of each run")
    ap.add_argument("--quick", action="store_true", help="1 round of 1.5 s, 64 and 1500 B only: under a minute")
    ap.add_argument("--out", default="results", help="folder for report.md, runs.csv and the plots")
    ap.add_argument("--from-csv", metavar="RUNS_CSV", help="no runs: rewrite the report and plots from a runs.csv")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.seconds = 1, 1.5
    if args.from_csv:
        rows = read_runs(args.from_csv)
        args.runs = max(r["run"] for r in rows)
        tsc_hz = next((r["tsc_hz"] for r in rows if r.get("tsc_hz") and r["variant"].startswith("ingestd")), None)
        os.makedirs(args.out, exist_ok=True)
        print(bench_report.write(rows, args.out, "tools/bench", args, tsc_hz))
        return

    work = tempfile.mkdtemp(prefix="ingestd-bench-")
    bench = Bench(work, args.seconds)
    steps = plan(args)
    rows = []
    try:
        # One ingestd run first: its TSC frequency converts testpmd's rates to cycles.
        for rnd in range(1, args.runs + 1):
            for case, mix, size, variant in steps:
                if case == "memif":
                    r = bench.run_memif(size)
                    rows.append({"case": case, "mix": mix, "size": size, "variant": variant, "run": rnd, **r})
                    print(f"round {rnd} {case:10} {mix:6} {size:5} B {variant:16} {r['mpps']:7.2f} Mpps "
                          f"{r['cycles_per_packet']:8.1f} cycles/pkt, sent {r['sent']} received {r['received']}",
                          file=sys.stderr)
                    continue
                if case == "sizes":
                    pcap, frames = bench.capture(f"udp{size}", ["--mix", "udp", "--count", "256", "--flows", "16",
                                                                "--size", str(size)], 256)
                else:
                    pcap, frames = bench.capture(mix, *MIXES[mix])
                r = bench.run(variant, pcap, frames)
                rows.append({"case": case, "mix": mix, "size": size, "variant": variant, "run": rnd, **r})
                print(f"round {rnd} {case:10} {mix:5} {size:5} B {variant:16} {r['mpps']:7.2f} Mpps "
                      f"{r['cycles_per_packet']:8.1f} cycles/pkt", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    os.makedirs(args.out, exist_ok=True)
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("case", "mix", "size", "variant", "run"), k))
    with open(os.path.join(args.out, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    command = "tools/bench" + (" --quick" if args.quick else "") + "".join(f" --case {c}" for c in args.case or [])
    report = bench_report.write(rows, args.out, command, args, bench.tsc_hz)
    print(report)


if __name__ == "__main__":
    main()
