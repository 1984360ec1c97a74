// SPDX-License-Identifier: BSD-3-Clause
// YAML -> typed config: types, ranges, names and references, each error at its line:col.
#include <grp.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "diagnostics.hpp"
#include "encode_loader.hpp"
#include "ingestd/limits.hpp"
#include "capture_loader.hpp"
#include "flows_loader.hpp"
#include "loader.hpp"
#include "rules_loader.hpp"
#include "yaml_reader.hpp"

namespace ingestd::config::internal {
namespace {

constexpr uint64_t kMaxLcore = kMaxLcores - 1;
// sched_setaffinity's CPU_SETSIZE.
constexpr uint64_t kMaxCpu = 1023;

const std::vector<std::string> kTopKeys = {"eal",   "ports",   "pipeline", "routes", "rules",
                                           "flows", "capture", "stats",    "parse"};
const std::vector<std::string> kParseKeys = {"vlan_depth", "verify_ipv4_checksum", "tunnels",
                                             "vxlan_port", "geneve_port", "gtpu_port"};
// In TunnelBits order: bit i is kTunnelNames[i].
const std::vector<std::string> kTunnelNames = {"vxlan", "geneve", "gre", "ipip", "ip6ip", "gtpu"};
const std::vector<std::string> kStatsKeys = {"period_ms", "stage_timing_every", "instance", "group"};
const std::vector<std::string> kEalKeys = {"main_lcore", "main_cpu",  "memory_mb",    "file_prefix",
                                           "hugepages",  "log_level", "base_virtaddr"};
const std::vector<std::string> kPortKeys = {"name",    "device",  "args",        "rx_queues",
                                            "tx_queues", "rx_desc", "tx_desc",     "mtu",
                                            "promiscuous", "set_src_mac", "set_dst_mac", "encode"};
const std::vector<std::string> kPipelineKeys = {"burst", "tx_retries", "mempool", "chains"};
const std::vector<std::string> kMempoolKeys = {"mbufs", "cache", "handler", "data_room", "clones"};
const std::vector<std::string> kMempoolHandlers = {"default", "stack"};
const std::vector<std::string> kChainKeys = {"rx", "ring_size", "ring_policy", "segments"};
const std::vector<std::string> kSegmentKeys = {"lcore", "cpu", "lcores", "cpus", "weights", "stages"};
const std::vector<std::string> kRouteKeys = {"from", "to"};

const std::vector<std::string> kHugepageModes = {"auto", "require", "off"};
const std::vector<std::string> kLogLevels = {"emerg",   "alert",  "crit", "error",
                                             "warning", "notice", "info", "debug"};
const std::vector<std::string> kRingPolicies = {"drop", "backpressure"};
const std::vector<std::string> kStageNameList(kStageNames, kStageNames + kStageCount);

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// [A-Za-z][A-Za-z0-9_-]{0,31}
bool IsPortName(std::string_view s) {
  if (s.empty() || s.size() > 32 || !(IsLower(s[0]) || IsUpper(s[0]))) return false;
  for (char c : s) {
    if (!(IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

// [a-z][a-z0-9_]*
bool IsDriverName(std::string_view s) {
  if (s.empty() || !IsLower(s[0])) return false;
  for (char c : s) {
    if (!(IsLower(c) || IsDigit(c) || c == '_')) return false;
  }
  return true;
}

// [a-z][a-z0-9_-]*, not ending in '-': some drivers' keys have dashes
// (net_memif's socket-abstract, zero-copy).
bool IsArgKey(std::string_view s) {
  if (s.empty() || !IsLower(s[0]) || s.back() == '-') return false;
  for (char c : s) {
    if (!(IsLower(c) || IsDigit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

// net_ followed by a driver name and instance: net_pcap0, net_af_packet1.
bool IsVdevName(std::string_view s) {
  return s.size() > 4 && s.starts_with("net_") && IsDriverName(s.substr(4));
}

// DDDD:BB:DD.F or BB:DD.F; returns the full lowercase form DPDK names ports by.
std::optional<std::string> NormalizePci(std::string_view s) {
  std::string full(s.size() == 7 ? "0000:" : "");
  full += s;
  if (full.size() != 12) return std::nullopt;
  for (size_t i = 0; i < full.size(); ++i) {
    const char c = full[i];
    if (i == 4 || i == 7) {
      if (c != ':') return std::nullopt;
    } else if (i == 10) {
      if (c != '.') return std::nullopt;
    } else if (i == 11) {
      if (c < '0' || c > '7') return std::nullopt;
    } else if (!IsHex(c)) {
      return std::nullopt;
    }
  }
  for (char& c : full) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  return full;
}

// Why `v` cannot be handed to DPDK as one argument, or nullopt if it can.
// Values travel as single argv items, but EAL re-splits device strings
// ("net_pcap0,k=v,k=v") and reads leading dashes as options.
std::optional<std::string> UnsafeReason(std::string_view v) {
  if (v.empty()) return "it is empty";
  for (char c : v) {
    if (c == '\0') return "a NUL byte would cut the argument short";
    if (c == ',') return "a ',' would add a device argument";
    if (c == '=') return "a '=' would end the value early (DPDK splits key=value pairs on '=')";
    if (c == ';') return "a ';' separates sections of a DPDK device string";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "control characters (tab, newline, ...) are not allowed";
    }
  }
  if (v.front() == '-') return "a leading '-' would be read as an option";
  if (v.front() == '[') return "a leading '[' starts a DPDK list value";
  return std::nullopt;
}


/// "port:queue" or "port", as written in chains' rx lists and routes' from.
struct QueueRef {
  uint16_t port = 0;
  std::optional<uint16_t> queue;
};

class Loader : ValueReader {
 public:
  Loader(Diagnostics& diag, std::filesystem::path base_dir, Parsed& out)
      : ValueReader(diag), base_dir_(std::move(base_dir)), out_(out) {}

  void Run(const YAML::Node& root) {
    out_.root = MarkOf(root);
    if (!out_.root.line) out_.root = {1, 1};
    if (root.IsNull() || !root.IsDefined()) {
      diag_.Error({1, 1}, "the file is empty", "a config needs ports, pipeline and routes");
      return;
    }
    MapReader r(diag_, root, "the configuration", kTopKeys, out_.root);
    if (!r.is_map()) return;
    ParseEal(r.Get("eal"));
    ParsePorts(r.Require("ports", "at the top level"));
    ParsePipeline(r.Require("pipeline", "at the top level"));
    ParseRoutes(r.Require("routes", "at the top level"));
    if (const Field* f = r.Get("rules")) {
      LoadRules(*f, diag_, [this](const std::string& name, Mark at, std::string_view what) {
        return PortByName(name, at, what);
      }, out_.cfg.rules);
    }
    if (const Field* f = r.Get("flows")) LoadFlows(*f, diag_, base_dir_, out_.cfg.flows);
    if (const Field* f = r.Get("capture")) LoadCapture(*f, diag_, base_dir_, out_.cfg.capture);
    ParseStats(r.Get("stats"));
    ParseParser(r.Get("parse"));
    r.Finish("at the top level");
  }

 private:
  // --- sections ---

  void ParseEal(const Field* field) {
    const size_t before = diag_.count();
    EalConfig& eal = out_.cfg.eal;
    out_.main_lcore = out_.main_cpu = out_.memory_mb = out_.root;
    // "eal:" with every line commented out means "all defaults".
    if (field != nullptr && !field->value.IsNull()) {
      MapReader r(diag_, field->value, "eal", kEalKeys, field->at);
      if (r.is_map()) {
        out_.main_lcore = out_.main_cpu = out_.memory_mb = field->at;
        if (const Field* f = r.Get("main_lcore")) {
          Set(f, eal.main_lcore, 0, kMaxLcore);
          out_.main_lcore = out_.main_cpu = f->at;
        }
        eal.main_cpu = eal.main_lcore;
        if (const Field* f = r.Get("main_cpu")) {
          Set(f, eal.main_cpu, 0, kMaxCpu);
          out_.main_cpu = f->at;
          out_.main_cpu_given = true;
        }
        // Only the lcore and CPU are cross-checked.
        out_.eal_ok = diag_.count() == before;
        if (const Field* f = r.Get("memory_mb")) {
          Set(f, eal.memory_mb, 16, 1048576);
          out_.memory_mb = f->at;
        }
        if (const Field* f = r.Get("file_prefix")) ParseSafeName(*f, out_.cfg.eal.file_prefix);
        if (const Field* f = r.Get("hugepages")) {
          constexpr HugepageMode kModes[] = {HugepageMode::kAuto, HugepageMode::kRequire,
                                             HugepageMode::kOff};
          if (std::optional<size_t> i = Choice(*f, kHugepageModes)) eal.hugepages = kModes[*i];
        }
        if (const Field* f = r.Get("log_level")) {
          if (std::optional<size_t> i = Choice(*f, kLogLevels)) eal.log_level = kLogLevels[*i];
        }
        if (const Field* f = r.Get("base_virtaddr")) ParseBaseVirtaddr(*f, eal.base_virtaddr);
        r.Finish("in eal");
      } else {
        out_.eal_ok = false;
      }
    }
  }

  // An address in user space, hugepage-aligned, so EAL takes it as given.
  void ParseBaseVirtaddr(const Field& f, uint64_t& out) {
    constexpr uint64_t kAlign = uint64_t{2} << 20, kLowest = uint64_t{1} << 32, kHighest = uint64_t{0x7f} << 40;
    std::optional<uint64_t> v = Uint(f, 0, UINT64_MAX);
    if (!v) return;
    if (*v < kLowest || *v > kHighest) {
      diag_.Error(f.at, fmt::format("base_virtaddr {:#x} is outside {:#x}..{:#x}", *v, kLowest, kHighest),
                  "pick an address free in this process and its secondaries, e.g. 0x200000000000");
      return;
    }
    if (*v % kAlign != 0) {
      diag_.Error(f.at, fmt::format("base_virtaddr {:#x} is not a multiple of 2 MiB", *v),
                  fmt::format("use {:#x}", *v / kAlign * kAlign));
      return;
    }
    out = *v;
  }

  // A name that becomes part of file and shared-memory names (file_prefix, stats instance).
  void ParseSafeName(const Field& f, std::string& out) {
    std::optional<std::string> s = String(f);
    if (!s) return;
    if (std::optional<std::string> why = UnsafeReason(*s)) {
      diag_.Error(f.at, fmt::format("{} '{}' is rejected: {}", f.key, Printable(*s), *why),
                  "use letters, digits, '_' and '-' (not first), at most 64");
      return;
    }
    bool ok = s->size() <= 64;
    for (char c : *s) ok = ok && (IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c == '-');
    if (!ok) {
      diag_.Error(f.at,
                  fmt::format("{} '{}' is rejected: it names files and shared memory, "
                              "so only letters, digits, '_' and '-' are allowed",
                              f.key, Printable(*s)),
                  "at most 64 characters, not starting with '-'");
      return;
    }
    out = *s;
  }

  void ParseParser(const Field* field) {
    if (field == nullptr || field->value.IsNull()) return;  // all defaults
    MapReader r(diag_, field->value, "parse", kParseKeys, field->at);
    if (!r.is_map()) return;
    packet::ParseOptions& po = out_.cfg.parse;
    Set(r.Get("vlan_depth"), po.vlan_depth, 0, packet::kMaxVlanDepth);
    if (const Field* f = r.Get("verify_ipv4_checksum")) {
      if (std::optional<bool> b = Bool(*f)) po.verify_ipv4_checksum = *b;
    }
    if (const Field* f = r.Get("tunnels"); f != nullptr && List(*f)) {
      po.tunnels = 0;
      for (const YAML::Node& entry : f->value) {
        const Field item{"tunnels", entry, MarkOf(entry), MarkOf(entry)};
        if (std::optional<size_t> i = Choice(item, kTunnelNames)) po.tunnels |= static_cast<uint8_t>(1u << *i);
      }
    }
    Set(r.Get("vxlan_port"), po.vxlan_port, 1, 65535);
    Set(r.Get("geneve_port"), po.geneve_port, 1, 65535);
    Set(r.Get("gtpu_port"), po.gtpu_port, 1, 65535);
    r.Finish("in parse");
  }

  void ParseStats(const Field* field) {
    if (field == nullptr || field->value.IsNull()) return;  // all defaults
    MapReader r(diag_, field->value, "stats", kStatsKeys, field->at);
    if (!r.is_map()) return;
    StatsConfig& st = out_.cfg.stats;
    Set(r.Get("period_ms"), st.period_ms, 10, 60000);
    if (const Field* f = r.Get("stage_timing_every")) {
      if (std::optional<uint64_t> v = PowerOfTwo(*f, 1, 1024)) st.stage_timing_every = static_cast<uint32_t>(*v);
    }
    if (const Field* f = r.Get("instance")) {
      std::string name;
      ParseSafeName(*f, name);
      if (!name.empty()) st.instance = name;
    }
    if (const Field* f = r.Get("group")) {
      if (std::optional<std::string> name = String(*f)) {
        if (const group* g = getgrnam(name->c_str())) {
          st.group_id = g->gr_gid;
          st.group = *name;
        } else {
          diag_.Error(f->at, fmt::format("group '{}' does not exist on this host", Printable(*name)),
                      "create it (groupadd) or name an existing group; its members may read the stats");
        }
      }
    }
    r.Finish("in stats");
  }

  void ParsePorts(const Field* field) {
    if (field != nullptr && List(*field)) {
      if (field->value.size() == 0) {
        diag_.Error(field->at, "ports: at least one port is needed");
      } else if (field->value.size() > kMaxPorts) {
        diag_.Error(field->at, fmt::format("ports: {} ports listed, DPDK supports at most {}",
                                           field->value.size(), kMaxPorts));
      } else {
        for (const YAML::Node& node : field->value) ParsePort(node);
      }
    }
  }

  void ParsePort(const YAML::Node& node) {
    PortConfig p;
    PortMarks pm;
    p.mark = MarkOf(node);
    MapReader r(diag_, node, "a port", kPortKeys, p.mark);
    if (!r.is_map()) return;

    std::string context = "in a port";
    bool named = false;
    // Cross-checks read name, queue counts and mtu: errors elsewhere (a bad
    // MAC, say) leave them trustworthy.
    size_t relevant_errors = diag_.count();
    if (const Field* f = r.Require("name", "in a port")) {
      if (std::optional<std::string> name = String(*f)) {
        p.name = *name;
        if (!IsPortName(*name)) {
          diag_.Error(f->at, fmt::format("port name '{}' is not valid", Printable(*name)),
                      "start with a letter, then letters, digits, '_' or '-', at most 32");
          rejected_names_.insert(*name);
        } else if (*name == "drop") {
          diag_.Error(f->at, "port name 'drop' is reserved: routes use it to drop frames");
          rejected_names_.insert(*name);
        } else if (auto dup = port_names_.find(*name); dup != port_names_.end()) {
          diag_.Error(f->at, fmt::format("duplicate port name '{}'", *name),
                      fmt::format("it is first defined at line {}", dup->second.line));
        } else {
          port_names_.emplace(*name, f->at);
          named = true;
        }
        context = fmt::format("in port '{}'", Printable(*name));
      }
    }

    relevant_errors = diag_.count() - relevant_errors;
    if (const Field* f = r.Require("device", context)) ParseDevice(*f, p);
    // PCI devices take devargs too (mlx5's, say): "-a 0000:03:00.0,k=v", same rules as a vdev's.
    if (const Field* f = r.Get("args")) ParseDeviceArgs(*f, p);
    size_t queue_errors = diag_.count();
    Set(r.Get("rx_queues"), p.rx_queues, 0, kMaxQueuesPerPort);
    pm.tx_queues = p.mark;
    if (const Field* f = r.Get("tx_queues")) {
      Set(f, p.tx_queues, 1, kMaxQueuesPerPort);
      pm.tx_queues = f->at;
    }
    relevant_errors += diag_.count() - queue_errors;
    SetPowerOfTwo(r.Get("rx_desc"), p.rx_desc, 64, 32768);
    SetPowerOfTwo(r.Get("tx_desc"), p.tx_desc, 64, 32768);
    pm.mtu = p.mark;
    if (const Field* f = r.Get("mtu")) {
      if (std::optional<uint64_t> v = Uint(*f, 68, 9600)) {
        p.mtu = static_cast<uint16_t>(*v);
      } else {
        ++relevant_errors;
      }
      pm.mtu = f->at;
    }
    if (const Field* f = r.Get("promiscuous")) {
      if (std::optional<bool> v = Bool(*f)) p.promiscuous = *v;
    }
    if (const Field* f = r.Get("set_src_mac")) p.set_src_mac = Mac(*f);
    if (const Field* f = r.Get("set_dst_mac")) p.set_dst_mac = Mac(*f);
    if (const Field* f = r.Get("encode")) LoadEncode(*f, diag_, p.encode);
    r.Finish(context);

    pm.ok = named && relevant_errors == 0;
    if (named) port_index_.emplace(p.name, static_cast<uint16_t>(out_.cfg.ports.size()));
    out_.cfg.ports.push_back(std::move(p));
    out_.ports.push_back(pm);
  }

  void ParseDevice(const Field& f, PortConfig& p) {
    std::optional<std::string> s = String(f);
    if (!s) return;
    if (std::optional<std::string> pci = NormalizePci(*s)) {
      p.device = *pci;
      p.is_pci = true;
    } else if (IsVdevName(*s)) {
      p.device = *s;
    } else {
      std::string hint = "a PCI address (0000:01:00.0 or 01:00.0) or a vdev name such as net_pcap0";
      if (s->find(',') != std::string::npos) {
        hint = "give device arguments under 'args:', one key each (e.g. args: {rx_pcap: in.pcap})";
      }
      diag_.Error(f.at,
                  fmt::format("device '{}' is not a PCI address or a virtual device name",
                              Printable(*s)),
                  hint);
      return;
    }
    if (auto dup = devices_.find(p.device); dup != devices_.end()) {
      diag_.Error(f.at, fmt::format("device '{}' is already used by another port", p.device),
                  fmt::format("it is first used at line {}", dup->second.line));
      return;
    }
    devices_.emplace(p.device, f.at);
  }

  void ParseDeviceArgs(const Field& field, PortConfig& p) {
    if (!field.value.IsMap()) {
      diag_.Error(field.at, fmt::format("args: expected a mapping, got {}", Describe(field.value)),
                  "one key per device argument, e.g. rx_pcap: in.pcap");
      return;
    }
    std::map<std::string, Mark> seen;
    for (auto it = field.value.begin(); it != field.value.end(); ++it) {
      const Mark key_at = MarkOf(it->first);
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
      if (!IsArgKey(key)) {
        diag_.Error(key_at, fmt::format("device argument key {} is not valid", Describe(it->first)),
                    "keys are lowercase letters, digits, '_' and '-', starting with a letter");
        continue;
      }
      if (auto dup = seen.find(key); dup != seen.end()) {
        diag_.Error(key_at, fmt::format("duplicate key '{}'", key),
                    fmt::format("it is first given at line {}", dup->second.line));
        continue;
      }
      seen.emplace(key, key_at);
      // A list repeats the key, for drivers that take one value per queue
      // (net_pcap: `tx_pcap: [q0.pcap, q1.pcap]` is two TX queues).
      if (it->second.IsSequence() && it->second.size() > 0) {
        const YAML::Node list = it->second;  // a handle: `it->second` lives in a temporary proxy
        for (const YAML::Node& item : list) {
          if (!item.IsScalar()) {
            diag_.Error(MarkOf(item), fmt::format("device argument '{}': list items must be single values, got {}",
                                                  key, Describe(item)));
            continue;
          }
          AddDeviceArg(key, item.Scalar(), MarkOf(item), p);
        }
        continue;
      }
      const Mark at = it->second.IsNull() ? key_at : MarkOf(it->second);
      if (!it->second.IsScalar()) {
        diag_.Error(at, fmt::format("device argument '{}' needs a value or a list of values, got {}", key,
                                    Describe(it->second)));
        continue;
      }
      AddDeviceArg(key, it->second.Scalar(), at, p);
    }
  }

  void AddDeviceArg(const std::string& key, std::string value, const Mark& at, PortConfig& p) {
    if (std::optional<std::string> why = UnsafeReason(value)) {
      diag_.Error(at, fmt::format("device argument {} '{}' is rejected: {}", key, Printable(value), *why));
      return;
    }
    if (IsPathArg(key)) {
      std::filesystem::path path(value);
      if (path.is_relative()) path = base_dir_ / path;
      value = path.lexically_normal().string();
      // The directory comes from outside the file: it must obey the same rules.
      if (std::optional<std::string> why = UnsafeReason(value)) {
        diag_.Error(at, fmt::format("device argument {} resolves to '{}', which is rejected: {}", key,
                                    Printable(value), *why),
                    "move the config or use an absolute path");
        return;
      }
    }
    p.args.push_back({key, std::move(value)});
  }

  static bool IsPathArg(std::string_view key) {
    for (const char* k : kPathDeviceArgs) {
      if (key == k) return true;
    }
    return false;
  }

  void ParsePipeline(const Field* field) {
    if (field == nullptr) {
      out_.pipeline_ok = out_.chains_ok = false;
      return;
    }
    const size_t before = diag_.count();
    PipelineConfig& pl = out_.cfg.pipeline;
    MapReader r(diag_, field->value, "pipeline", kPipelineKeys, field->at);
    if (!r.is_map()) {
      out_.pipeline_ok = out_.chains_ok = false;
      return;
    }
    Set(r.Get("burst"), pl.burst, 1, kMaxBurst);
    Set(r.Get("tx_retries"), pl.tx_retries, 0, 1000);
    pl.mempool.mark = out_.cache = out_.data_room = field->at;
    if (const Field* f = r.Get("mempool"); f != nullptr && !f->value.IsNull()) {
      pl.mempool.mark = out_.cache = out_.data_room = f->at;
      MapReader m(diag_, f->value, "pipeline.mempool", kMempoolKeys, f->at);
      if (m.is_map()) {
        Set(m.Get("mbufs"), pl.mempool.mbufs, 512, 16777215);
        if (const Field* c = m.Get("cache")) {
          Set(c, pl.mempool.cache, 0, 512);
          out_.cache = c->at;
        }
        if (const Field* h = m.Get("handler")) {
          if (std::optional<size_t> i = Choice(*h, kMempoolHandlers))
            pl.mempool.handler = *i == 0 ? MempoolHandler::kDefault : MempoolHandler::kStack;
        }
        if (const Field* d = m.Get("data_room")) {
          Set(d, pl.mempool.data_room, 256, 65535);
          out_.data_room = d->at;
        }
        Set(m.Get("clones"), pl.mempool.clones, 63, 16777215);
        m.Finish("in pipeline.mempool");
      }
    }
    out_.pipeline_ok = diag_.count() == before;

    if (const Field* f = r.Require("chains", "in pipeline"); f != nullptr && List(*f)) {
      out_.chain_count = f->value.size();
      if (f->value.size() == 0) diag_.Error(f->at, "chains: at least one chain is needed");
      for (const YAML::Node& node : f->value) ParseChain(node);
    } else {
      out_.chains_ok = false;
    }
    r.Finish("in pipeline");
  }

  void ParseChain(const YAML::Node& node) {
    const size_t index = out_.cfg.pipeline.chains.size();
    const std::string context = fmt::format("in chain {}", index);
    ChainConfig chain;
    ChainMarks cm;
    chain.mark = MarkOf(node);
    MapReader r(diag_, node, "a chain", kChainKeys, chain.mark);
    if (!r.is_map()) {
      // Keep indexes aligned with the file: chain i transmits on TX queue i.
      out_.chains_ok = false;
      out_.cfg.pipeline.chains.push_back(std::move(chain));
      out_.chains.push_back(std::move(cm));
      return;
    }
    if (const Field* f = r.Require("rx", context); f == nullptr || !List(*f)) {
      out_.chains_ok = false;
    } else {
      if (f->value.size() == 0) diag_.Error(f->at, "rx: a chain needs at least one RX queue");
      for (const YAML::Node& entry : f->value) {
        const Mark at = MarkOf(entry);
        std::optional<QueueRef> ref = Reference(entry, at, fmt::format("chain {} polls", index));
        if (!ref) {
          // It was meant to poll something: "polled by no chain" would mislead.
          out_.chains_ok = false;
          continue;
        }
        const PortConfig& port = out_.cfg.ports[ref->port];
        if (!out_.ports[ref->port].ok) {
          out_.chains_ok = false;
        } else if (port.rx_queues == 0) {
          diag_.Error(at, fmt::format("chain {} polls port '{}', which has no RX queues "
                                      "(rx_queues: 0)",
                                      index, port.name));
        } else if (ref->queue) {
          chain.rx.push_back({ref->port, *ref->queue});
          cm.rx.push_back(at);
        } else {
          for (uint16_t q = 0; q < port.rx_queues; ++q) {
            chain.rx.push_back({ref->port, q});
            cm.rx.push_back(at);
          }
        }
      }
    }
    SetPowerOfTwo(r.Get("ring_size"), chain.ring_size, 64, 65536);
    if (const Field* f = r.Get("ring_policy")) {
      if (std::optional<size_t> i = Choice(*f, kRingPolicies)) {
        chain.ring_policy = *i == 0 ? RingPolicy::kDrop : RingPolicy::kBackpressure;
      }
    }
    if (const Field* f = r.Require("segments", context); f != nullptr && List(*f)) {
      if (f->value.size() == 0) {
        diag_.Error(f->at, "segments: a chain needs at least one segment");
        cm.stages_ok = false;
      }
      size_t si = 0;
      for (const YAML::Node& seg : f->value) ParseSegment(seg, index, si++, chain, cm);
    } else {
      cm.stages_ok = false;
    }
    r.Finish(context);
    out_.cfg.pipeline.chains.push_back(std::move(chain));
    out_.chains.push_back(std::move(cm));
  }

  void ParseSegment(const YAML::Node& node, size_t chain_index, size_t index, ChainConfig& chain,
                    ChainMarks& cm) {
    const std::string context = fmt::format("in segment {} of chain {}", index, chain_index);
    SegmentConfig seg;
    SegmentMarks sm;
    seg.mark = MarkOf(node);
    MapReader r(diag_, node, "a segment", kSegmentKeys, seg.mark);
    if (!r.is_map()) {
      cm.stages_ok = false;
      return;
    }
    sm.lcore = sm.cpu = seg.mark;
    // One lcore (`lcore:`), or a fan-out over several (`lcores: [2, 3]`): each lcore
    // becomes a replica of the segment, fed by flow hash from the segment before.
    std::vector<Field> lcores, cpus;
    const Field* one = r.Get("lcore");
    const Field* many = r.Get("lcores");
    if (one != nullptr && many != nullptr) {
      diag_.Error(many->key_at, fmt::format("a segment has 'lcore' or 'lcores', not both {}", context),
                  "lcore: N runs the segment on one lcore; lcores: [N, M] fans it out by flow");
    } else if (many != nullptr) {
      ListItems(*many, lcores);
      if (many->value.IsSequence() && (lcores.empty() || lcores.size() > kMaxFanout)) {
        diag_.Error(many->at, fmt::format("lcores: a fan-out runs on 1 to {} lcores, got {}", kMaxFanout,
                                          lcores.size()));
        lcores.clear();
      }
    } else if (const Field* f = r.Require("lcore", context)) {
      lcores.push_back(*f);
    }
    const Field* cpu = r.Get("cpu");
    const Field* cpu_list = r.Get("cpus");
    if (cpu != nullptr && many != nullptr) {
      diag_.Error(cpu->key_at, fmt::format("'cpu' goes with 'lcore'; a fan-out's CPUs are 'cpus' {}", context),
                  "cpus: [N, M], one per lcore");
    } else if (cpu_list != nullptr && many == nullptr) {
      diag_.Error(cpu_list->key_at, fmt::format("'cpus' goes with 'lcores'; one lcore's CPU is 'cpu' {}", context));
    } else if (cpu != nullptr) {
      cpus.push_back(*cpu);
    } else if (cpu_list != nullptr) {
      ListItems(*cpu_list, cpus);
      if (cpu_list->value.IsSequence() && cpus.size() != lcores.size() && !lcores.empty()) {
        diag_.Error(cpu_list->at, fmt::format("cpus: {} CPU{} for {} lcores", cpus.size(), cpus.size() == 1 ? "" : "s", lcores.size()),
                    "give one CPU per lcore, in the same order");
        cpus.clear();
      }
    }
    // A fan-out's shares: one weight per lcore (default 1 each), the slots of the hash.
    std::vector<uint8_t> weights(lcores.size(), 1);
    if (const Field* w = r.Get("weights"); w != nullptr && many == nullptr) {
      diag_.Error(w->key_at, fmt::format("'weights' goes with 'lcores' {}", context),
                  "weights: [N, M] gives each lcore of a fan-out its share of the flows");
    } else if (w != nullptr) {
      std::vector<Field> items;
      ListItems(*w, items);
      if (w->value.IsSequence() && items.size() != lcores.size()) {
        diag_.Error(w->at, fmt::format("weights: {} for {} lcores", items.size(), lcores.size()),
                    "give one weight per lcore, in the same order");
      } else {
        unsigned total = 0;
        for (size_t i = 0; i < items.size(); ++i) {
          if (std::optional<uint64_t> v = Uint(items[i], 1, kMaxFanoutSlots)) {
            weights[i] = static_cast<uint8_t>(*v);
            total += weights[i];
          }
        }
        if (total > kMaxFanoutSlots) {
          diag_.Error(w->at, fmt::format("weights: they add up to {}; at most {}", total, kMaxFanoutSlots),
                      "only their ratios count: [1, 2] is [2, 4]");
        }
      }
    }
    bool stages_ok = false;
    if (const Field* f = r.Require("stages", context); f != nullptr && List(*f)) {
      stages_ok = ParseStages(*f, seg);
    }
    r.Finish(context);
    cm.stages_ok = cm.stages_ok && stages_ok;
    // A segment without a usable lcore is dropped: later checks index lcores.
    std::vector<std::pair<SegmentConfig, SegmentMarks>> replicas;
    for (size_t i = 0; i < lcores.size(); ++i) {
      SegmentConfig rep = seg;
      SegmentMarks rm = sm;
      rm.lcore = rm.cpu = lcores[i].at;
      std::optional<uint64_t> v = Uint(lcores[i], 1, kMaxLcore);
      if (!v) continue;
      rep.lcore = rep.cpu = static_cast<unsigned>(*v);
      if (i < cpus.size()) {
        rm.cpu = cpus[i].at;
        rm.cpu_given = true;
        std::optional<uint64_t> c = Uint(cpus[i], 0, kMaxCpu);
        if (c) rep.cpu = static_cast<unsigned>(*c);
        rm.cpu_ok = c.has_value();
      }
      rep.replica = static_cast<uint8_t>(i);
      rep.replicas = static_cast<uint8_t>(lcores.size());
      rep.weight = weights[i];
      // The lcore before the fan-out keeping its share: one lcore, one CPU.
      if (!chain.segments.empty() && rep.SharesLcoreWith(chain.segments.back())) {
        const SegmentConfig& before = chain.segments.back();
        if (rm.cpu_given && rm.cpu_ok && rep.cpu != before.cpu) {
          diag_.Error(rm.cpu, fmt::format("lcore {} runs the segment before this fan-out on CPU {}; it cannot "
                                          "also be on CPU {} {}", rep.lcore, before.cpu, rep.cpu, context),
                      fmt::format("give it CPU {} here too, or leave cpus out", before.cpu));
        }
        rep.cpu = before.cpu;
        rm.cpu_ok = false;  // checked once, with the segment before
        rm.cpu_given = false;
      }
      replicas.emplace_back(rep, rm);
    }
    if (replicas.size() != lcores.size() || lcores.empty()) {
      cm.stages_ok = false;
      return;
    }
    for (auto& [rep, rm] : replicas) {
      chain.segments.push_back(rep);
      cm.segments.push_back(rm);
    }
  }

  /// The items of a list value as fields of their own (for typed readers that name the key).
  void ListItems(const Field& f, std::vector<Field>& out) {
    if (!List(f)) return;
    for (const YAML::Node& item : f.value) out.push_back(Field{f.key, item, f.key_at, MarkOf(item)});
  }

  bool ParseStages(const Field& f, SegmentConfig& seg) {
    if (f.value.size() == 0) {
      diag_.Error(f.at, "stages: a segment needs at least one stage", std::string(kStageOrder));
      return false;
    }
    bool ok = true;
    std::vector<unsigned> stages;
    // Order is checked between neighbours only: after an unknown name there is
    // nothing to compare with, and one typo should give one error.
    bool after_unknown = false;
    for (const YAML::Node& node : f.value) {
      const Mark at = MarkOf(node);
      if (!node.IsScalar()) {
        diag_.Error(at, fmt::format("expected a stage name, got {}", Describe(node)));
        ok = false;
        after_unknown = true;
        continue;
      }
      const std::string& name = node.Scalar();
      std::optional<unsigned> stage;
      for (unsigned i = 0; i < kStageCount; ++i) {
        if (name == kStageNames[i]) stage = i;
      }
      if (!stage) {
        std::string hint = DidYouMean(name, kStageNameList);
        if (hint.empty()) hint = "stages are " + JoinNames(kStageNameList);
        diag_.Error(at, fmt::format("unknown stage '{}'", Printable(name)), hint);
        ok = false;
        after_unknown = true;
        continue;
      }
      if (!stages.empty() && !after_unknown) {
        const unsigned prev = stages.back();
        if (*stage == prev) {
          diag_.Error(at, fmt::format("stage '{}' is listed twice", name));
          ok = false;
        } else if (*stage < prev) {
          diag_.Error(at, fmt::format("stage '{}' cannot follow '{}'", name, kStageNames[prev]),
                      std::string(kStageOrder));
          ok = false;
        } else if (*stage > prev + 1) {
          diag_.Error(at,
                      fmt::format("stage '{}' cannot follow '{}': '{}' is skipped", name,
                                  kStageNames[prev], kStageNames[prev + 1]),
                      std::string(kStageOrder));
          ok = false;
        }
      }
      stages.push_back(*stage);
      after_unknown = false;
    }
    if (ok) {
      seg.first = static_cast<Stage>(stages.front());
      seg.last = static_cast<Stage>(stages.back());
    }
    return ok;
  }

  void ParseRoutes(const Field* field) {
    if (field != nullptr && List(*field)) {
      for (const YAML::Node& node : field->value) ParseRoute(node);
    } else {
      out_.routes_ok = false;
    }
  }

  void ParseRoute(const YAML::Node& node) {
    RouteConfig route;
    RouteMarks rm;
    route.mark = MarkOf(node);
    MapReader r(diag_, node, "a route", kRouteKeys, route.mark);
    if (!r.is_map()) {
      out_.routes_ok = false;
      return;
    }
    // A route is kept once its origin resolves, even if its target does not:
    // it still covers its port in the completeness checks.
    bool from_ok = false;
    if (const Field* f = r.Require("from", "in a route")) {
      rm.from = f->at;
      if (std::optional<QueueRef> ref = Reference(f->value, f->at, "route from")) {
        const PortConfig& port = out_.cfg.ports[ref->port];
        if (out_.ports[ref->port].ok && port.rx_queues == 0) {
          diag_.Error(f->at, fmt::format("route from port '{}', which receives nothing "
                                         "(rx_queues: 0)",
                                         port.name));
        }
        route.in_port = ref->port;
        route.in_queue = ref->queue;
        from_ok = true;
      }
    }
    if (const Field* f = r.Require("to", "in a route")) {
      rm.to = f->at;
      if (std::optional<std::string> to = String(*f)) {
        if (*to != "drop") {
          if (std::optional<uint16_t> port = PortByName(*to, f->at, "route to")) {
            route.out_port = *port;
          }
        }
      }
    }
    r.Finish("in a route");
    if (!from_ok) {
      out_.routes_ok = false;
      return;
    }
    out_.cfg.routes.push_back(route);
    out_.routes.push_back(rm);
  }

  std::optional<uint16_t> PortByName(const std::string& name, Mark at, std::string_view what) {
    if (auto it = port_index_.find(name); it != port_index_.end()) return it->second;
    // Its definition was rejected already; one error is enough.
    if (rejected_names_.contains(name)) return std::nullopt;
    std::vector<std::string> known;  // in file order, as the operator wrote them
    for (const PortConfig& p : out_.cfg.ports) {
      if (port_index_.contains(p.name) && std::find(known.begin(), known.end(), p.name) == known.end()) {
        known.push_back(p.name);
      }
    }
    std::string hint = DidYouMean(name, known);
    std::string listing = known.empty() ? "no ports are defined" : "known ports: " + JoinNames(known);
    hint = hint.empty() ? listing : hint + " " + listing;
    diag_.Error(at, fmt::format("{} unknown port '{}'", what, Printable(name)), hint);
    return std::nullopt;
  }

  // "port" or "port:queue"; checks the queue exists when the port is sound.
  std::optional<QueueRef> Reference(const YAML::Node& node, Mark at, std::string_view what) {
    if (!node.IsScalar()) {
      diag_.Error(at, fmt::format("{}: expected \"port\" or \"port:queue\", got {}", what,
                                  Describe(node)));
      return std::nullopt;
    }
    const std::string& s = node.Scalar();
    const size_t colon = s.find(':');
    std::optional<uint16_t> port = PortByName(s.substr(0, colon), at, what);
    if (!port) return std::nullopt;
    QueueRef ref{*port, std::nullopt};
    if (colon == std::string::npos) return ref;
    const std::string_view q = std::string_view(s).substr(colon + 1);
    uint16_t queue = 0;
    const auto [ptr, ec] = std::from_chars(q.data(), q.data() + q.size(), queue);
    if (q.empty() || ec != std::errc() || ptr != q.data() + q.size()) {
      diag_.Error(at, fmt::format("{} '{}': expected a queue number after ':'", what,
                                  Printable(s)));
      return std::nullopt;
    }
    const PortConfig& p = out_.cfg.ports[*port];
    if (out_.ports[*port].ok && queue >= p.rx_queues) {
      diag_.Error(at,
                  fmt::format("{} '{}': port '{}' has no RX queue {} (rx_queues: {})", what, s,
                              p.name, queue, p.rx_queues),
                  p.rx_queues == 0 ? std::string("this port receives nothing")
                                   : fmt::format("its queues are 0..{}", p.rx_queues - 1));
      return std::nullopt;
    }
    ref.queue = queue;
    return ref;
  }

  std::filesystem::path base_dir_;
  Parsed& out_;
  std::map<std::string, Mark> port_names_;
  std::map<std::string, uint16_t> port_index_;
  std::set<std::string> rejected_names_;
  std::map<std::string, Mark> devices_;
};

}  // namespace

namespace {

// Records where documents start, ignoring their content.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

Mark FromYaml(const YAML::Mark& m) {
  return m.is_null() ? Mark{1, 1} : Mark{m.line + 1, m.column + 1};
}

}  // namespace

bool ParseYaml(const std::string& text, const std::string& base_dir, Diagnostics& diag,
               Parsed& out) {
  YAML::Node root;
  try {
    // yaml-cpp 0.7 makes no progress on a stray ',' at document level: every
    // HandleNextDocument reports a new empty document at the same place, so
    // YAML::LoadAll never returns (it allocates until bad_alloc) and
    // YAML::Load silently returns null. Count documents ourselves first,
    // stopping at the second one or at a repeat.
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
    }
    if (starts.marks.size() == 2) {
      const YAML::Mark& second = starts.marks[1];
      if (second.pos == starts.marks[0].pos) {
        const size_t at = static_cast<size_t>(second.pos);
        const std::string what = at < text.size() ? fmt::format(" '{}'", Printable(text.substr(at, 1))) : "";
        diag.Error(FromYaml(second), fmt::format("YAML syntax error: unexpected{}", what),
                   "outside [...] and {...}, a ',' cannot start a value: quote it");
      } else {
        diag.Error(FromYaml(second), "only one YAML document is allowed in a config file");
      }
      return false;
    }
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diag.Error(FromYaml(e.mark), fmt::format("YAML syntax error: {}", e.msg));
    return false;
  } catch (const YAML::Exception& e) {
    diag.Error(FromYaml(e.mark), fmt::format("YAML error: {}", e.msg));
    return false;
  }
  Loader loader(diag, std::filesystem::path(base_dir), out);
  loader.Run(root);
  return true;
}

}  // namespace ingestd::config::internal
