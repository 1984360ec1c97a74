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
              flow in the capture, replayed), and 262,144 flows with 10,000 rules; the 1 M and the rules
              runs both with 2 MiB hugepages reserved (as root; put back afterwards) and with --no-huge;
              run to completion: throughput and process-stage cycles per packet
  memif       ingestd receiving over net_memif from dpdk-testpmd txonly in a second process,
              64 and 1500 B (64 B only with --quick): rate, cycles/pkt, sent vs received

A run that fails or gives no figure is listed in the report and makes the bench exit 1.
--smoke (the test suite's bench_smoke) runs every kind of variant once, 0.5 s each, on the
smallest inputs and checks that it covers every kind the full bench runs.
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


class Binaries:
    """The programs of one build (`build`), and ingestd of the build with measurement compiled out."""

    def __init__(self, build, unmeasured_build):
        self.ingestd = os.path.join(build, "src/app/ingestd")
        self.unmeasured = os.path.join(unmeasured_build, "src/app/ingestd") if unmeasured_build else ""
        self.owned = os.path.join(build, "tests/bench/ingest-owned-baseline")
        self.gen = os.path.join(build, "tools/ingest-gen/ingest-gen")
        self.ingest_stats = os.path.join(build, "tools/ingest-stats/ingest-stats")
        self.line_transfer = os.path.join(build, "tests/bench/line_transfer")


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
QUICK_RULE_COUNTS = [0, 10000]
# The flows case: (input, variant). "on" is the flow table alone, "rules" the flow table and
# RULES_WITH_FLOWS rules (the heavy process stage); "-huge" runs on reserved 2 MiB hugepages,
# the others with --no-huge.
# "-fanout": the heavy process stage fanned out by flow over two lcores (the first also receives and parses),
# against the same variant run to completion on one.
FLOW_TABLES = [("flows", "flowtable-off"), ("flows", "flowtable-on"),
               ("flows262k", "flowtable-on"), ("flows262k", "flowtable-on-huge"),
               ("flows262k", "flowtable-rules"), ("flows262k", "flowtable-rules-huge"),
               ("flows262k", "flowtable-rules-huge-fanout"),
               ("flows1m", "flowtable-on"), ("flows1m", "flowtable-on-huge"), ("flows1m", "flowtable-on-huge-fanout")]
# --smoke: every kind of flows variant, on the smallest input.
SMOKE_FLOW_TABLES = [("flows", v) for v in ("flowtable-off", "flowtable-on", "flowtable-on-huge", "flowtable-rules",
                                            "flowtable-rules-huge", "flowtable-on-huge-fanout",
                                            "flowtable-rules-huge-fanout")]
RULES_WITH_FLOWS = 10000
# ingestd-pipeline-stack: the pipeline with its packet pool a stack (pipeline.mempool.handler).
SIZE_VARIANTS = ["ingestd-rtc", "ingestd-pipeline", "ingestd-pipeline-stack", "ingestd-fanout", "testpmd-io",
                 "testpmd-5tswap", "owned-copy", "owned-copy-2t"]
QUICK_SIZE_VARIANTS = ["ingestd-rtc", "ingestd-pipeline", "ingestd-pipeline-stack", "ingestd-fanout", "testpmd-5tswap",
                       "owned-copy"]


def uses_both_cpus(variant):
    """Variants that hand packets (or objects) between the two CPUs: their speed depends on where
    the host placed the vCPUs, so their runs record the line transfer cost."""
    return variant in ("ingestd-pipeline", "ingestd-pipeline-stack", "ingestd-fanout", "owned-copy-2t", "queues-2") \
        or variant.endswith("-fanout")


class Bench:
    def __init__(self, work, seconds, binaries):
        self.work, self.seconds, self.bin = work, seconds, binaries
        self.prefix = f"ingestd-bench-{os.getpid()}"
        self.tsc_hz = None
        self.inputs = {}
        self.smoke = False
        self.hugepages = bench_runs.Hugepages()

    def capture(self, name, gen_args, frames):
        if name not in self.inputs:
            path = os.path.join(self.work, f"{name}.pcap")
            subprocess.run([self.bin.gen, "--out", path, *gen_args], check=True, stdout=subprocess.DEVNULL)
            self.inputs[name] = (path, frames)
        return self.inputs[name]

    def run(self, variant, pcap, frames):
        """One run of `variant` on `pcap`; a run on both CPUs carries the line transfer cost measured
        before and after it (line_transfer_before/after)."""
        if not uses_both_cpus(variant):
            return self._run(variant, pcap, frames)
        before = bench_runs.line_transfer(self.bin.line_transfer)
        r = self._run(variant, pcap, frames)
        return {**r, "line_transfer_before": before,
                "line_transfer_after": bench_runs.line_transfer(self.bin.line_transfer)}

    def _run(self, variant, pcap, frames):
        """One run of `variant` on `pcap`; the same CPU 1 forwards in every single-core variant."""
        stats = os.path.join(self.work, "stats.json")
        if not variant.removesuffix("-fanout").endswith("-huge"):
            self.hugepages.release()  # held only across the runs that use them
        if variant.startswith("ingestd") or variant in ("measured", "unmeasured"):
            layout = {"ingestd-pipeline": "pipeline", "ingestd-pipeline-stack": "pipeline",
                      "ingestd-fanout": "fanout"}.get(variant, "rtc")
            config = os.path.join(self.work, f"{layout}.yaml")
            bench_runs.write_ingestd_config(config, layout, pcap, frames, self.prefix,
                                            handler="stack" if variant.endswith("-stack") else "default")
            return self._ingestd(self.bin.unmeasured if variant == "unmeasured" else self.bin.ingestd, config, stats)
        if variant.startswith("rules-"):
            config = os.path.join(self.work, f"{variant}.yaml")
            bench_runs.write_ingestd_config(config, "rtc", pcap, frames, self.prefix, rules=int(variant.split("-")[1]))
            return self._ingestd(self.bin.ingestd, config, stats)
        if variant.startswith("flowtable-"):
            fanout = variant.endswith("-fanout")
            huge = variant.removesuffix("-fanout").endswith("-huge")
            state = variant.removeprefix("flowtable-").removesuffix("-fanout").removesuffix("-huge")
            flows = 0 if state == "off" else frames
            # EAL's -m from 2 MiB pages, and a quarter more for what it maps beside (memseg lists, its files).
            tables = 2 if fanout else 1
            if huge and not self.hugepages.reserve(bench_runs.ingestd_memory_mb(frames, flows * tables) * 5 // 8 + 64):
                raise Skipped(self.hugepages.error)
            config = os.path.join(self.work, f"{variant}.yaml")
            bench_runs.write_ingestd_config(config, "fanout" if fanout else "rtc", pcap, frames, self.prefix, flows=flows,
                                            rules=RULES_WITH_FLOWS if state == "rules" else 0, hugepages=huge)
            return {**self._ingestd(self.bin.ingestd, config, stats), "hugepages": int(huge)}
        if variant.startswith("queues-"):
            queues = int(variant.split("-")[1])
            config = os.path.join(self.work, f"queues{queues}.yaml")
            bench_runs.write_queues_config(config, queues, pcap, frames, self.prefix)
            return {**self._ingestd(self.bin.ingestd, config, stats), "queues": queues}
        if variant.startswith("testpmd"):
            return bench_runs.testpmd(variant.split("-", 1)[1], pcap, self.seconds, self.prefix + "-testpmd",
                                      self.tsc_hz or 1)
        if variant == "owned-copy":
            return bench_runs.owned_copy(self.bin.owned, pcap, self.seconds, 1, "1", stats)
        if variant == "owned-copy-2t":
            return bench_runs.owned_copy(self.bin.owned, pcap, self.seconds, 2, "0,1", stats)
        raise ValueError(variant)

    def _ingestd(self, binary, config, stats):
        try:
            r = bench_runs.ingestd(binary, config, self.seconds, stats)
        finally:
            bench_runs.remove_segment(self.prefix)
        self.tsc_hz = self.tsc_hz or r["tsc_hz"]
        return r

    def run_memif(self, size):
        self.hugepages.release()
        try:
            return bench_runs.memif(self.bin.ingestd, self.bin.ingest_stats, size, self.seconds, self.prefix, self.work)
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


CASES = ["sizes", "mixes", "stats-cost", "queues", "rules", "flows", "memif"]


def plan(args):
    """(case, mix, size, variant) in the order one round runs them; rounds alternate.

    --smoke keeps every variant of every case (so none can drop out unseen) on the smallest inputs."""
    cases = args.case or CASES
    smoke, quick = args.smoke, args.quick or args.smoke
    steps = []
    if "sizes" in cases:
        sizes = [64] if smoke else [64, 1500] if quick else SIZES
        variants = QUICK_SIZE_VARIANTS if quick and not smoke else SIZE_VARIANTS
        steps += [("sizes", "udp", s, v) for s in sizes for v in variants]
    if "mixes" in cases:
        mixes = ["demo"] if quick else list(MIXES)
        layouts = ["ingestd-rtc"] if quick and not smoke else ["ingestd-rtc", "ingestd-pipeline", "owned-copy"]
        steps += [("mixes", m, 64, v) for m in mixes for v in layouts]
    if "stats-cost" in cases and (smoke or not quick):
        steps += [("stats-cost", "udp", 64, v) for v in ("measured", "unmeasured")]
    if "queues" in cases:
        steps += [("queues", "udp", 64, f"queues-{n}") for n in QUEUE_COUNTS]
    if "rules" in cases:
        counts = [0, 100] if smoke else QUICK_RULE_COUNTS if quick else RULE_COUNTS
        steps += [("rules", "flows", 64, f"rules-{n}") for n in counts]
    if "flows" in cases:
        tables = SMOKE_FLOW_TABLES if smoke else \
            [(m, v) for m, v in FLOW_TABLES if not (quick and m in ("flows262k", "flows1m"))]
        steps += [("flows", mix, 64, variant) for mix, variant in tables]
    if "memif" in cases:
        steps += [("memif", "txonly", s, "ingestd-memif") for s in ([64] if quick else [64, 1500])]
    if getattr(args, "variant", None):
        steps = [step for step in steps if step[3] in args.variant]
    return steps


def kinds(steps):
    """(case, variant kind) of each step: rules-100 and rules-0 are one kind."""
    return {(case, variant.rstrip("0123456789").rstrip("-")) for case, _, _, variant in steps}


def check_smoke_covers(args):
    """--smoke must run every kind of variant the full bench runs: a new one cannot miss the smoke run."""
    full = plan(argparse.Namespace(**{**vars(args), "smoke": False, "quick": False, "variant": None}))
    missing = kinds(full) - kinds(plan(args))
    if missing:
        raise SystemExit(f"tools/bench --smoke does not run {sorted(missing)}: add them to plan()")


class Skipped(Exception):
    """A run this machine or build cannot make (said in the report, not a failure)."""


def run_step(bench, rnd, step):
    """One run of `step`: its row, or raises. A run without a throughput figure is a failure."""
    case, mix, size, variant = step
    if variant == "unmeasured" and not os.path.isfile(bench.bin.unmeasured):
        if bench.smoke:
            raise Skipped("no build with -DINGESTD_NO_MEASURE given (--unmeasured-build; tools/bench builds "
                          "build-nomeasure for it)")
        raise RuntimeError(f"{bench.bin.unmeasured} not found")
    if case == "memif":
        r = bench.run_memif(size)
    else:
        if case == "sizes":
            pcap, frames = bench.capture(f"udp{size}", ["--mix", "udp", "--count", "256", "--flows", "16",
                                                        "--size", str(size)], 256)
        else:
            pcap, frames = bench.capture(mix, *MIXES[mix])
        r = bench.run(variant, pcap, frames)
    if not r.get("mpps") or r.get("cycles_per_packet") is None:
        raise RuntimeError(f"no figure: {r}")
    extra = f", sent {r['sent']} received {r['received']}" if case == "memif" else ""
    print(f"round {rnd} {case:10} {mix:6} {size:5} B {variant:16} {r['mpps']:7.2f} Mpps "
          f"{r['cycles_per_packet']:8.1f} cycles/pkt{extra}", file=sys.stderr)
    return {"case": case, "mix": mix, "size": size, "variant": variant, "run": rnd, **r}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", choices=["sizes", "mixes", "stats-cost", "queues", "rules", "flows", "memif"],
                    help="run only this case (repeatable)")
    ap.add_argument("--variant", action="append",
                    help="run only this variant of the cases chosen (repeatable), e.g. flowtable-on-huge")
    ap.add_argument("--runs", type=int, default=None, help="rounds; each runs every variant once (default 5)")
    ap.add_argument("--seconds", type=float, default=None, help="length of each run (default 3)")
    ap.add_argument("--quick", action="store_true", help="1 round of 1.5 s, 64 and 1500 B only: under a minute")
    ap.add_argument("--smoke", action="store_true",
                    help="every variant of every case once on the smallest inputs, 0.5 s runs (the test suite's run); "
                         "exits 1 if any run fails or gives no figure")
    ap.add_argument("--out", default="results", help="folder for report.md, runs.csv and the plots")
    ap.add_argument("--from-csv", metavar="RUNS_CSV", help="no runs: rewrite the report and plots from a runs.csv")
    ap.add_argument("--build", default="build", help="the build whose binaries run (default: build)")
    ap.add_argument("--unmeasured-build", default=None,
                    help="the build with -DINGESTD_NO_MEASURE for the stats-cost case (default: build-nomeasure; "
                         "with --smoke, none: that variant is skipped, saying so)")
    args = ap.parse_args()
    default_runs, default_seconds = (1, 0.5) if args.smoke else (1, 1.5) if args.quick else (5, 3)
    args.runs = args.runs or default_runs
    args.seconds = args.seconds or default_seconds
    if args.from_csv:
        rows = read_runs(args.from_csv)
        args.runs = max(r["run"] for r in rows)
        tsc_hz = next((r["tsc_hz"] for r in rows if r.get("tsc_hz") and r["variant"].startswith("ingestd")), None)
        os.makedirs(args.out, exist_ok=True)
        print(bench_report.write(rows, args.out, "tools/bench", args, tsc_hz))
        return

    work = tempfile.mkdtemp(prefix="ingestd-bench-")
    unmeasured = args.unmeasured_build or ("" if args.smoke else "build-nomeasure")
    bench = Bench(work, args.seconds, Binaries(args.build, unmeasured))
    bench.smoke = args.smoke
    if args.smoke:
        check_smoke_covers(args)
    steps = plan(args)
    rows, failures, skipped = [], [], []
    try:
        # One ingestd run first: its TSC frequency converts testpmd's rates to cycles.
        for rnd in range(1, args.runs + 1):
            for step in steps:
                try:
                    rows.append(run_step(bench, rnd, step))
                except Skipped as e:
                    skipped.append((rnd, *step, str(e)))
                    print(f"round {rnd} {step[0]:10} {step[1]:6} {step[2]:5} B {step[3]:16} SKIPPED: {e}",
                          file=sys.stderr)
                except Exception as e:  # noqa: BLE001 - every failure is reported, none ends the other runs
                    failures.append((rnd, *step, f"{type(e).__name__}: {e}"))
                    print(f"round {rnd} {step[0]:10} {step[1]:6} {step[2]:5} B {step[3]:16} FAILED: {e}",
                          file=sys.stderr)
    finally:
        bench.hugepages.release()
        shutil.rmtree(work, ignore_errors=True)

    os.makedirs(args.out, exist_ok=True)
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("case", "mix", "size", "variant", "run"), k))
    with open(os.path.join(args.out, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    command = "tools/bench" + (" --smoke" if args.smoke else " --quick" if args.quick else "") + \
        "".join(f" --case {c}" for c in args.case or [])
    report = bench_report.write(rows, args.out, command, args, bench.tsc_hz, failures, skipped)
    print(report)
    if failures:
        print(f"tools/bench: {len(failures)} run(s) failed:", file=sys.stderr)
        for rnd, case, mix, size, variant, why in failures:
            print(f"  round {rnd} {case} {mix} {size} B {variant}: {why}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
