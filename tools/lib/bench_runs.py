# SPDX-License-Identifier: BSD-3-Clause
"""One timed run of each thing tools/bench compares; every run returns the same figures.

Figures: mpps (packets handled per second: forwarded plus counted drops), cycles_per_packet
(busy cycles of the forwarding cores per packet), stage cycles, latency percentiles (ns),
mbufs / heap allocations / heap bytes / bytes copied per packet. A figure a runner cannot
see is None, never a guess.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import time

# Stage splits the two layouts use. The pipeline splits after RX: of the splits measured
# here ([rx] | rest, [rx, parse] | rest, [rx..process] | rest, [rx..encode] | [tx]) it balances
# best once each side pays for the lines it must take from the other core.
# (lcore or [lcores], cpu or [cpus], stages[, weights]) per segment. The fan-out receives and
# parses on lcore 1 (CPU 1) and spreads by flow over itself and lcore 2 (CPU 0): two busy lcores
# on the two CPUs. Lcore 1 also receives and parses every packet, so it keeps the smaller share
# (FANOUT_WEIGHTS). The fan-out over two more lcores (three on two CPUs) measured 0.33x of
# run to completion: the RX lcore kept waiting on full rings while the lcore sharing its CPU could
# not run.
FANOUT_WEIGHTS = [1, 4]
LAYOUTS = {
    "rtc": [(1, 1, "[rx, parse, process, encode, tx]")],
    "pipeline": [(1, 1, "[rx]"), (2, 0, "[parse, process, encode, tx]")],
    "fanout": [(1, 1, "[rx, parse]"), ([1, 2], [1, 0], "[process, encode, tx]", FANOUT_WEIGHTS)],
}


def transmitting_lcores(layout):
    last = LAYOUTS[layout][-1][0]
    return len(last) if isinstance(last, list) else 1


def segment_yaml(lcore, cpu, stages, weights=None):
    if isinstance(lcore, list):
        shares = f", weights: {weights}" if weights else ""
        return f"        - {{lcores: {lcore}, cpus: {cpu}{shares}, stages: {stages}}}"
    return f"        - {{lcore: {lcore}, cpu: {cpu}, stages: {stages}}}"

CONFIG = """eal: {{main_lcore: 0, memory_mb: {memory_mb}, file_prefix: {prefix}, hugepages: {hugepages}, log_level: error}}
ports:
  - {{name: in, device: net_pcap0, args: {{rx_pcap: {pcap}, infinite_rx: 1}}}}
  - {{name: out, device: net_null1, rx_queues: 0, tx_queues: {tx_queues}, set_src_mac: "02:00:00:00:00:01", set_dst_mac: "02:00:00:00:00:02"}}
pipeline:
  mempool: {{mbufs: {mbufs}, handler: {handler}}}
  chains:
    - rx: [in]
      ring_policy: backpressure   # a benchmark measures throughput, not ring drops
      ring_size: {ring_size}
      segments:
{segments}
routes:
  - {{from: in, to: out}}
stats: {{instance: {prefix}}}
"""

STAGES = ["rx", "parse", "process", "encode", "tx"]


def rules_yaml(count):
    """`count` rules over the UDP mix's destinations (172.16.0.0/12): rule i takes one /24
    and a slice of the destination ports, so with 4,096 or more rules every packet matches
    one, at a position spread over the list; with fewer, most fall through to the port map."""
    if count == 0:
        return ""
    slices = (count + 4095) // 4096
    width = 65536 // slices
    lines = ["rules:"]
    for i in range(count):
        s = i // 4096
        lo, hi = s * width, min(65535, (s + 1) * width - 1)
        lines.append(f"  - {{match: {{dst: 172.{16 + i % 16}.{(i // 16) % 256}.0/24, dst_port: \"{lo}-{hi}\"}}, "
                     f"forward: out}}")
    return "\n".join(lines) + "\n"


def ingestd_memory_mb(frames, flows=0):
    """EAL memory for a run: ~4 KiB per mbuf of --no-huge memory, ~256 B per flow of table
    (rte_hash buckets and keys, one 64 B line of totals per flow), 128 MiB for the rest."""
    return max(256, pool_mbufs(frames) * 4 // 1024 + 128 + flows * 256 // 2**20)


def pool_mbufs(frames):
    """net_pcap infinite_rx keeps every frame of the capture in an mbuf: the pool holds them
    and 8191 more for descriptors, rings and caches."""
    return max(8191, frames + 8191)


def write_ingestd_config(path, layout, pcap, frames, prefix, ring_size=1024, rules=0, flows=0, hugepages=False,
                         handler="default"):
    """`hugepages`: require them (the run fails without) or run with --no-huge, never guessed.
    `handler`: the packet pool's (pipeline.mempool.handler)."""
    mbufs = pool_mbufs(frames)
    segments = "\n".join(segment_yaml(*seg) for seg in LAYOUTS[layout])
    tables = transmitting_lcores(layout)  # a flow table per process lcore, each sized for every flow
    with open(path, "w") as f:
        f.write(CONFIG.format(prefix=prefix, pcap=pcap, mbufs=mbufs, handler=handler,
                              memory_mb=ingestd_memory_mb(frames, flows * tables), segments=segments,
                              ring_size=ring_size, tx_queues=tables, hugepages="require" if hugepages else "off"))
        f.write(rules_yaml(rules))
        if flows:
            # Room for every flow of the capture; records at the end go to /dev/null.
            capacity = max(1024, 2 ** (flows - 1).bit_length())
            f.write(f"flows: {{capacity: {capacity}, idle_timeout_ms: 600000, jsonl: /dev/null}}\n")


class Hugepages:
    """2 MiB hugepages for the runs that ask for them: reserved through /proc/sys/vm/nr_hugepages
    (root) and a hugetlbfs mounted at /dev/hugepages if none is; both put back by release().
    `error` says why they could not be had (those runs are then skipped, saying so)."""
    NR = "/proc/sys/vm/nr_hugepages"
    MOUNT = "/dev/hugepages"

    def __init__(self):
        self.previous, self.mounted, self.held, self.error = None, False, 0, None

    @staticmethod
    def _free_pages():
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        if info["Hugepagesize"].split()[0] != "2048":
            raise OSError(f"default hugepage size is {info['Hugepagesize'].strip()}, not 2048 kB")
        return int(info["HugePages_Free"])

    @staticmethod
    def _mounts():
        with open("/proc/mounts") as f:
            return [line.split()[1] for line in f if line.split()[2] == "hugetlbfs"]

    def reserve(self, pages):
        """At least `pages` free, checked before every run: an ingestd of another instance with
        `hugepages: auto` may have taken some meanwhile. True when they are there."""
        try:
            if self.previous is None:
                with open(self.NR) as f:
                    self.previous = int(f.read())
            free = self._free_pages()
            if free < pages:
                with open(self.NR) as f:
                    total = int(f.read())
                with open(self.NR, "w") as f:
                    f.write(f"{total + pages - free}\n")
            if not self._mounts():
                os.makedirs(self.MOUNT, exist_ok=True)
                subprocess.run(["mount", "-t", "hugetlbfs", "nodev", self.MOUNT], check=True, capture_output=True)
                self.mounted = True
            free = self._free_pages()
            if free < pages:
                raise OSError(f"the kernel gave {free} free hugepages of the {pages} asked")
        except (OSError, subprocess.CalledProcessError) as e:
            self.error = f"cannot reserve {pages} hugepages of 2 MiB: {e} (as root it works)"
            self.release()
            return False
        self.held, self.error = pages, None
        return True

    def release(self):
        if self.mounted:
            subprocess.run(["umount", self.MOUNT], check=False, capture_output=True)
            self.mounted = False
        if self.previous is not None:
            try:
                with open(self.NR, "w") as f:
                    f.write(f"{self.previous}\n")
            except OSError:
                pass
            self.previous = None
        self.held = 0


QUEUES_CONFIG = """eal: {{main_lcore: 0, memory_mb: {memory_mb}, file_prefix: {prefix}, hugepages: off, log_level: error}}
ports:
  - {{name: in, device: net_pcap0, args: {{rx_pcap: [{pcaps}], infinite_rx: 1}}, rx_queues: {queues}, tx_queues: {queues}}}
  - {{name: out, device: net_null1, rx_queues: 0, tx_queues: {queues}, set_src_mac: "02:00:00:00:00:01", set_dst_mac: "02:00:00:00:00:02"}}
pipeline:
  mempool: {{mbufs: {mbufs}}}
  chains:
{chains}
routes:
  - {{from: in, to: out}}
stats: {{instance: {prefix}}}
"""

# Chain i runs to completion on lcore i + 1, CPU 1 first: CPU 0 also runs the main (stats) lcore.
QUEUE_CPUS = [1, 0]


def write_queues_config(path, queues, pcap, frames, prefix):
    """net_pcap with one rx_pcap (the same capture) per RX queue, one chain per queue, into net_null."""
    mbufs = pool_mbufs(frames * queues)
    chains = "\n".join(f"    - rx: [\"in:{q}\"]\n      segments:\n"
                       f"        - {{lcore: {q + 1}, cpu: {QUEUE_CPUS[q]}, stages: [rx, parse, process, encode, tx]}}"
                       for q in range(queues))
    with open(path, "w") as f:
        f.write(QUEUES_CONFIG.format(prefix=prefix, pcaps=", ".join([pcap] * queues), queues=queues, mbufs=mbufs,
                                     memory_mb=max(256, mbufs * 4 // 1024 + 128), chains=chains))


def _percentiles(entries, metric):
    """The histogram of `metric` with the most samples (the TX lcore's, for e2e)."""
    hits = [e for e in entries if e["metric"] == metric]
    if not hits:
        return {}
    best = max(hits, key=lambda e: e["count"])
    return {"p50_ns": best["p50_ns"], "p99_ns": best["p99_ns"], "p999_ns": best["p999_ns"]}


def line_transfer(binary):
    """TSC cycles one cache line takes to move between CPUs 0 and 1 now (tests/bench/line_transfer).
    A VM's two vCPUs may sit on one core complex (tens of cycles) or on two (hundreds), and the
    host may move them between runs: every layout that hands packets between the CPUs pays
    this per line, so each such run records it before and after."""
    run = subprocess.run([binary, "0", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    m = re.search(r"([0-9]+) per line transfer", run.stdout)
    if run.returncode != 0 or not m:
        raise RuntimeError(f"{binary}: {run.stderr.strip() or run.stdout.strip()}")
    return int(m.group(1))


def ingestd(binary, config, seconds, stats_path):
    run = subprocess.run([binary, "-c", config, "--duration", str(seconds), "--final-stats", stats_path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=seconds + 120, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{binary} -c {config} exited {run.returncode}: {run.stderr.strip()[-1500:]}")
    compiled = re.search(r"rules compiled in ([0-9.]+) ms", run.stdout)
    with open(stats_path) as f:
        report = json.load(f)
    tsc_hz = report["instance"]["tsc_hz"]
    totals = report["totals"]
    rx = totals["rx_packets"]
    if not totals["conserved"] or rx == 0:
        raise RuntimeError(f"{config}: run not conserved or empty: {totals}")
    lcores = report["lcores"]
    # The RX lcore is busy or idle for the whole run: its cycles are the run's length.
    rx_lcore = min(lcores, key=lambda l: l["lcore"])
    elapsed = (rx_lcore["counters"]["busy_cycles"] + rx_lcore["counters"]["idle_cycles"]) / tsc_hz
    busy = sum(l["counters"]["busy_cycles"] for l in lcores)
    # A stage on several lcores (a fan-out): its cycles per packet weighted by each lcore's packets.
    stage_cycles = {s: 0.0 for s in STAGES}
    stage_pkts = {s: 0 for s in STAGES}
    for s in report["stages"]:
        stage_cycles[s["stage"]] += s["cycles_per_pkt"] * s["pkts"]
        stage_pkts[s["stage"]] += s["pkts"]
    stage = {s: stage_cycles[s] / stage_pkts[s] if stage_pkts[s] else 0.0 for s in STAGES}
    alloc = report["allocation"]
    return {
        "mpps": rx / elapsed / 1e6,
        "chain_mpps": ";".join(f"{l['chain']}:{l['counters']['rx_pkts'] / elapsed / 1e6:.2f}"
                               for l in lcores if l["counters"].get("rx_pkts")),
        "cycles_per_packet": busy / rx,
        "lcore_cycles_per_packet": ";".join(f"{l['lcore']}:{l['counters']['busy_cycles'] / rx:.1f}" for l in lcores),
        **{f"{s}_cycles": stage[s] for s in STAGES},
        **_percentiles(report["latency"], "e2e"),
        "mbufs_per_packet": alloc["mbufs_per_packet"],
        "heap_allocs_per_packet": alloc["heap_allocs_per_packet"],
        "heap_bytes_per_packet": alloc["heap_bytes_per_packet"],
        "bytes_copied_per_packet": alloc["bytes_copied_per_packet"],
        "dropped_per_packet": totals["dropped"] / rx,
        "rules_compile_ms": float(compiled.group(1)) if compiled else None,
        "rule_matched_per_packet": sum(r["hits"] for r in report.get("rules", [])) / rx,
        "tsc_hz": tsc_hz,
    }


def testpmd(mode, pcap, seconds, prefix, tsc_hz):
    """dpdk-testpmd forwarding net_pcap (infinite_rx) to net_null on lcore 1 (CPU 1)."""
    argv = ["dpdk-testpmd", "-l", "0,1", "--no-pci", "--no-huge", "-m", "512", "--file-prefix", prefix,
            "--log-level=error", "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--vdev", "net_null1,no-rx=1",
            "--", f"--forward-mode={mode}", "--stats-period", "1", "--nb-cores=1", "--total-num-mbufs=8192",
            "--no-mlockall"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # testpmd prints each port's rate once a second. The first non-zero print of port 0 covers
    # its start-up; then the window is `seconds` (at least one print) of steady ones. Start-up
    # on a busy machine can take several prints, so the prints are read, not slept through.
    wanted = max(1, round(seconds))
    port, rates, out = None, [], []
    deadline = time.monotonic() + seconds + 30
    while time.monotonic() < deadline and len(rates) < wanted + 1:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        header = re.search(r"NIC statistics for port (\d+)", line)
        if header:
            port = int(header.group(1))
        rate = re.search(r"Rx-pps:\s+(\d+)", line)
        if rate and port == 0 and (rates or int(rate.group(1)) > 0):
            rates.append(int(rate.group(1)))
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    out = "".join(out) + rest
    subprocess.run(["rm", "-rf", f"/var/run/dpdk/{prefix}"], check=False)
    steady = rates[1:]
    if not steady or max(steady) == 0:
        raise RuntimeError("testpmd printed no steady rates:\n" + out[-2000:])
    pps = statistics.median(steady)
    # A polling core is busy all the time: its cycles per packet are its clock over its rate.
    return {"mpps": pps / 1e6, "cycles_per_packet": tsc_hz / pps, "mbufs_per_packet": 1.0}


def owned_copy(binary, pcap, seconds, threads, cpus, json_path):
    """The owned-object TBB pipeline, pinned to the same CPU(s)."""
    argv = ["taskset", "-c", cpus, binary, "--pcap", pcap, "--seconds", str(seconds), "--threads", str(threads),
            "--json", json_path]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60)
    with open(json_path) as f:
        r = json.load(f)
    stage = r.get("stage_cycles_per_packet", {})
    lat = r.get("latency_ns", {})
    return {
        "mpps": r["mpps"],
        "cycles_per_packet": r["cycles_per_packet"],
        # Its stages map onto ingestd's: receive is the copy a socket read makes (as the PMD's).
        "rx_cycles": stage.get("receive"), "parse_cycles": stage.get("parse"),
        "process_cycles": stage.get("process"), "encode_cycles": stage.get("encode"),
        "tx_cycles": stage.get("transmit"),
        "p50_ns": lat.get("p50"), "p99_ns": lat.get("p99"), "p999_ns": lat.get("p999"),
        "mbufs_per_packet": None,
        "heap_allocs_per_packet": r["heap_allocs_per_packet"],
        "heap_bytes_per_packet": r["heap_bytes_per_packet"],
        "bytes_copied_per_packet": r["bytes_copied_per_packet"],
        "dropped_per_packet": r["dropped"] / r["packets"] if r["packets"] else None,
        "tsc_hz": r["tsc_hz"],
    }


def remove_segment(prefix):
    try:
        os.unlink(f"/dev/shm/ingestd.{prefix}")
    except FileNotFoundError:
        pass


MEMIF_CONFIG = """eal: {{main_lcore: 0, memory_mb: 256, file_prefix: {prefix}, hugepages: off, log_level: error}}
ports:
  - {{name: feed, device: net_memif0, args: {{role: server, id: 0, socket: {socket}, socket-abstract: "no"}}}}
  - {{name: out, device: net_null1, rx_queues: 0, set_src_mac: "02:00:00:00:00:01", set_dst_mac: "02:00:00:00:00:02"}}
pipeline:
  mempool: {{mbufs: 8191}}
  chains:
    - rx: [feed]
      segments:
        - {{lcore: 1, cpu: 1, stages: [rx, parse, process, encode, tx]}}
routes:
  - {{from: feed, to: out}}
stats: {{instance: {prefix}}}
"""


def _poll(deadline_s, done, what):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = done()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"timed out waiting for {what}")


def _received(ingest_stats, prefix):
    r = subprocess.run([ingest_stats, "--instance", prefix, "--json"], capture_output=True, text=True, timeout=10)
    return json.loads(r.stdout)["totals"]["rx_packets"] if r.returncode == 0 else 0


def memif(binary, ingest_stats, size, seconds, prefix, work):
    """ingestd (run to completion, CPU 1) receiving over net_memif from dpdk-testpmd txonly (CPU 0).

    testpmd runs interactively on a pipe: 'stop' ends transmission but keeps the connection, so
    its count of packets sent is compared with ingestd's received count exactly. The rate is
    ingestd's received count over the measuring window: whichever side is slower sets it (the
    feeder's packets refused by a full memif ring say which: many means ingestd was the slower).
    """
    socket = os.path.join(work, "memif.sock")
    config = os.path.join(work, "memif.yaml")
    stats_path = os.path.join(work, "memif-stats.json")
    with open(config, "w") as f:
        f.write(MEMIF_CONFIG.format(prefix=prefix, socket=socket))
    feeder_prefix = prefix + "-feeder"
    feeder_log = open(os.path.join(work, "testpmd.log"), "w+")
    ingestd_proc = subprocess.Popen([binary, "-c", config, "--duration", str(int(seconds) + 60), "--final-stats",
                                     stats_path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    feeder = None
    try:
        _poll(30, lambda: os.path.exists(socket) and os.path.exists(f"/dev/shm/ingestd.{prefix}"), "ingestd")
        feeder = subprocess.Popen(
            ["stdbuf", "-oL", "dpdk-testpmd", "--lcores=0@0,1@0", "--no-pci", "--no-huge", "-m", "256",
             f"--file-prefix={feeder_prefix}", "--log-level=error",
             f"--vdev=net_memif0,role=client,id=0,socket-abstract=no,socket={socket}", "--", "-i",
             "--forward-mode=txonly", f"--txpkts={size}", "--nb-cores=1", "--total-num-mbufs=8192", "--no-mlockall"],
            stdin=subprocess.PIPE, stdout=feeder_log, stderr=subprocess.STDOUT, text=True)
        feeder.stdin.write("start\n")
        feeder.stdin.flush()
        rx0 = _poll(30, lambda: _received(ingest_stats, prefix), "the first packets over memif")
        t0 = time.monotonic()
        time.sleep(seconds)  # the measuring window, not a synchronisation
        rx1 = _received(ingest_stats, prefix)
        t1 = time.monotonic()
        feeder.stdin.write("stop\n")
        feeder.stdin.flush()
        marker = "Accumulated forward statistics for all ports"

        def totals():
            feeder_log.seek(0)
            out = feeder_log.read()
            at = out.find(marker)
            return out[at:] if at >= 0 and "TX-total" in out[at:] else None
        block = _poll(30, totals, "testpmd's totals")
        sent = int(re.search(r"TX-packets:\s+(\d+)", block).group(1))
        ring_full = int(re.search(r"TX-dropped:\s+(\d+)", block).group(1))
        _poll(10, lambda: _received(ingest_stats, prefix) >= sent, "ingestd to drain the memif ring")
        ingestd_proc.send_signal(signal.SIGINT)
        ingestd_proc.wait(timeout=60)
        feeder.stdin.write("quit\n")
        feeder.stdin.close()
        feeder.wait(timeout=60)
    finally:
        for p in (feeder, ingestd_proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        feeder_log.close()
        subprocess.run(["rm", "-rf", f"/var/run/dpdk/{feeder_prefix}"], check=False)
    if ingestd_proc.returncode != 0:
        raise RuntimeError(f"ingestd exited {ingestd_proc.returncode}")
    with open(stats_path) as f:
        report = json.load(f)
    totals = report["totals"]
    if not totals["conserved"] or totals["rx_packets"] != sent:
        raise RuntimeError(f"memif: sent {sent}, ingestd {totals}")
    rx = totals["rx_packets"]
    busy = sum(l["counters"]["busy_cycles"] for l in report["lcores"])
    alloc = report["allocation"]
    return {
        "mpps": (rx1 - rx0) / (t1 - t0) / 1e6,
        "cycles_per_packet": busy / rx,
        "sent": sent,
        "received": rx,
        "feeder_refused_per_sent": ring_full / sent,
        "mbufs_per_packet": alloc["mbufs_per_packet"],
        "heap_bytes_per_packet": alloc["heap_bytes_per_packet"],
        "dropped_per_packet": totals["dropped"] / rx,
        "tsc_hz": report["instance"]["tsc_hz"],
    }
