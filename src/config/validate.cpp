// SPDX-License-Identifier: BSD-3-Clause
// Checks that span sections: lcores and CPUs, stage coverage, the port map, mempool sizing.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "diagnostics.hpp"
#include "ingestd/limits.hpp"
#include "loader.hpp"

namespace ingestd::config::internal {
namespace {

// Largest frame an MTU allows on the wire: Ethernet header (14) + two VLAN
// tags (8) + CRC (4). The CRC may be kept by the NIC, so it counts.
constexpr uint64_t kFrameOverhead = 26;
// RTE_PKTMBUF_HEADROOM in Debian's DPDK build: data starts this far into the buffer.
constexpr uint64_t kHeadroom = 128;
// sizeof(struct rte_mbuf): the header every mbuf carries besides its data room.
constexpr uint64_t kMbufHeader = 128;
// An MTU the config leaves unset stays at the device default (RTE_ETHER_MTU).
constexpr uint64_t kDefaultMtu = 1500;
constexpr uint64_t kMaxMbufs = 16777215;

class Validator {
 public:
  Validator(const Parsed& p, const std::vector<unsigned>& cpus, Diagnostics& diag)
      : p_(p), cfg_(p.cfg), cpus_(cpus), diag_(diag) {}

  void Run() {
    CheckLcores();
    CheckStageCoverage();
    CheckFanout();
    CheckPolling();
    CheckQueuesPerChain();
    CheckRoutes();
    CheckRules();
    CheckMbufFitsFrame();
    CheckCache();
    // The sums count ports, segments and rings: only meaningful on a clean file.
    if (diag_.count() == 0) CheckPoolSize();
  }

 private:
  bool HasCpu(unsigned cpu) const { return std::binary_search(cpus_.begin(), cpus_.end(), cpu); }

  void CheckLcores() {
    const EalConfig& eal = cfg_.eal;
    const std::string available = FormatCpuList(cpus_);
    if (p_.eal_ok && !HasCpu(eal.main_cpu)) {
      if (!p_.main_cpu_given) {
        diag_.Error(p_.main_cpu,
                    fmt::format("the main lcore would be pinned to CPU {} (main_cpu defaults to "
                                "main_lcore), which this host does not have (available: {})",
                                eal.main_cpu, available),
                    fmt::format("set eal.main_cpu to one of {}", available));
      } else {
        diag_.Error(p_.main_cpu,
                    fmt::format("main_cpu {} is not available on this host (available: {})",
                                eal.main_cpu, available));
      }
    }

    struct Owner {
      size_t chain;
      size_t segment;
      Mark at;
    };
    std::map<unsigned, Owner> owners;
    for (size_t c = 0; c < cfg_.pipeline.chains.size(); ++c) {
      const ChainConfig& chain = cfg_.pipeline.chains[c];
      for (size_t s = 0; s < chain.segments.size(); ++s) {
        const SegmentConfig& seg = chain.segments[s];
        const SegmentMarks& sm = p_.chains[c].segments[s];
        // The lcore before a fan-out may run its first replica too (it keeps that share).
        if (!chain.OwnsLcore(s)) continue;
        if (p_.eal_ok && seg.lcore == eal.main_lcore) {
          diag_.Error(sm.lcore,
                      fmt::format("lcore {} is the main lcore, which never runs a stage",
                                  seg.lcore),
                      "give each segment a worker lcore of its own");
        } else if (auto it = owners.find(seg.lcore); it != owners.end()) {
          diag_.Error(sm.lcore,
                      fmt::format("lcore {} already runs segment {} of chain {} (line {})",
                                  seg.lcore, it->second.segment, it->second.chain,
                                  it->second.at.line),
                      "each segment needs an lcore of its own (but a fan-out's first lcore may be the "
                      "lcore of the segment before it, which then keeps that share)");
        } else {
          owners.emplace(seg.lcore, Owner{c, s, sm.lcore});
        }
        if (!sm.cpu_ok || HasCpu(seg.cpu)) continue;
        if (sm.cpu_given) {
          diag_.Error(sm.cpu,
                      fmt::format("cpu {} is not available on this host (available: {})",
                                  seg.cpu, available));
        } else {
          diag_.Error(sm.cpu,
                      fmt::format("lcore {} would be pinned to CPU {} (cpu defaults to the lcore "
                                  "id), which this host does not have (available: {})",
                                  seg.lcore, seg.cpu, available),
                      fmt::format("add 'cpu:' with one of {}", available));
        }
      }
    }
  }

  void CheckStageCoverage() {
    for (size_t c = 0; c < cfg_.pipeline.chains.size(); ++c) {
      const ChainConfig& chain = cfg_.pipeline.chains[c];
      if (!p_.chains[c].stages_ok || chain.segments.empty()) continue;
      const std::string order(kStageOrder);
      const SegmentConfig& first = chain.segments.front();
      if (first.first != Stage::kRx) {
        diag_.Error(first.mark,
                    fmt::format("chain {} starts at stage '{}': its first segment must start "
                                "with 'rx'",
                                c, StageName(first.first)),
                    order);
      }
      // A fan-out's replicas share their stages: each segment is checked once, by its first lcore.
      size_t prev_head = 0;
      for (size_t s = 1; s < chain.segments.size(); ++s) {
        if (chain.segments[s].replica != 0) continue;
        const SegmentConfig& prev = chain.segments[std::exchange(prev_head, s)];
        const SegmentConfig& seg = chain.segments[s];
        if (prev.last == Stage::kTx) {
          diag_.Error(seg.mark,
                      fmt::format("segment {} of chain {} comes after 'tx', which ends the chain",
                                  s, c),
                      order);
          break;
        }
        const auto expected = static_cast<Stage>(static_cast<unsigned>(prev.last) + 1);
        if (seg.first > expected) {
          diag_.Error(seg.mark,
                      fmt::format("segment {} of chain {} starts at '{}' but segment {} ends at "
                                  "'{}': no segment runs '{}'",
                                  s, c, StageName(seg.first), s - 1, StageName(prev.last),
                                  StageName(expected)),
                      order);
        } else if (seg.first < expected) {
          diag_.Error(seg.mark,
                      fmt::format("segment {} of chain {} starts at '{}', which segment {} "
                                  "already runs",
                                  s, c, StageName(seg.first), s - 1),
                      order);
        }
      }
      const SegmentConfig& last = chain.segments.back();
      if (last.last != Stage::kTx) {
        diag_.Error(last.mark,
                    fmt::format("chain {} ends at stage '{}': its last segment must end with "
                                "'tx'",
                                c, StageName(last.last)),
                    order);
      }
    }
  }

  // A fan-out is fed by the segment before it, which picks each packet's lcore by a
  // hash of its parsed addresses and ports, and each of its lcores transmits itself.
  void CheckFanout() {
    for (size_t c = 0; c < cfg_.pipeline.chains.size(); ++c) {
      const ChainConfig& chain = cfg_.pipeline.chains[c];
      if (!p_.chains[c].stages_ok) continue;
      for (size_t s = 0; s < chain.segments.size(); ++s) {
        const SegmentConfig& seg = chain.segments[s];
        if (seg.replica != 0 || seg.replicas == 1) continue;
        if (s == 0 || chain.segments[s - 1].last < Stage::kParse) {
          diag_.Error(seg.mark,
                      fmt::format("chain {} fans out at stage '{}' before anything has parsed the packets",
                                  c, StageName(seg.first)),
                      "fan out after parse (stages: [rx, parse] on one lcore, then lcores: [..] for the "
                      "rest): packets are spread by a hash of their parsed addresses and ports");
        }
        if (seg.last != Stage::kTx) {
          diag_.Error(seg.mark,
                      fmt::format("chain {}: a segment on several lcores must run to 'tx' (it ends at '{}')",
                                  c, StageName(seg.last)),
                      "each lcore of a fan-out transmits on a TX queue of its own; give it the stages up to tx");
        }
      }
    }
  }

  // Every RX queue is polled by exactly one chain: an unpolled queue fills
  // up unseen, and two pollers would race on a queue that is not thread safe.
  void CheckPolling() {
    std::map<std::pair<uint16_t, uint16_t>, size_t> poller;
    std::set<std::pair<int, int>> reported;
    for (size_t c = 0; c < cfg_.pipeline.chains.size(); ++c) {
      const ChainConfig& chain = cfg_.pipeline.chains[c];
      for (size_t i = 0; i < chain.rx.size(); ++i) {
        const RxQueueRef& ref = chain.rx[i];
        const Mark at = p_.chains[c].rx[i];
        auto [it, fresh] = poller.emplace(std::make_pair(ref.port, ref.queue), c);
        if (fresh || !reported.insert({at.line, at.column}).second) continue;
        const std::string& name = cfg_.ports[ref.port].name;
        if (it->second == c) {
          diag_.Error(at, fmt::format("port '{}' queue {} is listed twice in chain {}", name,
                                      ref.queue, c));
        } else {
          diag_.Error(at,
                      fmt::format("port '{}' queue {} is already polled by chain {}", name,
                                  ref.queue, it->second),
                      fmt::format("each RX queue is polled by exactly one chain; split the port "
                                  "by queue, e.g. '{}:0' and '{}:1'",
                                  name, name));
        }
      }
    }
    if (!p_.chains_ok) return;
    for (size_t pi = 0; pi < cfg_.ports.size(); ++pi) {
      const PortConfig& port = cfg_.ports[pi];
      if (!p_.ports[pi].ok || port.rx_queues == 0) continue;
      std::vector<uint16_t> missing;
      for (uint16_t q = 0; q < port.rx_queues; ++q) {
        if (!poller.contains({static_cast<uint16_t>(pi), q})) missing.push_back(q);
      }
      if (missing.size() == port.rx_queues) {
        diag_.Error(port.mark, fmt::format("port '{}' is polled by no chain", port.name),
                    fmt::format("frames would pile up unseen: add '{}' to a chain's rx list, or "
                                "set rx_queues: 0 for an output-only port",
                                port.name));
        continue;
      }
      for (uint16_t q : missing) {
        diag_.Error(port.mark,
                    fmt::format("port '{}' queue {} is polled by no chain", port.name, q),
                    fmt::format("frames would pile up unseen: add '{}:{}' to a chain's rx list",
                                port.name, q));
      }
    }
  }

  void CheckRoutes() {
    const std::vector<RouteConfig>& routes = cfg_.routes;
    for (size_t r = 0; r < routes.size(); ++r) {
      for (size_t e = 0; e < r; ++e) {
        const RouteConfig& a = routes[e];
        const RouteConfig& b = routes[r];
        if (a.in_port != b.in_port) continue;
        if (a.in_queue && b.in_queue && *a.in_queue != *b.in_queue) continue;
        if (a.in_queue == b.in_queue) {
          diag_.Error(p_.routes[r].from,
                      fmt::format("duplicate route from '{}'", RefName(b)),
                      fmt::format("it is first routed at line {}", p_.routes[e].from.line));
        } else {
          diag_.Error(p_.routes[r].from,
                      fmt::format("route from '{}' overlaps the route from '{}' at line {}",
                                  RefName(b), RefName(a), p_.routes[e].from.line),
                      "a bare port name routes every queue of the port");
        }
        break;
      }
    }

    if (p_.routes_ok) {
      for (size_t pi = 0; pi < cfg_.ports.size(); ++pi) {
        const PortConfig& port = cfg_.ports[pi];
        if (!p_.ports[pi].ok || port.rx_queues == 0) continue;
        std::vector<uint16_t> missing;
        for (uint16_t q = 0; q < port.rx_queues; ++q) {
          const bool routed = std::any_of(routes.begin(), routes.end(), [&](const RouteConfig& rt) {
            return rt.in_port == pi && (!rt.in_queue || *rt.in_queue == q);
          });
          if (!routed) missing.push_back(q);
        }
        if (missing.size() == port.rx_queues) {
          diag_.Error(port.mark, fmt::format("port '{}' has no route", port.name),
                      fmt::format("add a route such as '- {{from: {}, to: drop}}'", port.name));
          continue;
        }
        for (uint16_t q : missing) {
          diag_.Error(port.mark, fmt::format("port '{}' queue {} has no route", port.name, q),
                      fmt::format("add '- {{from: \"{}:{}\", to: ...}}', or route the whole "
                                  "port with 'from: {}'",
                                  port.name, q, port.name));
        }
      }
    }

    // Every transmitting lcore has a TX queue of its own on whatever port it sends to:
    // chain by chain, one per lcore of the chain's last segment.
    size_t chains = 0;
    for (const ChainConfig& chain : cfg_.pipeline.chains)
      chains += chain.segments.empty() ? 1 : chain.segments.back().replicas;
    chains = std::max(chains, p_.chain_count);
    std::set<uint16_t> outputs;
    for (const RouteConfig& rt : routes)
      if (rt.out_port != kDropRoute) outputs.insert(rt.out_port);
    for (const RuleConfig& rule : cfg_.rules) {
      if (rule.action.forward) outputs.insert(*rule.action.forward);
      if (rule.action.mirror) outputs.insert(*rule.action.mirror);
      outputs.insert(rule.action.balance.begin(), rule.action.balance.end());
    }
    for (const uint16_t out : outputs) {
      const PortConfig& port = cfg_.ports[out];
      if (!p_.ports[out].ok || port.tx_queues >= chains) continue;
      diag_.Error(p_.ports[out].tx_queues,
                  fmt::format("port '{}' has {} TX queue{} but {} lcores transmit to it (each "
                              "transmitting lcore has a TX queue of its own)",
                              port.name, port.tx_queues, port.tx_queues == 1 ? "" : "s", chains),
                  fmt::format("set tx_queues: {} on port '{}'", chains, port.name));
    }
  }

  // A mirror copy shares its original's bytes (an indirect mbuf), so a port that
  // rewrites Ethernet addresses would rewrite both: refuse rather than corrupt.
  void CheckRules() {
    for (const RuleConfig& rule : cfg_.rules) {
      const Mark at{rule.line, rule.column};
      if (rule.match.in_port && cfg_.ports[*rule.match.in_port].rx_queues == 0) {
        diag_.Error(at, fmt::format("rule '{}' matches input port '{}', which receives nothing (rx_queues: 0)",
                                    rule.name, cfg_.ports[*rule.match.in_port].name));
      }
      if (!rule.action.mirror) continue;
      std::vector<uint16_t> touched(rule.action.balance);
      touched.push_back(*rule.action.mirror);
      if (rule.action.forward) touched.push_back(*rule.action.forward);
      for (const uint16_t port : touched) {
        const PortConfig& p = cfg_.ports[port];
        if (!p.set_src_mac && !p.set_dst_mac && !p.encode.Any()) continue;
        diag_.Error(at, fmt::format("rule '{}' mirrors to or beside port '{}', which rewrites frames (MAC "
                                    "addresses or encode): the mirror shares the original's bytes, so both would change",
                                    rule.name, p.name),
                    fmt::format("remove set_src_mac/set_dst_mac/encode from port '{}', or mirror elsewhere", p.name));
      }
    }
  }

  // A chain's RX segment cycles through a fixed table of its queues.
  void CheckQueuesPerChain() {
    for (size_t c = 0; c < cfg_.pipeline.chains.size(); ++c) {
      const ChainConfig& chain = cfg_.pipeline.chains[c];
      if (chain.rx.size() <= kMaxRxQueuesPerChain) continue;
      // The entry that takes the chain past the limit.
      diag_.Error(p_.chains[c].rx[kMaxRxQueuesPerChain],
                  fmt::format("chain {} polls {} RX queues, more than the {} one chain can poll", c,
                              chain.rx.size(), kMaxRxQueuesPerChain),
                  fmt::format("split the queues over more chains (a port by queue, e.g. 'name:0'); each "
                              "chain polls at most {}",
                              kMaxRxQueuesPerChain));
    }
  }

  std::string RefName(const RouteConfig& rt) const {
    const std::string& name = cfg_.ports[rt.in_port].name;
    return rt.in_queue ? fmt::format("{}:{}", name, *rt.in_queue) : name;
  }

  void CheckCache() {
    const MempoolConfig& mp = cfg_.pipeline.mempool;
    if (p_.pipeline_ok && uint64_t{mp.cache} * 3 > uint64_t{mp.mbufs} * 2) {
      // DPDK refuses a cache whose flush threshold (1.5 x size) exceeds the pool.
      diag_.Error(p_.cache,
                  fmt::format("cache {} is too large for {} mbufs: DPDK needs cache x 1.5 <= "
                              "mbufs",
                              mp.cache, mp.mbufs),
                  fmt::format("lower cache to at most {} or raise mbufs",
                              uint64_t{mp.mbufs} * 2 / 3));
    }
  }

  // Frames are received without scatter: one mbuf must hold the largest.
  void CheckMbufFitsFrame() {
    const MempoolConfig& mp = cfg_.pipeline.mempool;
    if (!p_.pipeline_ok) return;
    const std::string why = "mtu + 26 for the Ethernet header, 2 VLAN tags and CRC, + 128 headroom";
    std::vector<std::string> defaulted;  // ports left at the device default MTU
    for (size_t pi = 0; pi < cfg_.ports.size(); ++pi) {
      const PortConfig& port = cfg_.ports[pi];
      if (!p_.ports[pi].ok) continue;
      const uint64_t needed = port.mtu.value_or(kDefaultMtu) + kFrameOverhead + kHeadroom;
      if (needed <= mp.data_room) continue;
      if (!port.mtu) {
        defaulted.push_back(port.name);
        continue;
      }
      std::string hint = fmt::format("raise pipeline.mempool.data_room to {}", needed);
      if (mp.data_room >= 68 + kFrameOverhead + kHeadroom) {
        hint += fmt::format(", or lower mtu to {}", mp.data_room - kFrameOverhead - kHeadroom);
      }
      diag_.Error(p_.ports[pi].mtu,
                  fmt::format("mtu {} does not fit one mbuf: it needs a data_room of {} ({}), "
                              "pipeline.mempool.data_room is {}",
                              *port.mtu, needed, why, mp.data_room),
                  hint);
    }
    if (!defaulted.empty()) {
      const uint64_t needed = kDefaultMtu + kFrameOverhead + kHeadroom;
      diag_.Error(p_.data_room,
                  fmt::format("data_room {} cannot hold a full frame at the default mtu {} "
                              "(ports {}): it needs {} ({})",
                              mp.data_room, kDefaultMtu, JoinNames(defaulted), needed, why),
                  fmt::format("raise data_room to {}, or set a smaller mtu on those ports", needed));
    }
  }

  void CheckPoolSize() {
    const MempoolConfig& mp = cfg_.pipeline.mempool;
    uint64_t descriptors = 0;
    for (const PortConfig& port : cfg_.ports) {
      descriptors += uint64_t{port.rx_queues} * port.rx_desc + uint64_t{port.tx_queues} * port.tx_desc;
    }
    uint64_t rings = 0;
    uint64_t workers = 0;
    for (const ChainConfig& chain : cfg_.pipeline.chains) {
      for (size_t s = 0; s < chain.segments.size(); ++s) {
        if (!chain.OwnsLcore(s)) continue;
        ++workers;
        if (s > 0) rings += chain.ring_size;
      }
    }
    // Each lcore cache can hold up to 1.5 x its size before it flushes; the
    // main lcore frees mbufs too (draining at shutdown).
    const uint64_t caches = (workers + 1) * ((uint64_t{mp.cache} * 3 + 1) / 2);
    // A burst in hand on RX and one on TX per worker.
    const uint64_t bursts = workers * 2 * cfg_.pipeline.burst;
    const uint64_t required = descriptors + rings + caches + bursts;
    if (mp.mbufs < required) {
      uint64_t best = 1;
      while (best - 1 < required) best <<= 1;
      std::string hint = required > kMaxMbufs
                             ? fmt::format("the pool cannot exceed {} mbufs: use fewer queues, "
                                           "descriptors or segments",
                                           kMaxMbufs)
                             : fmt::format("raise pipeline.mempool.mbufs to at least {} (2^k - 1 "
                                           "is best for the mempool: {})",
                                           required, std::min(best - 1, kMaxMbufs));
      diag_.Error(mp.mark,
                  fmt::format("mempool of {} mbufs is too small: at least {} are needed (port "
                              "descriptors {} + rings {} + lcore caches {} + bursts {})",
                              mp.mbufs, required, descriptors, rings, caches, bursts),
                  hint);
      return;
    }

    // A lower bound (no private area, no mempool object header): if even
    // this does not fit, EAL will certainly fail to create the pool.
    const uint64_t pool_bytes = uint64_t{mp.mbufs} * (mp.data_room + kMbufHeader);
    const uint64_t memory_bytes = uint64_t{cfg_.eal.memory_mb} << 20;
    if (pool_bytes > memory_bytes) {
      const uint64_t pool_mb = (pool_bytes + (1 << 20) - 1) >> 20;
      diag_.Error(p_.memory_mb,
                  fmt::format("memory_mb {} cannot hold the mempool: {} mbufs x {} bytes need at "
                              "least {} MiB",
                              cfg_.eal.memory_mb, mp.mbufs, mp.data_room + kMbufHeader, pool_mb),
                  fmt::format("raise eal.memory_mb well above {}: EAL needs memory of its own",
                              pool_mb));
    }
  }

  const Parsed& p_;
  const RuntimeConfig& cfg_;
  const std::vector<unsigned>& cpus_;
  Diagnostics& diag_;
};

}  // namespace

void Validate(const Parsed& parsed, const std::vector<unsigned>& cpus, Diagnostics& diag) {
  std::vector<unsigned> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  Validator(parsed, sorted, diag).Run();
}

}  // namespace ingestd::config::internal
