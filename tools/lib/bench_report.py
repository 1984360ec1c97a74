# SPDX-License-Identifier: BSD-3-Clause
"""tools/bench output: medians of the runs, ratios, the issue's targets, line-rate projections, plots."""
import math
import os
import statistics

# Wire bytes of a frame (FCS included): the frame plus preamble and SFD (8) and inter-frame gap (12).
WIRE_OVERHEAD = 20
IMIX = [(64, 7), (576, 4), (1500, 1)]  # the simple IMIX: frame sizes (FCS included) and their weights
LINE_RATES_GBPS = [10, 25, 100]
VARIANT_ORDER = ["ingestd-rtc", "ingestd-pipeline", "ingestd-pipeline-stack", "ingestd-fanout", "testpmd-io", "testpmd-5tswap", "owned-copy", "owned-copy-2t",
                 "measured", "unmeasured", "ingestd-memif"]


def _median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarise(rows):
    """{(case, mix, size, variant): {figure: median, 'runs': n, 'mpps_min', 'mpps_max'}}."""
    groups = {}
    for r in rows:
        groups.setdefault((r["case"], r["mix"], r["size"], r["variant"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        figures = {k for r in rs for k, v in r.items() if isinstance(v, (int, float)) and k not in ("size", "run")}
        s = {k: _median(rs, k) for k in figures}
        s["runs"] = len(rs)
        s["mpps_min"] = min(r["mpps"] for r in rs)
        s["mpps_max"] = max(r["mpps"] for r in rs)
        out[key] = s
    return out


def _fmt(v, digits=1):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def _variants(summary, case):
    """The variants run in `case`: known ones in report order, any other after them (never dropped)."""
    present = {k[3] for k in summary if k[0] == case}
    return [v for v in VARIANT_ORDER if v in present] + sorted(present - set(VARIANT_ORDER))


def stage_cycles_after_rx(s):
    """Parse + process + encode + TX cycles per packet: the stages' own work, the PMD's RX copy excluded."""
    parts = [s.get(f"{st}_cycles") for st in ("parse", "process", "encode", "tx")]
    return None if any(p is None for p in parts) else sum(parts)


def table_sizes(summary):
    lines = ["| variant | frame | Mpps median (min–max) | cycles/pkt | stages after RX, cycles/pkt | "
             "latency p50 / p99 / p99.9 µs | mbufs/pkt | heap allocs/pkt | heap B/pkt | copied B/pkt |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for v in _variants(summary, "sizes"):
        for size in sorted({k[2] for k in summary if k[0] == "sizes" and k[3] == v}):
            s = summary[("sizes", "udp", size, v)]
            lat = "—" if s.get("p50_ns") is None else \
                f"{s['p50_ns'] / 1e3:.1f} / {s['p99_ns'] / 1e3:.1f} / {s['p999_ns'] / 1e3:.1f}"
            lines.append(f"| {v} | {size} B | {s['mpps']:.2f} ({s['mpps_min']:.2f}–{s['mpps_max']:.2f}) | "
                         f"{_fmt(s.get('cycles_per_packet'))} | {_fmt(stage_cycles_after_rx(s))} | {lat} | "
                         f"{_fmt(s.get('mbufs_per_packet'), 3)} | {_fmt(s.get('heap_allocs_per_packet'), 2)} | "
                         f"{_fmt(s.get('heap_bytes_per_packet'), 0)} | {_fmt(s.get('bytes_copied_per_packet'), 0)} |")
    return lines


def table_ratios(summary):
    """ingestd run to completion over each baseline, and the pipeline over run to completion."""
    sizes = sorted({k[2] for k in summary if k[0] == "sizes"})
    rows = [("ingestd-rtc", v) for v in _variants(summary, "sizes") if not v.startswith("ingestd")]
    rows.append(("ingestd-pipeline", "ingestd-rtc"))
    rows.append(("ingestd-pipeline-stack", "ingestd-rtc"))
    rows.append(("ingestd-fanout", "ingestd-rtc"))
    lines = ["| throughput ratio (medians) | " + " | ".join(f"{s} B" for s in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for a_name, b_name in rows:
        cells = []
        for size in sizes:
            a, b = summary.get(("sizes", "udp", size, a_name)), summary.get(("sizes", "udp", size, b_name))
            cells.append(f"{a['mpps'] / b['mpps']:.2f}×" if a and b else "—")
        lines.append(f"| {a_name} ÷ {b_name} | " + " | ".join(cells) + " |")
    return lines


# A line moving between the vCPUs in fewer TSC cycles than this: they share a core complex
# (measured here: 64-85 when they do, 400-450 when they do not).
NEAR_LINE_TRANSFER = 200


def reference_variant(variant):
    """The one-CPU variant a two-CPU variant is compared with, in the same round."""
    if variant.startswith("ingestd-"):
        return "ingestd-rtc"
    if variant == "owned-copy-2t":
        return "owned-copy"
    if variant == "queues-2":
        return "queues-1"
    return variant.removesuffix("-fanout")


def placement(row):
    """near / far / moved: where the vCPUs were during the run, from its line transfer cost."""
    before, after = row.get("line_transfer_before"), row.get("line_transfer_after")
    if before is None or after is None:
        return None
    near = [c < NEAR_LINE_TRANSFER for c in (before, after)]
    return "near" if all(near) else "far" if not any(near) else "moved"


def placement_ratios(rows):
    """{(case, mix, size, variant): {placement: [ratio to its reference in the same round, ...]}}."""
    by_round = {(r["case"], r["mix"], r["size"], r["variant"], r["run"]): r for r in rows}
    out = {}
    for r in rows:
        where = placement(r)
        ref = by_round.get((r["case"], r["mix"], r["size"], reference_variant(r["variant"]), r["run"]))
        if where and ref and ref["mpps"]:
            out.setdefault((r["case"], r["mix"], r["size"], r["variant"]), {}).setdefault(where, []).append(
                r["mpps"] / ref["mpps"])
    return out


def table_placement(rows):
    """Two-CPU variants over their one-CPU reference, by where the host had put the vCPUs."""
    ratios = placement_ratios(rows)
    lines = [f"| case | input | frame | variant | ÷ | vCPUs near (< {NEAR_LINE_TRANSFER} cycles a line): median (runs) | "
             "far: median (runs) | moved during the run |", "|---|---|---|---|---|---|---|---|"]
    for key in sorted(ratios):
        case, mix, size, variant = key
        cells = []
        for where in ("near", "far", "moved"):
            got = ratios[key].get(where, [])
            cells.append(f"{statistics.median(got):.2f}× ({len(got)})" if got else "—")
        lines.append(f"| {case} | {mix} | {size} B | {variant} | {reference_variant(variant)} | " + " | ".join(cells) + " |")
    line_costs = sorted(c for r in rows for c in (r.get("line_transfer_before"), r.get("line_transfer_after"))
                        if c is not None)
    if line_costs:
        lines += ["", f"Line transfer cost seen in these runs: {line_costs[0]:.0f}–{line_costs[-1]:.0f} TSC cycles "
                  f"(median {statistics.median(line_costs):.0f}); `build/tests/bench/line_transfer 0 1` measures it."]
    return lines


def table_mixes(summary):
    lines = ["| mix | variant | Mpps median (min–max) | cycles/pkt | dropped (malformed) per pkt | heap B/pkt |",
             "|---|---|---|---|---|---|"]
    for mix in ("udp", "demo", "flows"):
        for v in VARIANT_ORDER:
            s = summary.get(("mixes", mix, 64, v))
            if s:
                lines.append(f"| {mix} | {v} | {s['mpps']:.2f} ({s['mpps_min']:.2f}–{s['mpps_max']:.2f}) | "
                             f"{_fmt(s.get('cycles_per_packet'))} | {_fmt(s.get('dropped_per_packet'), 3)} | "
                             f"{_fmt(s.get('heap_bytes_per_packet'), 0)} |")
    return lines


def table_queues(summary, rows):
    """Throughput against RX queue count, with each chain's share and the scaling over one queue."""
    one = summary.get(("queues", "udp", 64, "queues-1"))
    lines = ["| RX queues (chains) | CPUs forwarding | Mpps median (min–max) | per chain, Mpps (last run) | "
             "cycles/pkt | × one queue |", "|---|---|---|---|---|---|"]
    for v in sorted({k[3] for k in summary if k[0] == "queues"}, key=lambda v: int(v.split("-")[1])):
        s = summary[("queues", "udp", 64, v)]
        n = int(v.split("-")[1])
        last = [r for r in rows if r["case"] == "queues" and r["variant"] == v][-1]
        per_chain = ", ".join(f"chain {c}: {m}" for c, m in (p.split(":") for p in last["chain_mpps"].split(";")))
        scale = f"{s['mpps'] / one['mpps']:.2f}×" if one else "—"
        cpus = ", ".join(str(c) for c in (1, 0)[:n]) + (" (shared with the main lcore)" if n > 1 else "")
        lines.append(f"| {n} | {cpus} | {s['mpps']:.2f} ({s['mpps_min']:.2f}–{s['mpps_max']:.2f}) | {per_chain} | "
                     f"{_fmt(s.get('cycles_per_packet'))} | {scale} |")
    return lines


def table_rules(summary):
    """Rule count against throughput and the process stage's cost (the classifier's)."""
    base = summary.get(("rules", "flows", 64, "rules-0"))
    lines = ["| rules | Mpps median (min–max) | × no rules | process stage cycles/pkt | all stages cycles/pkt | "
             "packets matching a rule | compile ms |", "|---|---|---|---|---|---|---|"]
    for v in sorted({k[3] for k in summary if k[0] == "rules"}, key=lambda v: int(v.split("-")[1])):
        s = summary[("rules", "flows", 64, v)]
        ratio = f"{s['mpps'] / base['mpps']:.2f}×" if base else "—"
        lines.append(f"| {int(v.split('-')[1]):,} | {s['mpps']:.2f} ({s['mpps_min']:.2f}–{s['mpps_max']:.2f}) | {ratio} | "
                     f"{_fmt(s.get('process_cycles'))} | {_fmt(s.get('cycles_per_packet'))} | "
                     f"{_fmt(s.get('rule_matched_per_packet'), 2)} | {_fmt(s.get('rules_compile_ms'))} |")
    return lines


FLOW_INPUTS = {"flows": 16384, "flows262k": 262144, "flows1m": 1048576}


def table_flows(summary):
    """The flow table's cost: off, on, on with 10,000 rules; with hugepages and without."""
    off = summary.get(("flows", "flows", 64, "flowtable-off"))
    lines = ["| flow table | flows | rules | hugepages | process lcores | Mpps median (min–max) | × off | "
             "process stage cycles/pkt | × without hugepages (process) | fan-out × one lcore | "
             "all stages cycles/pkt |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted((k for k in summary if k[0] == "flows"),
                  key=lambda k: (FLOW_INPUTS.get(k[1], 0), "rules" in k[3], "on" in k[3],
                                 k[3].removesuffix("-fanout").endswith("-huge"), k[3].endswith("-fanout")))
    for key in keys:
        s, variant = summary[key], key[3]
        fanout = variant.endswith("-fanout")
        one = variant.removesuffix("-fanout")
        huge = one.endswith("-huge")
        state = one.removeprefix("flowtable-").removesuffix("-huge")
        ratio = f"{s['mpps'] / off['mpps']:.2f}×" if off else "—"
        plain = summary.get((*key[:3], one.removesuffix("-huge"))) if huge and not fanout else None
        vs_plain = (f"{s['process_cycles'] / plain['process_cycles']:.2f}×"
                    if plain and s.get("process_cycles") and plain.get("process_cycles") else "—")
        single = summary.get((*key[:3], one)) if fanout else None
        vs_one = f"{s['mpps'] / single['mpps']:.2f}×" if single else "—"
        lines.append(f"| {'off' if state == 'off' else 'on'} | {FLOW_INPUTS.get(key[1], 0):,} | "
                     f"{'10,000' if state == 'rules' else 0} | {'2 MiB, reserved' if huge else 'none (--no-huge)'} | "
                     f"{'2 (fan-out)' if fanout else 1} | "
                     f"{s['mpps']:.2f} ({s['mpps_min']:.2f}–{s['mpps_max']:.2f}) | {ratio} | "
                     f"{_fmt(s.get('process_cycles'))} | {vs_plain} | {vs_one} | {_fmt(s.get('cycles_per_packet'))} |")
    return lines


def table_memif(summary):
    lines = ["| frame | Mpps median (min–max) | ingestd cycles/pkt | feeder: refused by a full ring / sent | "
             "sent = received (medians) | heap B/pkt |",
             "|---|---|---|---|---|---|"]
    for size in sorted({k[2] for k in summary if k[0] == "memif"}):
        s = summary[("memif", "txonly", size, "ingestd-memif")]
        lines.append(f"| {size} B | {s['mpps']:.2f} ({s['mpps_min']:.2f}–{s['mpps_max']:.2f}) | "
                     f"{_fmt(s.get('cycles_per_packet'))} | {_fmt(s.get('feeder_refused_per_sent'), 2)} | "
                     f"{s['sent']:,.0f} = {s['received']:,.0f} | {_fmt(s.get('heap_bytes_per_packet'), 0)} |")
    return lines


def targets(summary, rows=()):
    """The issue's targets, each with its measured value: met or missed, never asserted."""
    out = []

    def get(size, v):
        return summary.get(("sizes", "udp", size, v))

    def verdict(ok):
        return "met" if ok else "**missed**"

    rtc, swap = get(64, "ingestd-rtc"), get(64, "testpmd-5tswap")
    if rtc and swap:
        r = rtc["mpps"] / swap["mpps"]
        out.append(f"- Run to completion vs testpmd 5tswap, 64 B: {r:.2f}× (target ≥ 1.2×): {verdict(r >= 1.2)}")
    # The pipeline's targets: at least 0.95x run to completion at 64 B, 1.1x at 1500 B.
    pipeline_target = {64: 0.95, 1500: 1.1}
    by_placement = placement_ratios(rows)

    def where(key):
        found = by_placement.get(key, {})
        return "".join(f"; vCPUs {w}: {statistics.median(found[w]):.2f}× ({len(found[w])} runs)"
                       for w in ("near", "far") if found.get(w))

    for size in sorted({k[2] for k in summary if k[0] == "sizes"}):
        for variant, name in (("ingestd-pipeline", "Pipeline"), ("ingestd-pipeline-stack", "Pipeline, stack pool")):
            p, r = get(size, variant), get(size, "ingestd-rtc")
            if p and r:
                ratio = p["mpps"] / r["mpps"]
                handoff = p["cycles_per_packet"] - r["cycles_per_packet"]
                want = pipeline_target.get(size)
                goal = f"(target ≥ {want}×): {verdict(ratio >= want)}" if want else "(no target at this size)"
                out.append(f"- {name} (2 worker lcores) vs run to completion, {size} B: {ratio:.2f}× {goal}"
                           f"{where(('sizes', 'udp', size, variant))}; "
                           f"hand-off costs {handoff:+.0f} cycles/pkt over both lcores "
                           f"({p['cycles_per_packet']:.0f} vs {r['cycles_per_packet']:.0f})")
    for mix, variant, what in (("flows1m", "flowtable-on-huge", "1 M flows"),
                               ("flows262k", "flowtable-rules-huge", "262,144 flows + 10,000 rules")):
        one, fan = summary.get(("flows", mix, 64, variant)), summary.get(("flows", mix, 64, variant + "-fanout"))
        if one and fan:
            r = fan["mpps"] / one["mpps"]
            out.append(f"- Heavy process stage ({what}, hugepages), fan-out over 2 lcores vs run to completion on 1: "
                       f"{r:.2f}× (target ≥ 1.6×): {verdict(r >= 1.6)}{where(('flows', mix, 64, variant + '-fanout'))}")
    for mix, variant, what, limit in (("flows1m", "flowtable-on-huge", "1 M flows, hugepages", 400),
                                      ("flows262k", "flowtable-on", "262,144 flows", 120)):
        s = summary.get(("flows", mix, 64, variant))
        if s and s.get("process_cycles"):
            c = s["process_cycles"]
            out.append(f"- Process stage cycles/pkt, {what}: {c:.0f} (target ≤ {limit}): {verdict(c <= limit)}")
    small, large = get(64, "ingestd-rtc"), get(1500, "ingestd-rtc")
    if small and large:
        a, b = stage_cycles_after_rx(small), stage_cycles_after_rx(large)
        growth = b / a - 1
        out.append(f"- Stage cycles/pkt after RX, 1500 B vs 64 B: {b:.1f} vs {a:.1f} ({growth:+.0%}, target within "
                   f"±15 %): {verdict(abs(growth) <= 0.15)}; RX (the PMD's copy of the frame included): "
                   f"{large['rx_cycles']:.0f} vs {small['rx_cycles']:.0f}")
    ours = [s for k, s in summary.items() if k[3].startswith("ingestd")]
    if ours:
        heap = max(s["heap_bytes_per_packet"] for s in ours)
        mbufs = max(abs(s["mbufs_per_packet"] - 1.0) for s in ours)
        out.append(f"- Heap bytes per packet, every ingestd run: max {heap:g} (target 0): {verdict(heap == 0)}; "
                   f"mbufs per packet 1.0 ± {mbufs:.4f}: {verdict(mbufs < 0.001)}")
    mine, owned = get(1500, "ingestd-rtc"), get(1500, "owned-copy")
    if mine and owned:
        r = mine["mpps"] / owned["mpps"]
        out.append(f"- 1500 B vs the owned-copy baseline on the same core: {r:.1f}× (target ≥ 5×): {verdict(r >= 5)}; "
                   f"it allocates {owned['heap_allocs_per_packet']:.1f} times ({owned['heap_bytes_per_packet']:,.0f} B) "
                   f"and copies {owned['bytes_copied_per_packet']:,.0f} B per packet; ingestd "
                   f"{_fmt(mine.get('heap_allocs_per_packet'), 1)}, {_fmt(mine.get('heap_bytes_per_packet'), 0)} and "
                   f"{_fmt(mine.get('bytes_copied_per_packet'), 0)}")
    cost = [summary.get(("stats-cost", "udp", 64, v)) for v in ("measured", "unmeasured")]
    if all(cost):
        r = 1 - cost[0]["mpps"] / cost[1]["mpps"]
        out.append(f"- Cost of measuring (histograms, sampled stage timing, allocation per packet): {r:.1%} of "
                   f"throughput ({cost[0]['mpps']:.2f} vs {cost[1]['mpps']:.2f} Mpps; target ≤ 3 %): "
                   f"{verdict(r <= 0.03)}")
    return out


def line_rate_mpps(gbps, frame):
    return gbps * 1e9 / ((frame + WIRE_OVERHEAD) * 8) / 1e6


def projections(summary, tsc_hz):
    """What one core sustains at the measured cycles per packet, against 10/25/100 GbE line rates."""
    sizes = {k[2]: s for k, s in summary.items() if k[0] == "sizes" and k[3] == "ingestd-rtc"}
    if not tsc_hz or not {64, 512, 1500} <= set(sizes):
        return []

    def cycles_at(frame):  # linear between the measured sizes (frames here exclude the FCS)
        pts = sorted((s, sizes[s]["cycles_per_packet"]) for s in sizes)
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if frame <= x1:
                return y0 + (y1 - y0) * (frame - x0) / (x1 - x0)
        return pts[-1][1]

    imix_cycles = sum(cycles_at(f - 4) * w for f, w in IMIX) / sum(w for _, w in IMIX)
    imix_frame = sum(f * w for f, w in IMIX) / sum(w for _, w in IMIX)
    ghz = tsc_hz / 1e9
    lines = [f"Projection, not a measurement: one core at {ghz:.1f} GHz handles cycles-per-second ÷ "
             "cycles-per-packet packets per second; line rate is Gbit/s ÷ ((frame + 20 B of preamble and "
             f"gap) × 8), 64 B with its FCS (14.88 Mpps at 10 GbE). IMIX is 7:4:1 of 64/576/1500 B frames ({imix_frame:.0f} B mean; its cycles/pkt are "
             "interpolated from the measured sizes). Assumes cores scale linearly (one RX queue each, RSS), "
             "which the memory system and PCIe bound in practice.", "",
             "| traffic | cycles/pkt | one core, Mpps | " +
             " | ".join(f"{g} GbE line rate, Mpps (cores)" for g in LINE_RATES_GBPS) + " |",
             "|---|---|---|" + "---|" * len(LINE_RATES_GBPS)]
    for name, cycles, frame in (("64 B", sizes[64]["cycles_per_packet"], 64), ("IMIX", imix_cycles, imix_frame)):
        per_core = tsc_hz / cycles / 1e6
        cells = [f"{line_rate_mpps(g, frame):.2f} ({math.ceil(line_rate_mpps(g, frame) / per_core)})"
                 for g in LINE_RATES_GBPS]
        lines.append(f"| {name} | {cycles:.0f} | {per_core:.2f} | " + " | ".join(cells) + " |")
    lines += ["", "A 32-core socket at this rate: " + ", ".join(
        f"{name} {32 * tsc_hz / c / 1e6:.0f} Mpps" for name, c in (("64 B", sizes[64]["cycles_per_packet"]),
                                                                    ("IMIX", imix_cycles)))
              + " — before memory bandwidth (each 1500 B frame crosses it at least twice: DMA in, DMA out)."]
    return lines


def plots(summary, out):
    """PNG plots; needs matplotlib (Debian python3-matplotlib). Returns the files written."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    variants = _variants(summary, "sizes")
    sizes = sorted({k[2] for k in summary if k[0] == "sizes"})
    if not sizes:
        return []

    def series(v, key):
        return [summary[("sizes", "udp", s, v)].get(key) for s in sizes]

    for key, label, fname, log in (("mpps", "Mpps (median)", "throughput_vs_size.png", False),
                                   ("cycles_per_packet", "cycles per packet (median)", "cycles_vs_size.png", True)):
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for v in variants:
            ax.plot(sizes, series(v, key), marker="o", label=v)
        if key == "cycles_per_packet" and "ingestd-rtc" in variants:
            # The stages' own work, without the PMD's copy of the frame: the line zero copy keeps flat.
            after_rx = [stage_cycles_after_rx(summary[("sizes", "udp", s, "ingestd-rtc")]) for s in sizes]
            ax.plot(sizes, after_rx, marker="o", linestyle="--", color="tab:blue",
                    label="ingestd-rtc, stages after RX")
        ax.set_xlabel("frame size, bytes")
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, fname), dpi=110)
        plt.close(fig)
        written.append(fname)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    with_alloc = [v for v in variants if summary[("sizes", "udp", sizes[0], v)].get("heap_allocs_per_packet") is not None]
    width = 0.8 / max(1, len(with_alloc))
    for i, v in enumerate(with_alloc):
        xs = [j + i * width for j in range(len(sizes))]
        bars = axes[0].bar(xs, series(v, "heap_allocs_per_packet"), width, label=v)
        axes[0].bar_label(bars, fmt="%g", fontsize=7)
        bars = axes[1].bar(xs, [b or 0 for b in series(v, "heap_bytes_per_packet")], width, label=v)
        axes[1].bar_label(bars, fmt="%g", fontsize=7)
    for ax, title in zip(axes, ("heap allocations per packet", "heap bytes per packet")):
        ax.set_xticks([j + width * (len(with_alloc) - 1) / 2 for j in range(len(sizes))], [f"{s} B" for s in sizes])
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "allocation_per_packet.png"), dpi=110)
    plt.close(fig)
    written.append("allocation_per_packet.png")

    with_lat = [v for v in variants if summary[("sizes", "udp", sizes[0], v)].get("p50_ns") is not None]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    pct = [("p50_ns", "p50"), ("p99_ns", "p99"), ("p999_ns", "p99.9")]
    width = 0.8 / max(1, len(with_lat))
    for i, v in enumerate(with_lat):
        s = summary[("sizes", "udp", 64, v)] if ("sizes", "udp", 64, v) in summary else None
        if s:
            ax.bar([j + i * width for j in range(len(pct))], [s[k] / 1e3 for k, _ in pct], width, label=v)
    ax.set_xticks([j + width * (len(with_lat) - 1) / 2 for j in range(len(pct))], [n for _, n in pct])
    ax.set_yscale("log")
    ax.set_ylabel("RX → TX latency at saturation, µs (64 B)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency_64B.png"), dpi=110)
    plt.close(fig)
    written.append("latency_64B.png")
    return written


def write(rows, out, command, args, tsc_hz, failures=(), skipped=()):
    summary = summarise(rows)
    parts = [f"# ingestd benchmark\n\nCommand: `{command}` — {args.runs} alternating round(s), {args.seconds:g} s per "
             "run. Input: `net_pcap` with `infinite_rx=1` over a generated capture, output `net_null`; every "
             "single-core variant forwards on CPU 1 (testpmd `-l 0,1 --nb-cores=1`, ingestd lcore 1 on CPU 1, the "
             "owned-copy baseline under `taskset -c 1`). The pipeline layout and `owned-copy-2t` use both CPUs. "
             "Figures are medians; throughput counts every packet handled (forwarded or counted as dropped)."]
    if any(k[0] == "sizes" for k in summary):
        parts += ["## Frame size", "\n".join(table_sizes(summary)), "## Ratios", "\n".join(table_ratios(summary))]
    if any(placement(r) for r in rows):
        parts += ["## Two CPUs: by where the vCPUs were",
                  "A VM's two vCPUs may share a core complex (a cache line moves between them in tens of cycles) "
                  "or not (hundreds), and the host moves them. Each run on both CPUs measured the line transfer "
                  "cost before and after; its throughput over its one-CPU reference of the same round:",
                  "\n".join(table_placement(rows))]
    if any(k[0] == "mixes" for k in summary):
        parts += ["## Traffic mixes (64 B UDP; the demo mix is 60–1514 B)", "\n".join(table_mixes(summary))]
    if any(k[0] == "queues" for k in summary):
        parts += ["## RX queues (64 B UDP, net_pcap: one infinite_rx capture per queue, run to completion per "
                  "chain, into net_null)", "\n".join(table_queues(summary, rows))]
    if any(k[0] == "rules" for k in summary):
        parts += ["## Rules (64 B UDP, 16,384 flows, run to completion; rte_acl, first match)",
                  "\n".join(table_rules(summary))]
    if any(k[0] == "flows" for k in summary):
        parts += ["## Flow table (64 B UDP, every frame of the capture its own flow, replayed; run to completion)",
                  "Hugepages: the runs marked reserved ran with `hugepages: require` on 2 MiB pages tools/bench "
                  "reserved for them (and gave back); all the others with `hugepages: off` (--no-huge).",
                  "\n".join(table_flows(summary))]
    if any(k[0] == "memif" for k in summary):
        parts += ["## memif: a second DPDK process feeding ingestd",
                  "dpdk-testpmd `txonly` (memif client, CPU 0) → `net_memif` → ingestd run to completion (server, "
                  "CPU 1) → `net_null`. Both sides copy each frame (memif without zero-copy); the slower sets the "
                  "rate; txonly frees what a full ring refuses, so refused / sent well above 0 means ingestd was the slower.",
                  "\n".join(table_memif(summary))]
    if failures:
        parts += ["## Failed runs (tools/bench exits 1)",
                  "\n".join(["| round | case | input | frame | variant | error |", "|---|---|---|---|---|---|"] +
                            [f"| {rnd} | {case} | {mix} | {size} B | {variant} | {why.splitlines()[0][:200]} |"
                             for rnd, case, mix, size, variant, why in failures])]
    if skipped:
        parts += ["## Skipped runs", "\n".join(f"- {case} {mix} {size} B {variant}: {why}"
                                              for _, case, mix, size, variant, why in skipped)]
    found = targets(summary, rows)
    if found:
        parts += ["## Targets", "\n".join(found)]
    proj = projections(summary, tsc_hz)
    if proj:
        parts += ["## Scaling on paper", "\n".join(proj)]
    images = plots(summary, out)
    if images:
        parts += ["## Plots", "\n".join(f"![{i}]({i})" for i in images)]
    report = "\n\n".join(parts) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(report)
    return report
