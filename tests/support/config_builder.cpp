// SPDX-License-Identifier: BSD-3-Clause
#include "config_builder.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ingestd::testing {
namespace {

void Set(YamlFields& fields, const std::string& key, std::string value) {
  const auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
  if (it != fields.end()) it->second = std::move(value);
  else fields.emplace_back(key, std::move(value));
}

std::string FlowList(const std::vector<std::string>& items) { return fmt::format("[{}]", fmt::join(items, ", ")); }

}  // namespace

const std::vector<std::string>& AllStages() {
  static const std::vector<std::string> stages{"rx", "parse", "process", "encode", "tx"};
  return stages;
}

PortYaml& PortYaml::Arg(std::string key, std::string value) {
  Set(args_, key, std::move(value));
  return *this;
}

PortYaml& PortYaml::Queues(unsigned rx, unsigned tx) {
  rx_queues_ = rx;
  tx_queues_ = tx;
  return *this;
}

PortYaml& PortYaml::RxQueues(unsigned rx) {
  rx_queues_ = rx;
  return *this;
}

PortYaml& PortYaml::Field(std::string key, std::string value) {
  Set(fields_, key, std::move(value));
  return *this;
}

void PortYaml::Emit(std::string& out) const {
  out += fmt::format("  - name: {}\n    device: {}\n", name_, device_);
  if (!args_.empty()) {
    out += "    args:\n";
    for (const auto& [k, v] : args_) out += fmt::format("      {}: {}\n", k, v);
  }
  if (rx_queues_) out += fmt::format("    rx_queues: {}\n", *rx_queues_);
  if (tx_queues_) out += fmt::format("    tx_queues: {}\n", *tx_queues_);
  for (const auto& [k, v] : fields_) out += fmt::format("    {}: {}\n", k, v);
}

ChainYaml& ChainYaml::RingSize(unsigned n) {
  ring_size_ = n;
  return *this;
}

ChainYaml& ChainYaml::RingPolicy(std::string policy) {
  ring_policy_ = std::move(policy);
  return *this;
}

ChainYaml& ChainYaml::Segment(unsigned lcore, std::optional<unsigned> cpu, std::vector<std::string> stages) {
  segments_.push_back({lcore, cpu, std::move(stages), {}, {}, {}});
  return *this;
}

ChainYaml& ChainYaml::Fanout(std::vector<unsigned> lcores, std::vector<unsigned> cpus,
                             std::vector<std::string> stages, std::vector<unsigned> weights) {
  SegmentYaml seg;
  seg.lcores = std::move(lcores);
  seg.cpus = std::move(cpus);
  seg.stages = std::move(stages);
  seg.weights = std::move(weights);
  segments_.push_back(std::move(seg));
  return *this;
}

ChainYaml& ChainYaml::Segments(Layout layout) {
  const std::vector<std::string>& all = AllStages();
  switch (layout) {
    case Layout::kRunToCompletion:
      return Segment(1);
    case Layout::kPipeline: {
      const auto cut = std::find(all.begin(), all.end(), "parse") + 1;
      Segment(1, std::nullopt, {all.begin(), cut});
      return Segment(2, 0, {cut, all.end()});
    }
    case Layout::kStagePerLcore:
      for (unsigned i = 0; i < all.size(); ++i) Segment(i + 1, i % 2 == 0 ? 1 : 0, {all[i]});
      return *this;
    case Layout::kFanout: {
      const auto cut = std::find(all.begin(), all.end(), "parse") + 1;
      Segment(1, 1, {all.begin(), cut});
      return Fanout({2, 3}, {0, 1}, {cut, all.end()});
    }
    case Layout::kFanoutKeepingShare: {
      const auto cut = std::find(all.begin(), all.end(), "parse") + 1;
      Segment(1, 1, {all.begin(), cut});
      return Fanout({1, 2}, {1, 0}, {cut, all.end()}, {1, 2});
    }
  }
  return *this;
}

void ChainYaml::Emit(std::string& out) const {
  out += fmt::format("    - rx: {}\n", FlowList(rx_));
  if (ring_size_) out += fmt::format("      ring_size: {}\n", *ring_size_);
  if (!ring_policy_.empty()) out += fmt::format("      ring_policy: {}\n", ring_policy_);
  out += "      segments:\n";
  const std::vector<SegmentYaml> one{SegmentYaml{}};
  for (const SegmentYaml& s : segments_.empty() ? one : segments_) {
    const std::string stages = FlowList(s.stages.empty() ? AllStages() : s.stages);
    if (!s.lcores.empty()) {
      const std::string cpus = s.cpus.empty() ? "" : fmt::format(", cpus: [{}]", fmt::join(s.cpus, ", "));
      const std::string weights =
          s.weights.empty() ? "" : fmt::format(", weights: [{}]", fmt::join(s.weights, ", "));
      out += fmt::format("        - {{lcores: [{}]{}{}, stages: {}}}\n", fmt::join(s.lcores, ", "), cpus, weights,
                         stages);
      continue;
    }
    const std::string cpu = s.cpu ? fmt::format(", cpu: {}", *s.cpu) : "";
    out += fmt::format("        - {{lcore: {}{}, stages: {}}}\n", s.lcore, cpu, stages);
  }
}

ConfigBuilder::ConfigBuilder(const std::string& file_prefix)
    : eal_{{"main_lcore", "0"}, {"memory_mb", "256"}, {"file_prefix", file_prefix}, {"hugepages", "auto"},
           {"log_level", "warning"}} {
  if (file_prefix.empty()) WithoutEal("file_prefix");
}

ConfigBuilder& ConfigBuilder::Eal(const std::string& key, std::string value) {
  Set(eal_, key, std::move(value));
  return *this;
}

ConfigBuilder& ConfigBuilder::WithoutEal(const std::string& key) {
  std::erase_if(eal_, [&](const auto& f) { return f.first == key; });
  return *this;
}

PortYaml& ConfigBuilder::Port(std::string name, std::string device) {
  return ports_.emplace_back(std::move(name), std::move(device));
}

PortYaml& ConfigBuilder::Port(PortYaml port) { return ports_.emplace_back(std::move(port)); }

ConfigBuilder& ConfigBuilder::Burst(unsigned burst) {
  burst_ = burst;
  return *this;
}

ConfigBuilder& ConfigBuilder::Mempool(unsigned mbufs, unsigned cache, std::string handler) {
  mempool_ = MempoolYaml{mbufs, cache, std::move(handler)};
  return *this;
}

ChainYaml& ConfigBuilder::Chain(std::vector<std::string> rx) { return chains_.emplace_back(std::move(rx)); }

ConfigBuilder& ConfigBuilder::Route(std::string from, std::string to) {
  routes_.emplace_back(std::move(from), std::move(to));
  return *this;
}

ConfigBuilder& ConfigBuilder::Section(std::string name, std::string body) {
  if (body.find('\n') == std::string::npos) sections_ += fmt::format("{}: {}\n", name, body);
  else sections_ += fmt::format("{}:\n{}", name, body);
  return *this;
}

ConfigBuilder& ConfigBuilder::Raw(std::string yaml) {
  sections_ += yaml;
  return *this;
}

std::string ConfigBuilder::Yaml() const {
  std::string out = "eal:\n";
  for (const auto& [k, v] : eal_) out += fmt::format("  {}: {}\n", k, v);
  out += "ports:\n";
  for (const PortYaml& p : ports_) p.Emit(out);
  out += "pipeline:\n";
  if (burst_) out += fmt::format("  burst: {}\n", *burst_);
  if (mempool_) {
    const std::string handler = mempool_->handler.empty() ? "" : ", handler: " + mempool_->handler;
    out += fmt::format("  mempool: {{mbufs: {}, cache: {}{}}}\n", mempool_->mbufs, mempool_->cache, handler);
  }
  out += "  chains:\n";
  for (const ChainYaml& c : chains_) c.Emit(out);
  out += "routes:\n";
  for (const auto& [from, to] : routes_) out += fmt::format("  - {{from: {}, to: {}}}\n", from, to);
  return out + sections_;
}

unsigned LineOf(const std::string& yaml, const std::string& needle) {
  const size_t at = yaml.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + static_cast<unsigned>(std::count(yaml.begin(), yaml.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

}  // namespace ingestd::testing
