// SPDX-License-Identifier: BSD-3-Clause
// Summing per-lcore blocks into the run's report.
#include "ingestd/stats/run_totals.hpp"

#include <fmt/format.h>

namespace ingestd::stats {

std::string DropSlotName(unsigned slot) {
  if (slot < kOtherDropBase) return fmt::format("malformed:{}", packet::kParseVerdictNames[slot]);
  return std::string(kOtherDropNames[slot - kOtherDropBase]);
}

void RunTotals::AddLcore(unsigned lcore, unsigned chain, std::string stages, const LcoreCounters& c) {
  LcoreTotals t;
  t.lcore = lcore;
  t.chain = chain;
  t.stages = std::move(stages);
  for (size_t i = 0; i < std::size(kLcoreCounterInfo); ++i) t.values[i] = (c.*kLcoreCounterInfo[i].member).Load();
  for (unsigned s = 0; s < kDropSlots; ++s) t.drops[s] = c.drops[s].Load();
  lcores.push_back(std::move(t));
}

uint64_t RunTotals::Sum(Counter LcoreCounters::*member) const {
  size_t index = 0;
  while (kLcoreCounterInfo[index].member != member) ++index;
  uint64_t n = 0;
  for (const LcoreTotals& l : lcores) n += l.values[index];
  return n;
}

uint64_t RunTotals::DropsAt(unsigned slot) const {
  uint64_t n = 0;
  for (const LcoreTotals& l : lcores) n += l.drops[slot];
  return n;
}

uint64_t RunTotals::Dropped() const {
  uint64_t n = 0;
  for (unsigned s = 1; s < kDropSlots; ++s) n += DropsAt(s);
  return n;
}

nlohmann::json RunTotals::ToJson() const {
  nlohmann::json drops = nlohmann::json::object();
  for (unsigned s = 1; s < kDropSlots; ++s) drops[DropSlotName(s)] = DropsAt(s);

  nlohmann::json ports_json = nlohmann::json::array();
  for (const PortTotals& p : ports) {
    ports_json.push_back({{"name", p.name},
                          {"rx_packets", p.rx_packets},
                          {"tx_packets", p.tx_packets},
                          {"rx_bytes", p.rx_bytes},
                          {"tx_bytes", p.tx_bytes},
                          {"imissed", p.imissed},
                          {"ierrors", p.ierrors},
                          {"oerrors", p.oerrors},
                          {"rx_nombuf", p.rx_nombuf}});
  }
  nlohmann::json lcores_json = nlohmann::json::array();
  for (const LcoreTotals& l : lcores) {
    nlohmann::json counters = nlohmann::json::object();
    for (size_t i = 0; i < std::size(kLcoreCounterInfo); ++i)
      counters[std::string(kLcoreCounterInfo[i].name)] = l.values[i];
    nlohmann::json lcore_drops = nlohmann::json::object();
    for (unsigned s = 1; s < kDropSlots; ++s)
      if (l.drops[s] != 0) lcore_drops[DropSlotName(s)] = l.drops[s];
    lcores_json.push_back({{"lcore", l.lcore},
                           {"chain", l.chain},
                           {"stages", l.stages},
                           {"counters", counters},
                           {"drops", lcore_drops}});
  }
  return {{"totals",
           {{"rx_packets", Received()},
            {"tx_packets", Transmitted()},
            {"dropped", Dropped()},
            {"drops", drops},
            {"mbufs_in_use", mbufs_in_use},
            {"mbufs_total", mbufs_total},
            {"conserved", Conserved()}}},
          {"ports", ports_json},
          {"lcores", lcores_json}};
}

std::string RunTotals::Summary() const {
  std::string out = fmt::format("packets: {} received, {} transmitted, {} dropped\n", Received(),
                                Transmitted(), Dropped());
  for (unsigned s = 1; s < kDropSlots; ++s)
    if (const uint64_t n = DropsAt(s)) out += fmt::format("  drop {:<36} {}\n", DropSlotName(s), n);
  for (const PortTotals& p : ports) {
    out += fmt::format(
        "port {:<12} rx {} pkts {} B, tx {} pkts {} B, imissed {}, rx_nombuf {}, errors {}/{}\n",
        p.name, p.rx_packets, p.rx_bytes, p.tx_packets, p.tx_bytes, p.imissed, p.rx_nombuf,
        p.ierrors, p.oerrors);
  }
  out += fmt::format("conservation: received {} = transmitted {} + dropped {}: {}\n", Received(),
                     Transmitted(), Dropped(), Conserved() ? "holds" : "VIOLATED");
  out += fmt::format("mbufs in use at exit: {} of {}{}\n", mbufs_in_use, mbufs_total,
                     mbufs_in_use ? " (LEAK)" : "");
  return out;
}

}  // namespace ingestd::stats
