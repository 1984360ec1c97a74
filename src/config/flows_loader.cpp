// SPDX-License-Identifier: BSD-3-Clause
// The `flows:` section: table size, timeouts, and where expired flows are exported.
#include "flows_loader.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

namespace ingestd::config::internal {
namespace {

const std::vector<std::string> kFlowsKeys = {"capacity", "idle_timeout_ms", "active_timeout_ms", "ipfix", "domain_id",
                                             "jsonl", "template_refresh_s", "template_refresh_messages"};

class FlowsLoader : ValueReader {
 public:
  explicit FlowsLoader(Diagnostics& diag) : ValueReader(diag) {}

  void Run(const Field& field, const std::filesystem::path& base_dir, FlowsConfig& out) {
    MapReader r(diag_, field.value, "flows", kFlowsKeys, field.at);
    if (!r.is_map()) return;
    out.enabled = true;
    Set(r.Get("capacity"), out.capacity, 1024, 16777216);
    Set(r.Get("idle_timeout_ms"), out.idle_timeout_ms, 10, 86400000);
    Set(r.Get("active_timeout_ms"), out.active_timeout_ms, 10, 86400000);
    Set(r.Get("domain_id"), out.domain_id, 0, 0xffffffff);
    const Field* refresh_s = r.Get("template_refresh_s");
    const Field* refresh_messages = r.Get("template_refresh_messages");
    Set(refresh_s, out.template_refresh_s, 0, 3600);
    Set(refresh_messages, out.template_refresh_messages, 0, 65535);
    if (out.template_refresh_s == 0 && out.template_refresh_messages == 0) {
      diag_.Error(refresh_messages != nullptr ? refresh_messages->at : refresh_s != nullptr ? refresh_s->at : field.at,
                  "flows: template_refresh_s and template_refresh_messages are both 0: the IPFIX templates would "
                  "be sent once, and a collector that starts or restarts later could never decode a record",
                  "keep one of them above 0 (the defaults are 10 s and 20 messages)");
    }
    if (const Field* f = r.Get("ipfix")) Collector(*f, out);
    if (const Field* f = r.Get("jsonl")) {
      if (std::optional<std::string> s = String(*f)) {
        std::filesystem::path p(*s);
        out.jsonl = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
      }
    }
    if (out.ipfix_port == 0 && out.jsonl.empty() && !r.Get("ipfix") && !r.Get("jsonl")) {
      diag_.Error(field.at, "flows: nowhere to export expired flows",
                  "add ipfix: 127.0.0.1:4739 (a collector) and/or jsonl: flows.jsonl (a file)");
    }
    r.Finish("in flows");
  }

 private:
  /// "192.0.2.10:4739" or "[2001:db8::10]:4739": the collector's address and UDP port.
  void Collector(const Field& f, FlowsConfig& out) {
    std::optional<std::string> s = String(f);
    if (!s) return;
    const size_t colon = s->rfind(':');
    std::string host = s->substr(0, colon == std::string::npos ? s->size() : colon);
    const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
    if (bracketed) host = host.substr(1, host.size() - 2);
    uint16_t port = 0;
    const char* first = s->data() + (colon == std::string::npos ? s->size() : colon + 1);
    const char* last = s->data() + s->size();
    const auto [ptr, ec] = std::from_chars(first, last, port);
    const bool port_ok = colon != std::string::npos && ec == std::errc() && ptr == last && port != 0;
    const bool address_ok = bracketed ? inet_pton(AF_INET6, host.c_str(), out.ipfix_address) == 1
                                      : inet_pton(AF_INET, host.c_str(), out.ipfix_address) == 1;
    if (port_ok && address_ok) {
      out.ipfix_ipv6 = bracketed;
      out.ipfix_port = port;
      return;
    }
    std::string hint = "write the collector as 192.0.2.10:4739, or [2001:db8::10]:4739 for IPv6";
    uint8_t scratch[16];
    if (!bracketed && (inet_pton(AF_INET6, s->c_str(), scratch) == 1 || inet_pton(AF_INET6, host.c_str(), scratch) == 1)) {
      hint = "an IPv6 collector's address goes in brackets, the port after them: [2001:db8::10]:4739";
    } else if (bracketed && host.find('%') != std::string::npos) {
      hint = "IPv6 scope ids (fe80::1%eth0) are not supported: give a global or loopback address";
    } else if (address_ok) {
      hint = "the UDP port is 1..65535 after the last ':' (IPFIX collectors listen on 4739)";
    }
    diag_.Error(f.at, fmt::format("ipfix: '{}' is not an IPv4 or [IPv6] address and UDP port", Printable(*s)),
                hint);
  }
};

}  // namespace

void LoadFlows(const Field& field, Diagnostics& diag, const std::filesystem::path& base_dir, FlowsConfig& out) {
  FlowsLoader(diag).Run(field, base_dir, out);
}

}  // namespace ingestd::config::internal
