// SPDX-License-Identifier: BSD-3-Clause
// Telemetry callbacks run on DPDK's telemetry thread: they read the published
// segment (never the lcores' blocks) and convert the report to rte_tel_data.
#include "telemetry.hpp"

#include "capture_command.hpp"
#include "rules_reload.hpp"

#include <cstdio>

#include <rte_telemetry.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ingestd/log/log.hpp"
#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::app {
namespace {

std::string g_instance;  // set once before the commands are registered

/// The current report, or an "error" entry in `d` and null.
nlohmann::json ReadReport(rte_tel_data* d) {
  stats::SegmentReader reader;
  stats::Snapshot snapshot;
  stats::ReadError err = reader.OpenInstance(g_instance);
  if (!err) err = reader.Read(snapshot);
  if (err) {
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "error", err.message.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
    return nullptr;
  }
  return stats::ReportJson(snapshot);
}

/// A dict key DPDK 22.11 accepts: it refuses (and drops) names with anything but
/// [A-Za-z0-9_/]. "malformed:bad_ipv4_ihl" becomes "malformed/bad_ipv4_ihl" and
/// "e2e,chain=0,lcore=1" becomes "e2e/chain_0/lcore_1".
std::string TelemetryName(const std::string& key) {
  std::string name = key.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '/';
    if (!ok) c = (c == ':' || c == ',') ? '/' : '_';
  }
  return name;
}

/// Adds a scalar JSON value to a telemetry dict: integers as numbers, the rest as text.
void AddScalar(rte_tel_data* d, const std::string& key, const nlohmann::json& v) {
  const std::string name = TelemetryName(key);
  if (v.is_number_unsigned()) {
    rte_tel_data_add_dict_u64(d, name.c_str(), v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    rte_tel_data_add_dict_int(d, name.c_str(), v.get<int>());
  } else if (v.is_boolean()) {
    rte_tel_data_add_dict_u64(d, name.c_str(), v.get<bool>() ? 1 : 0);
  } else {
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    rte_tel_data_add_dict_string(d, name.c_str(), text.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
  }
}

/// A dict of the scalar members of `object` (nested values are skipped).
void AddObject(rte_tel_data* d, const nlohmann::json& object) {
  rte_tel_data_start_dict(d);
  for (const auto& [key, v] : object.items())
    if (!v.is_structured()) AddScalar(d, key, v);
}

/// A dict of containers, one per element of `array`, keyed by `key_of(element)`.
template <typename KeyOf>
void AddKeyedArray(rte_tel_data* d, const nlohmann::json& array, KeyOf key_of) {
  rte_tel_data_start_dict(d);
  for (const auto& element : array) {
    rte_tel_data* child = rte_tel_data_alloc();
    if (child == nullptr) return;
    AddObject(child, element);
    // keep = 0: DPDK frees the child after replying, unless it refuses it (full dict).
    if (rte_tel_data_add_dict_container(d, TelemetryName(key_of(element)).c_str(), child, 0) != 0)
      rte_tel_data_free(child);
  }
}

int Totals(const char*, const char*, rte_tel_data* d) {
  if (nlohmann::json r = ReadReport(d); !r.is_null()) AddObject(d, r.at("totals"));
  return 0;
}

int Drops(const char*, const char*, rte_tel_data* d) {
  if (nlohmann::json r = ReadReport(d); !r.is_null()) AddObject(d, r.at("totals").at("drops"));
  return 0;
}

int Ports(const char*, const char*, rte_tel_data* d) {
  if (nlohmann::json r = ReadReport(d); !r.is_null())
    AddKeyedArray(d, r.at("ports"), [](const nlohmann::json& p) { return p.at("name").get<std::string>(); });
  return 0;
}

int Latency(const char*, const char*, rte_tel_data* d) {
  if (nlohmann::json r = ReadReport(d); !r.is_null()) {
    AddKeyedArray(d, r.at("latency"), [](const nlohmann::json& h) {
      std::string key = h.at("metric").get<std::string>();
      for (const auto& [k, v] : h.at("labels").items()) key += fmt::format(",{}={}", k, v.get<std::string>());
      return key;
    });
  }
  return 0;
}

int Allocation(const char*, const char*, rte_tel_data* d) {
  if (nlohmann::json r = ReadReport(d); !r.is_null()) AddObject(d, r.at("allocation"));
  return 0;
}

// Asks the control loop to reload the rules; the outcome is in /ingestd/totals'
// segment figures (rule_reloads) and on stderr, as for SIGHUP.
int Reload(const char*, const char*, rte_tel_data* d) {
  g_reload_requested.store(true);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "reload", "requested");
  return 0;
}

constexpr char kDropCaptureHelp[] =
    "Drop capture to pcapng. Params: status | stop | start file=PATH [packets=N] [snaplen=N] [filter=EXPR]";

// Starts, stops or shows the drop capture; the control loop does it and answers
// within 2 s (it polls every 10 ms or less).
int DropCaptureCommand(const char*, const char* params, rte_tel_data* d) {
  AddObject(d, g_capture_mailbox.Ask(params != nullptr ? params : "", std::chrono::seconds(2)));
  return 0;
}

}  // namespace

void RegisterTelemetry(const std::string& instance) {
  g_instance = instance;
  rte_telemetry_register_cmd("/ingestd/totals", Totals,
                             "Packets received, transmitted, dropped; mbufs in use. No parameters");
  rte_telemetry_register_cmd("/ingestd/drops", Drops, "Dropped packets by reason. No parameters");
  rte_telemetry_register_cmd("/ingestd/ports", Ports, "Per-port device counters. No parameters");
  rte_telemetry_register_cmd("/ingestd/latency", Latency,
                             "Latency percentiles (ns) per stage, ring and RX->TX. No parameters");
  rte_telemetry_register_cmd("/ingestd/allocation", Allocation,
                             "mbufs, heap allocations and bytes copied per packet. No parameters");
  rte_telemetry_register_cmd("/ingestd/reload", Reload,
                             "Reload the rules from the config file, as SIGHUP does. No parameters");
  // DPDK refuses help texts of 128 characters or more (and so the command).
  static_assert(sizeof(kDropCaptureHelp) <= RTE_TEL_MAX_STRING_LEN);
  if (rte_telemetry_register_cmd("/ingestd/drop_capture", DropCaptureCommand, kDropCaptureHelp) != 0)
    log::Warning("the /ingestd/drop_capture telemetry command could not be registered");
}

}  // namespace ingestd::app
