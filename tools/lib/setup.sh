# SPDX-License-Identifier: BSD-3-Clause
# Shared by tools/demo and tools/test: install what is missing, then build.
# Sourced, not run. Needs root only when a package must be installed.

# Build and run dependencies (Debian 12 package names).
INGESTD_PACKAGES=(
  dpdk libdpdk-dev meson ninja-build pkg-config g++
  dpdk-dev                        # dpdk-testpmd: the memif test's feeder, tools/bench's baseline
  libyaml-cpp-dev libtbb-dev libgtest-dev libgmock-dev libpcap-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev python3
  tshark                          # tests/inspect: ingest-inspect checked against it
  iproute2 tcpreplay tcpdump      # tests/integration/kernel_ports_test: netns, veth, replay, capture
  clang libclang-rt-14-dev        # tools/fuzz: libFuzzer, ASan and UBSan runtimes
  libcpp-httplib-dev              # ingest-stats --serve: the Prometheus scrape endpoint
  prometheus                      # tests: a real Prometheus server scrapes ingest-stats --serve
  nfdump pmacct                   # tests: IPFIX decoded by nfcapd/nfdump and nfacctd
  systemd                         # tests/install: systemd-analyze verify on the installed units; systemd.pc
)

# Each step line carries the seconds since the script started, so a slow step shows itself.
ingestd_log() { printf '\033[1m==> [%4ds] %s\033[0m\n' "$SECONDS" "$*"; }

# ingestd_ensure_packages PKG...: apt-get installs the ones not yet installed.
ingestd_ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}; run this as root (or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  ingestd_log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What tools/test and tools/fuzz configure their builds with: one translation unit per
# target (unity_size above any target's file count), so each target parses its headers once,
# and test code compiled for compile time (meson_options.txt: fast_test_code).
INGESTD_FAST_BUILD=(-Dunity=on -Dunity_size=64 -Dfast_test_code=true)

# ingestd_build DIR [meson options...] [-- targets...]: configure once (warnings are
# errors), then compile the targets (default: everything built by default).
ingestd_build() {
  local dir=$1
  shift
  local options=() targets=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
  [ $# -gt 0 ] && shift && targets=("$@")
  if [ ! -f "$dir/build.ninja" ]; then
    ingestd_log "configuring $dir"
    meson setup "$dir" -Dwerror=true "${options[@]}" >/dev/null
  fi
  ingestd_log "building $dir${targets:+ (${targets[*]})}"
  meson compile -C "$dir" "${targets[@]}" >/dev/null || meson compile -C "$dir" "${targets[@]}"
}
