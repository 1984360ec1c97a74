// SPDX-License-Identifier: BSD-3-Clause
// ConfigBuilder: the YAML config of a test run (eal, ports, chains, routes, sections) from
// defaults every test shares, so a new stage or key changes this file, not every test.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ingestd::testing {

/// Ordered `key: value` pairs; values are YAML text as written ("[a, b]", "\"no\"", "1").
using YamlFields = std::vector<std::pair<std::string, std::string>>;

/// The stages one lcore runs to take a packet from receive to transmit, in order.
const std::vector<std::string>& AllStages();

/// How a chain's stages are spread over lcores.
enum class Layout {
  kRunToCompletion,  // one lcore: rx..tx
  kPipeline,         // two lcores: rx..parse | process..tx
  kStagePerLcore,    // five lcores on two CPUs, a ring between every two stages
  kFanout,           // rx..parse on lcore 1, fanned out by flow over lcores 2 and 3 for the rest
  kFanoutKeepingShare,  // rx..parse on lcore 1, fanned out over lcores 1 (weight 1) and 2 (weight 2)
};

/// The layouts whose lcores transmit on two TX queues (a fan-out over two lcores).
inline bool TransmitsOnTwoQueues(Layout l) { return l == Layout::kFanout || l == Layout::kFanoutKeepingShare; }

struct SegmentYaml {
  unsigned lcore = 1;
  std::optional<unsigned> cpu;
  std::vector<std::string> stages;  // empty: AllStages()
  std::vector<unsigned> lcores;     // a fan-out (`lcores:`, `cpus:`) instead of `lcore`
  std::vector<unsigned> cpus;
  std::vector<unsigned> weights;    // a fan-out's `weights:` (empty: none written)
};

class PortYaml {
 public:
  PortYaml(std::string name, std::string device) : name_(std::move(name)), device_(std::move(device)) {}
  PortYaml& Arg(std::string key, std::string value);
  PortYaml& Queues(unsigned rx, unsigned tx);
  PortYaml& RxQueues(unsigned rx);
  /// Any other key of the port (encode, set_dst_mac, ...).
  PortYaml& Field(std::string key, std::string value);
  void Emit(std::string& out) const;

 private:
  std::string name_;
  std::string device_;
  YamlFields args_;
  std::optional<unsigned> rx_queues_;
  std::optional<unsigned> tx_queues_;
  YamlFields fields_;
};

class ChainYaml {
 public:
  explicit ChainYaml(std::vector<std::string> rx) : rx_(std::move(rx)) {}
  ChainYaml& RingSize(unsigned n);
  ChainYaml& RingPolicy(std::string policy);
  /// One segment; `stages` empty: every stage (a run-to-completion lcore).
  ChainYaml& Segment(unsigned lcore, std::optional<unsigned> cpu = std::nullopt,
                     std::vector<std::string> stages = {});
  /// One segment fanned out by flow over `lcores` (pinned to `cpus`, and with `weights`, when given).
  ChainYaml& Fanout(std::vector<unsigned> lcores, std::vector<unsigned> cpus, std::vector<std::string> stages,
                    std::vector<unsigned> weights = {});
  /// The segments of `layout` from lcore 1 on: run to completion on lcore 1; pipeline
  /// rx..parse on lcore 1 and the rest on lcore 2 (CPU 0); one stage per lcore on CPUs 1, 0, 1...;
  /// fan-out: rx..parse on lcore 1 (CPU 1), the rest on lcores 2 and 3 (CPUs 0 and 1); fan-out
  /// keeping a share: rx..parse on lcore 1 (CPU 1), the rest on lcore 1 for a third of the flows
  /// and lcore 2 (CPU 0) for two thirds.
  ChainYaml& Segments(Layout layout);
  void Emit(std::string& out) const;

 private:
  std::vector<std::string> rx_;
  std::optional<unsigned> ring_size_;
  std::string ring_policy_;
  std::vector<SegmentYaml> segments_;  // none: one run-to-completion lcore 1
};

/// A config's YAML text. Defaults: eal {main_lcore: 0, memory_mb: 256, file_prefix,
/// hugepages: auto, log_level: warning}; pipeline keys only where set; a chain without
/// segments is one run-to-completion lcore 1. Ports, chains and routes come out in the
/// order they were added, then the sections.
class ConfigBuilder {
 public:
  /// `file_prefix` empty: no eal.file_prefix (a config that only --check-config reads).
  explicit ConfigBuilder(const std::string& file_prefix);

  /// Sets (or adds) eal.`key`; Without removes it.
  ConfigBuilder& Eal(const std::string& key, std::string value);
  ConfigBuilder& WithoutEal(const std::string& key);
  /// The returned reference stays valid while the builder lives.
  PortYaml& Port(std::string name, std::string device);
  PortYaml& Port(PortYaml port);
  size_t PortCount() const { return ports_.size(); }
  ConfigBuilder& Burst(unsigned burst);
  /// `handler` empty: the key left out (the default handler).
  ConfigBuilder& Mempool(unsigned mbufs, unsigned cache = 256, std::string handler = "");
  /// `rx`: port names, or "\"port:queue\"" (quoted: a colon in a flow list).
  ChainYaml& Chain(std::vector<std::string> rx);
  ConfigBuilder& Route(std::string from, std::string to);
  /// A top-level section after routes: `body` on one line is a flow value
  /// ("{period_ms: 10}"); with newlines, indented block lines ("  - {name: r1, ...}\n").
  ConfigBuilder& Section(std::string name, std::string body);
  /// Top-level YAML appended as is (a section a caller already has as text).
  ConfigBuilder& Raw(std::string yaml);

  std::string Yaml() const;

 private:
  YamlFields eal_;
  std::deque<PortYaml> ports_;
  std::optional<unsigned> burst_;
  struct MempoolYaml {
    unsigned mbufs, cache;
    std::string handler;
  };
  std::optional<MempoolYaml> mempool_;
  std::deque<ChainYaml> chains_;
  std::vector<std::pair<std::string, std::string>> routes_;
  std::string sections_;
};

/// The 1-based line of `yaml` where `needle` first starts (0: absent): where a test expects
/// a config error to point.
unsigned LineOf(const std::string& yaml, const std::string& needle);

}  // namespace ingestd::testing
