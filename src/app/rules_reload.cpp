// SPDX-License-Identifier: BSD-3-Clause
// Live rule reload: validated off the data path, swapped in by generation (rte_rcu_qsbr).
#include "rules_reload.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "ingestd/log/log.hpp"
#include "ingestd/rules/rule_set.hpp"
#include "ingestd/stages/pipeline.hpp"
#include "ingestd/stats/collector.hpp"

namespace ingestd::app {
namespace {

/// Rules name ports by their index in the file: a reload may not renumber them.
std::string PortsDiffer(const std::vector<config::PortConfig>& running, const std::vector<config::PortConfig>& next) {
  if (running.size() != next.size())
    return fmt::format("the file now has {} ports, the running instance {}", next.size(), running.size());
  for (size_t i = 0; i < running.size(); ++i) {
    const config::PortConfig& a = running[i];
    const config::PortConfig& b = next[i];
    if (a.name != b.name || a.device != b.device || a.rx_queues != b.rx_queues || a.tx_queues != b.tx_queues)
      return fmt::format("port {} ('{}') changed", i + 1, a.name);
  }
  return {};
}

}  // namespace

RulesReloader::RulesReloader(std::string path, const config::RuntimeConfig& running, std::vector<unsigned> host_cpus,
                             stages::Pipeline& pipeline, stats::StatsCollector& collector)
    : path_(std::move(path)), running_(running), pipeline_(pipeline), collector_(collector) {
  load_options_.cpus = std::move(host_cpus);
  collector_.SetRuleReloads(pipeline_.RulesGeneration(), 0, 0);
}

bool RulesReloader::Refuse(const std::string& why) {
  ++refused_;
  collector_.SetRuleReloads(pipeline_.RulesGeneration(), applied_, refused_);
  log::Error("reload refused: {}; the rules in force stay", why);
  return false;
}

bool RulesReloader::Reload() {
  config::RuntimeConfig next;
  try {
    next = config::LoadConfig(path_, load_options_);
  } catch (const config::ConfigErrors& e) {
    for (const auto& err : e.errors()) log::Error("{}", err.what());
    return Refuse(fmt::format("{} error(s) in {}", e.errors().size(), path_));
  } catch (const config::ConfigError& e) {
    return Refuse(e.what());
  }
  if (std::string diff = PortsDiffer(running_.ports, next.ports); !diff.empty())
    return Refuse(diff + ": a reload applies rules only; restart ingestd to change ports");
  if (auto s = pipeline_.SwapRules(next.rules); !s.ok()) return Refuse(s.message());

  std::vector<std::string> names;
  for (const config::RuleConfig& r : next.rules) names.push_back(r.name);
  const std::vector<std::string> unlisted = collector_.ReplaceRules(names, pipeline_.RuleHits());
  pipeline_.FreeRetiredRules();
  ++applied_;
  collector_.SetRuleReloads(pipeline_.RulesGeneration(), applied_, refused_);
  log::Notice("rules reloaded from {}: {} rule(s), generation {}, compiled in {:.1f} ms", path_, next.rules.size(),
              pipeline_.RulesGeneration(), pipeline_.Rules() ? pipeline_.Rules()->build_us() / 1000.0 : 0.0);
  if (!unlisted.empty())
    log::Notice("{} new rule name(s) act but are not in the stats until a restart (its table is fixed at start), "
                "e.g. '{}'", unlisted.size(), unlisted.front());
  return true;
}

}  // namespace ingestd::app
