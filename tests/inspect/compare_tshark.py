#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ingest-inspect checked against tshark, field by field.

Generates a corpus (inspect_corpus), runs `ingest-inspect` and `tshark -T fields` on it, and
compares, for every frame ingest-inspect calls ok: VLAN ids, source and destination address,
IP protocol / next header, and the ports of TCP, UDP and SCTP, for the outer layer and for
the tunnelled one. Zero disagreements allowed. tshark is required: without it the test fails.

Where tshark's dissection differs on purpose (see docs/development.md, "Inspecting captures and fuzzing"):
- A layer is compared only when ingest-inspect reports it. tshark also decodes what ingestd
  does not parse (ICMP error payloads, application protocols on well-known ports, a tunnel
  inside a tunnel); those extra occurrences come after ingestd's and are ignored.
- The n-th occurrence of a field is matched to ingestd's layer stack: an inner IPv4 header
  under outer IPv4 is tshark's second ip.src, under outer IPv6 its first.
- IPv6 next header: ingestd keeps the last next header of the extension chain (the
  transport); tshark's ipv6.nxt is the fixed header's, so the transport is taken from the end
  of tshark's extension chain (ipv6.*.nxt).
- tshark files a 0x88a8 (802.1ad) tag under ieee8021ad.id, 0x8100 and 0x9100 under vlan.id;
  ingestd treats all three alike. The corpus puts 802.1ad tags outermost only.
- tshark picks a UDP dissector by the lower port first; VXLAN and Geneve frames in the corpus
  use ephemeral source ports (49152-65535), as real tunnel endpoints do, so tshark finds the
  tunnel by its destination port as ingestd does.
- Reassembly is off (-o ip.defragment:FALSE, ipv6.defragment:FALSE): ingestd parses each
  fragment alone, so both report the transport of a first fragment and none of a later one.
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIELDS = [
    "frame.number", "frame.protocols", "ieee8021ad.id", "vlan.id",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ipv6.nxt",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    "sctp.srcport", "sctp.dstport",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "ipv6.dstopts.nxt",
]
IPV6_EXT = {0, 43, 44, 51, 60}
L4_NAMES = {6: "tcp", 17: "udp", 132: "sctp"}


def run(cmd, out_path):
    with open(out_path, "wb") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(map(str, cmd))} exited {proc.returncode}: "
                 f"{proc.stderr.decode(errors='replace').strip()}")
    return proc


def read_tshark(path):
    rows = {}
    for line in Path(path).read_text().splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        row = {name: (cols[i].split(",") if cols[i] else []) for i, name in enumerate(FIELDS)}
        rows[int(row["frame.number"][0])] = row
    return rows


class Comparer:
    def __init__(self):
        self.fields = 0
        self.frames = 0
        self.disagreements = []

    def check(self, n, what, ours, theirs):
        self.fields += 1
        if ours != theirs:
            self.disagreements.append(f"frame {n}: {what}: ingest-inspect {ours!r}, tshark {theirs!r}")

    @staticmethod
    def nth(row, field, index):
        values = row[field]
        return values[index] if index < len(values) else None

    def ip_layer(self, n, row, layer, ip_index, name):
        """Addresses and protocol of one IP layer; ip_index: its occurrence in tshark's fields."""
        v4 = layer["l3"] == "ipv4"
        prefix = "ip" if v4 else "ipv6"
        self.check(n, f"{name} src", layer["src"], self.nth(row, f"{prefix}.src", ip_index))
        self.check(n, f"{name} dst", layer["dst"], self.nth(row, f"{prefix}.dst", ip_index))
        if v4:
            theirs = self.nth(row, "ip.proto", ip_index)
            self.check(n, f"{name} proto", layer["proto"], None if theirs is None else int(theirs))
            return
        # IPv6: follow tshark's chain from the fixed header through the extension headers.
        first = self.nth(row, "ipv6.nxt", ip_index)
        chain = [int(first)] if first is not None else []
        if ip_index == 0:  # the corpus puts extension headers on the outer layer only
            for field in ("ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
                          "ipv6.dstopts.nxt"):
                chain += [int(v) for v in row[field]]
        last = next((p for p in chain if p not in IPV6_EXT), chain[-1] if chain else None)
        if layer["l4_off"] is None and chain and layer["proto"] == chain[0]:
            last = chain[0]  # a parser that stops at the first extension header says so
        self.check(n, f"{name} proto (end of the IPv6 header chain)", layer["proto"], last)

    def ports(self, n, row, layer, l4_index, name):
        l4 = L4_NAMES[layer["proto"]]
        for key, field in (("sport", "srcport"), ("dport", "dstport")):
            theirs = self.nth(row, f"{l4}.{field}", l4_index)
            self.check(n, f"{name} {l4}.{field}", layer[key],
                       None if theirs is None else int(theirs))

    def frame(self, ours, row):
        n = ours["n"]
        self.frames += 1
        # tshark names a 0x88a8 tag "IEEE 802.1ad" (ieee8021ad.id), any other tag vlan.id; the
        # corpus puts 802.1ad tags outermost only. Tags of a tunnelled Ethernet frame follow
        # in the same fields: keep as many as frame.protocols shows before the first L3.
        tshark_vlans = [int(v) for v in row["ieee8021ad.id"] + row["vlan.id"]]
        stack = ":".join(row["frame.protocols"]).split(":")
        outer_tags = 0
        for proto in stack:
            if proto in ("vlan", "ieee8021ad"):
                outer_tags += 1
            elif proto not in ("eth", "ethertype"):
                break
        tshark_vlans = tshark_vlans[:outer_tags]
        self.check(n, "vlans", ours["vlans"], tshark_vlans)
        if ours["l3"] not in ("ipv4", "ipv6"):
            return
        self.ip_layer(n, row, ours, 0, "outer")
        outer_l4 = L4_NAMES.get(ours["proto"]) if ours["sport"] is not None else None
        if outer_l4:
            self.ports(n, row, ours, 0, "outer")
        elif ours["fragment"] == "later":
            for l4 in ("tcp", "udp", "sctp"):  # no transport header in a later fragment
                self.check(n, f"later fragment {l4}.srcport", None,
                           self.nth(row, f"{l4}.srcport", 0))
        inner = ours["inner"]
        if inner is None or inner["l3"] not in ("ipv4", "ipv6"):
            return
        self.ip_layer(n, row, inner, 1 if inner["l3"] == ours["l3"] else 0, "inner")
        if inner["sport"] is not None and inner["proto"] in L4_NAMES:
            same = L4_NAMES[inner["proto"]] == outer_l4
            self.ports(n, row, inner, 1 if same else 0, "inner")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-gen", required=True)
    ap.add_argument("--inspect", required=True)
    ap.add_argument("--count", type=int, default=6000)
    ap.add_argument("--keep", help="directory to keep the corpus and outputs in")
    args = ap.parse_args()

    tshark = shutil.which("tshark")
    if tshark is None:
        sys.exit("FAIL: tshark is not installed; install it (apt-get install tshark, or run "
                 "tools/test as root, which installs it) -- this test never skips")

    with tempfile.TemporaryDirectory(prefix="inspect-vs-tshark-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        pcap = work / "corpus.pcap"
        run([args.corpus_gen, pcap, str(args.count)], work / "corpus.log")
        run([args.inspect, pcap], work / "inspect.jsonl")
        cmd = [tshark, "-n", "-r", pcap, "-o", "ip.defragment:FALSE",
               "-o", "ipv6.defragment:FALSE", "-T", "fields"]
        for f in FIELDS:
            cmd += ["-e", f]
        cmd += ["-E", "separator=/t", "-E", "occurrence=a"]
        run(cmd, work / "tshark.tsv")

        frames = [json.loads(line) for line in (work / "inspect.jsonl").read_text().splitlines()]
        rows = read_tshark(work / "tshark.tsv")
        if len(rows) != len(frames):
            sys.exit(f"FAIL: tshark read {len(rows)} frames, ingest-inspect {len(frames)}")
        cmp = Comparer()
        tunnels = 0
        for ours in frames:
            if ours["verdict"] == "ok":
                cmp.frame(ours, rows[ours["n"]])
                tunnels += ours["inner"] is not None

    print(f"corpus: {len(frames)} frames; compared {cmp.frames} frames ingest-inspect calls ok "
          f"({tunnels} tunnelled), {cmp.fields} fields; {len(cmp.disagreements)} disagreements")
    for d in cmp.disagreements[:40]:
        print("  " + d)
    if cmp.disagreements:
        return 1
    if cmp.frames < len(frames) // 2:
        print(f"FAIL: only {cmp.frames} of {len(frames)} frames parsed ok; the corpus is broken")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
