// SPDX-License-Identifier: BSD-3-Clause
// The flow table alone: TSC cycles per packet of Update (one rte_hash_lookup per packet)
// against UpdateBurst (one rte_hash_lookup_bulk per burst, entries prefetched), with every
// flow of a full table hit in turn, as a replayed capture of distinct flows does.
//   build/tests/bench/flow_table_bench [flows] [seconds] [--huge]
// --huge runs EAL on hugepages (reserve them first); without it, --no-huge.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "flow_table.hpp"
#include "ingestd/dataplane/eal.hpp"

namespace {

using ingestd::flows::FlowKey;
using ingestd::flows::FlowTable;
using ingestd::flows::FlowUpdate;

constexpr uint16_t kBurst = 32;

std::vector<FlowKey> Keys(uint32_t flows) {
  std::vector<FlowKey> keys(flows);
  std::mt19937 rng(7);
  for (uint32_t f = 0; f < flows; ++f) {
    FlowKey& k = keys[f];
    k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
    const uint32_t src = rng(), dst = rng();
    std::memcpy(k.src + 12, &src, 4);
    std::memcpy(k.dst + 12, &dst, 4);
    k.src_port = static_cast<uint16_t>(f);
    k.dst_port = static_cast<uint16_t>(f >> 16);
    k.proto = 17;
  }
  return keys;
}

/// Cycles per packet over `seconds` of bursts walking `keys` in order.
template <typename Step>
double Measure(const std::vector<FlowKey>& keys, double seconds, Step step) {
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t start = rte_rdtsc();
  const uint64_t end = start + static_cast<uint64_t>(seconds * static_cast<double>(hz));
  uint64_t packets = 0;
  size_t at = 0;
  for (uint64_t now = start; now < end; now = rte_rdtsc()) {
    if (at + kBurst > keys.size()) at = 0;
    step(&keys[at], now);
    at += kBurst;
    packets += kBurst;
  }
  return static_cast<double>(rte_rdtsc() - start) / static_cast<double>(packets);
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t flows = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 1u << 20;
  const double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 2.0;
  const bool huge = argc > 3 && std::strcmp(argv[3], "--huge") == 0;
  const std::string prefix = "--file-prefix=ingestd-flow-bench-" + std::to_string(getpid());
  const std::string memory = std::to_string(128 + flows * 256ull / (1 << 20));
  std::vector<std::string> args{"flow_table_bench", "--no-pci", "-l", "0", "-m", memory, "--log-level=error", prefix};
  if (!huge) args.push_back("--no-huge");
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "EAL init failed\n");
    return 1;
  }
  const std::vector<FlowKey> keys = Keys(flows);
  const FlowUpdate update{64, 50, 0};
  ingestd::stats::LcoreCounters c;
  const auto table = [&](const char* name) {
    std::unique_ptr<FlowTable> t;
    // Idle and active timeouts never reached: the table stays full of the same flows.
    const auto s = FlowTable::Create(name, flows, 1024, ~0ull >> 1, ~0ull >> 1, 0, t);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::exit(1);
    }
    return t;
  };
  double per_packet, burst;
  {
    auto t = table("bench_single");
    for (const FlowKey& k : keys) t->Update(k, 64, 50, 0, 1, c);  // fill: every later lookup hits
    per_packet = Measure(keys, seconds, [&](const FlowKey* k, uint64_t now) {
      for (uint16_t i = 0; i < kBurst; ++i) t->Update(k[i], 64, 50, 0, now, c);
    });
  }
  {
    auto t = table("bench_burst");
    for (const FlowKey& k : keys) t->Update(k, 64, 50, 0, 1, c);
    const std::vector<FlowUpdate> updates(kBurst, update);
    burst = Measure(keys, seconds, [&](const FlowKey* k, uint64_t now) { t->UpdateBurst(k, updates.data(), kBurst, now, c); });
  }
  std::printf("{\"flows\": %u, \"hugepages\": %s, \"update_cycles_per_packet\": %.1f, "
              "\"update_burst_cycles_per_packet\": %.1f, \"evictions\": %lu}\n",
              flows, huge ? "true" : "false", per_packet, burst,
              static_cast<unsigned long>(c.flow_evictions.Load()));
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  ingestd::dataplane::RemoveRuntimeFiles(runtime_dir);
  return 0;
}
