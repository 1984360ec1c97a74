#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# meson install into a temp destdir: every file lands where it should, the units name the
# installed paths, systemd-analyze verify accepts them, the installed tools answer --version.
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def under(destdir, path):
    """`path` (absolute, or relative to the prefix) inside `destdir`."""
    return pathlib.Path(destdir + str(path))


def main():
    ap = argparse.ArgumentParser()
    for opt in ("meson", "build-dir", "source-dir", "prefix", "bindir", "sysconfdir", "datadir", "unit-dir",
                "version"):
        ap.add_argument("--" + opt, required=True)
    a = ap.parse_args()
    prefix = pathlib.Path(a.prefix)
    bindir = prefix / a.bindir
    sysconfdir = prefix / a.sysconfdir
    datadir = prefix / a.datadir
    unit_dir = prefix / a.unit_dir

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("systemd-analyze not found: apt-get install systemd (tools/lib/setup.sh lists it)")
        return 1

    with tempfile.TemporaryDirectory(prefix="ingestd-install-") as destdir:
        r = subprocess.run([a.meson, "install", "-C", a.build_dir, "--no-rebuild", "--destdir", destdir],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "meson install --destdir exits 0" + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))

        tools = ["ingestd", "ingest-stats", "ingest-inspect", "ingest-gen"]
        for tool in tools:
            p = under(destdir, bindir / tool)
            check(p.is_file() and os.access(p, os.X_OK), f"{bindir / tool} installed, executable")

        example = under(destdir, sysconfdir / "ingestd" / "example.yaml")
        src = pathlib.Path(a.source_dir) / "configs" / "nic-two-port.yaml"
        check(example.is_file() and example.read_bytes() == src.read_bytes(),
              f"{sysconfdir}/ingestd/example.yaml is configs/nic-two-port.yaml")

        dash = under(destdir, datadir / "ingestd" / "grafana-dashboard.json")
        ok = dash.is_file()
        if ok:
            try:
                ok = "panels" in json.loads(dash.read_text())
            except ValueError:
                ok = False
        check(ok, f"{datadir}/ingestd/grafana-dashboard.json installed, a dashboard")

        check(str(unit_dir).endswith("lib/systemd/system"), f"unit dir {unit_dir} is a systemd system unit dir")
        units = ["ingestd@.service", "ingest-stats-exporter@.service"]
        texts = {}
        for unit in units:
            p = under(destdir, unit_dir / unit)
            check(p.is_file(), f"{unit_dir / unit} installed")
            texts[unit] = p.read_text() if p.is_file() else ""
            check("@bindir@" not in texts[unit] and "@sysconfdir@" not in texts[unit], f"{unit}: paths filled in")

        svc = texts["ingestd@.service"]
        config = f"{sysconfdir}/ingestd/%i.yaml"
        for line in (f"ExecStartPre={bindir}/ingestd --check-config -c {config}",
                     f"ExecStart={bindir}/ingestd -c {config} --file-prefix %i",
                     "Restart=on-failure", "After=network-pre.target dev-hugepages.mount",
                     "LimitMEMLOCK=infinity", "NoNewPrivileges=yes", "ProtectSystem=strict"):
            check(line in svc.splitlines(), f"ingestd@.service has {line}")
        exp = texts["ingest-stats-exporter@.service"]
        for line in (f"ExecStart={bindir}/ingest-stats --instance %i --serve ${{INGEST_STATS_LISTEN}}",
                     "Environment=INGEST_STATS_LISTEN=127.0.0.1:9469", "DynamicUser=yes",
                     "SupplementaryGroups=ingestd"):
            check(line in exp.splitlines(), f"ingest-stats-exporter@.service has {line}")

        # systemd-analyze verify checks that each Exec path is an executable: point the
        # units at the destdir's binaries, as an installed system would have them.
        verify_dir = pathlib.Path(destdir) / "verify"
        verify_dir.mkdir()
        for unit, text in texts.items():
            (verify_dir / unit).write_text(text.replace(f"={bindir}/", f"={destdir}{bindir}/"))
        instances = [str(verify_dir / u.replace("@.", "@demo.")) for u in units]
        r = subprocess.run([analyze, "verify"] + instances, capture_output=True, text=True, timeout=60)
        ours = [l for l in (r.stdout + r.stderr).splitlines() if any(u.split("@")[0] + "@" in l for u in units)]
        check(r.returncode == 0 and not ours,
              "systemd-analyze verify passes without a warning on either unit" +
              ("" if r.returncode == 0 and not ours else "\n" + r.stdout + r.stderr))
        r = subprocess.run([analyze, "verify", str(verify_dir / "ingestd@demo.service")], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 0, "verify of ingestd@demo.service alone passes")

        # The installed binaries run and say which version they are.
        for tool in ("ingestd", "ingest-stats", "ingest-inspect", "ingest-gen"):
            r = subprocess.run([str(under(destdir, bindir / tool)), "--version"], capture_output=True, text=True,
                               timeout=30)
            want = f"{tool} {a.version}"
            check(r.returncode == 0 and r.stdout.startswith(want), f"installed {tool} --version: {r.stdout.strip()!r}")

        # A negative control: verify must refuse a unit whose binary is missing.
        broken = verify_dir / "ingestd@.service"
        broken.write_text(svc.replace(f"={bindir}/ingestd", f"={destdir}{bindir}/no-such-ingestd"))
        r = subprocess.run([analyze, "verify", str(verify_dir / "ingestd@demo.service")], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode != 0, "verify refuses a unit whose ExecStart is missing (the check can fail)")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
