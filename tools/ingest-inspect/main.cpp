// SPDX-License-Identifier: BSD-3-Clause
// ingest-inspect: runs the data path's own ParseFrame over each frame of a pcap; JSON Lines out.
#include <arpa/inet.h>
#include <fmt/core.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ingestd/packet/packet_meta.hpp"
#include "ingestd/packet/parse.hpp"
#include "ingestd/packet/verdict.hpp"

// Complete once the parser takes options (VLAN depth, tunnels); declared here so this tool
// builds against the parser before and after it grew them.
namespace ingestd::packet {
struct ParseOptions;
}  // namespace ingestd::packet

namespace {

namespace pkt = ingestd::packet;
using Json = nlohmann::ordered_json;  // keys in the documented order

template <typename T>
concept Complete = requires { sizeof(T); };

struct Settings {
  bool tunnels = true;
  unsigned vlan_depth = 2;
};

// ParseFrame as the data path calls it: the options struct when the parser has one (every
// tunnel looked through unless --no-tunnels), the default overload otherwise.
template <typename Options = pkt::ParseOptions>
pkt::ParseVerdict Parse(const uint8_t* data, uint32_t len, pkt::PktMeta& meta,
                        const Settings& s) {
  if constexpr (Complete<Options>) {
    Options opts{};
    opts.tunnels = s.tunnels ? static_cast<decltype(opts.tunnels)>(~0u) : 0;
    opts.vlan_depth = static_cast<decltype(opts.vlan_depth)>(s.vlan_depth);
    return pkt::ParseFrame(data, len, len, meta, opts);
  } else {
    return pkt::ParseFrame(data, len, len, meta);
  }
}

std::string_view L3Name(pkt::L3Type l3) {
  switch (l3) {
    case pkt::L3Type::kIpv4:
      return "ipv4";
    case pkt::L3Type::kIpv6:
      return "ipv6";
    case pkt::L3Type::kArp:
      return "arp";
    case pkt::L3Type::kOther:
      return "other";
    case pkt::L3Type::kNone:
      break;
  }
  return "none";
}

Json Offset(uint16_t off) { return off == pkt::kNoOffset ? Json(nullptr) : Json(off); }

// inet_ntop gives RFC 5952 text for IPv6 (lower case, longest zero run as ::).
Json Address(const uint8_t* p, pkt::L3Type l3) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = l3 == pkt::L3Type::kIpv4 ? AF_INET : AF_INET6;
  if (inet_ntop(family, p, text, sizeof text) == nullptr) return nullptr;
  return text;
}

bool IsIp(pkt::L3Type l3) { return l3 == pkt::L3Type::kIpv4 || l3 == pkt::L3Type::kIpv6; }

bool HasPorts(uint8_t proto) {
  return proto == pkt::kIpProtoTcp || proto == pkt::kIpProtoUdp || proto == 132;  // SCTP
}

// "first" for an IPv4 packet with MF set and offset 0, or an IPv6 packet whose fragment
// header (found by walking the extension chain, as the parser does) says so.
std::string_view FragmentName(const uint8_t* data, uint32_t len, pkt::L3Type l3, uint16_t l3_off,
                              bool later) {
  if (later) return "later";
  if (l3 == pkt::L3Type::kIpv4) {
    const uint8_t* ip = data + l3_off;
    const unsigned frag = pkt::detail::Load16(ip + 6);
    return (frag & 0x2000u) != 0 && (frag & 0x1fffu) == 0 ? "first" : "none";
  }
  uint32_t off = l3_off + pkt::kIpv6HeaderLen;
  uint8_t next = data[l3_off + 6];
  for (int i = 0; i < 8 && off + 8 <= len; ++i) {
    if (next == 44) {
      const unsigned frag = pkt::detail::Load16(data + off + 2);
      return (frag & 0xfff8u) == 0 && (frag & 1u) != 0 ? "first" : "none";
    }
    uint32_t ext_len = 0;
    if (next == 0 || next == 43 || next == 60) {
      ext_len = (data[off + 1] + 1u) * 8u;
    } else if (next == 51) {
      ext_len = (data[off + 1] + 2u) * 4u;
    } else {
      break;
    }
    next = data[off];
    off += ext_len;
  }
  return "none";
}

// The tunnelled layer, when the parser has inner fields and looked through a tunnel.
template <typename Meta>
Json Inner(const uint8_t* data, uint32_t len, const Meta& meta) {
  if constexpr (requires { meta.inner_l3_off; meta.tunnel; meta.inner_l3; }) {
    if (meta.tunnel == decltype(meta.tunnel){}) return nullptr;
    static constexpr std::array<std::string_view, 7> kTunnelNames = {
        "none", "vxlan", "geneve", "gre", "ipip", "ipv6inip", "gtpu"};
    const auto t = static_cast<unsigned>(meta.tunnel);
    const std::string_view verdict = pkt::VerdictName(meta.verdict);
    // The inner IP header is whole when parsing got past it.
    const bool ip_ok = IsIp(meta.inner_l3) && meta.inner_l3_off != pkt::kNoOffset &&
                       (verdict == "ok" || verdict == "truncated_inner_l4" ||
                        verdict == "bad_inner_l4");
    const bool ports = ip_ok && meta.inner_l4_off != pkt::kNoOffset &&
                       HasPorts(meta.inner_ip_proto) && !meta.inner_is_fragment;
    const bool v4 = meta.inner_l3 == pkt::L3Type::kIpv4;
    Json j;
    j["tunnel"] = t < kTunnelNames.size() ? Json(kTunnelNames[t]) : Json(t);
    j["id"] = meta.tunnel_id;
    j["l3"] = meta.inner_l3_off == pkt::kNoOffset ? "none" : L3Name(meta.inner_l3);
    j["src"] = ip_ok ? Address(data + meta.inner_l3_off + (v4 ? 12 : 8), meta.inner_l3) : nullptr;
    j["dst"] = ip_ok ? Address(data + meta.inner_l3_off + (v4 ? 16 : 24), meta.inner_l3) : nullptr;
    j["proto"] = ip_ok ? Json(meta.inner_ip_proto) : Json(nullptr);
    j["sport"] = ports ? Json(meta.inner_src_port) : Json(nullptr);
    j["dport"] = ports ? Json(meta.inner_dst_port) : Json(nullptr);
    j["l3_off"] = Offset(meta.inner_l3_off);
    j["l4_off"] = Offset(meta.inner_l4_off);
    j["fragment"] = ip_ok ? Json(FragmentName(data, len, meta.inner_l3, meta.inner_l3_off,
                                              meta.inner_is_fragment != 0))
                          : Json(nullptr);
    return j;
  } else {
    (void)data;
    (void)len;
    (void)meta;
    return nullptr;
  }
}

Json Describe(uint64_t n, const uint8_t* data, uint32_t len, const pkt::PktMeta& meta) {
  const bool ok = meta.verdict == pkt::ParseVerdict::kOk;
  // The verdicts are listed in layer order: every reason after the IPv6 length check (and
  // before "not contiguous") failed past a whole IP header.
  const auto reason = static_cast<unsigned>(meta.verdict);
  const bool past_ip =
      ok || (reason > static_cast<unsigned>(pkt::ParseVerdict::kBadIpv6PayloadLength) &&
             meta.verdict != pkt::ParseVerdict::kHeadersNotContiguous) ||
      meta.l4_off != pkt::kNoOffset;
  const bool ip_ok = IsIp(meta.l3) && meta.l3_off != pkt::kNoOffset && past_ip;
  const bool v4 = meta.l3 == pkt::L3Type::kIpv4;
  const bool ports = ip_ok && meta.l4_off != pkt::kNoOffset && HasPorts(meta.ip_proto) &&
                     !meta.is_fragment;

  Json vlans = Json::array();
  for (unsigned i = 0; i < meta.vlan_count && i < pkt::kMaxVlans; ++i)
    vlans.push_back(meta.vlan_tci[i] & 0x0fffu);

  Json j;
  j["n"] = n;
  j["len"] = len;
  j["verdict"] = ok ? std::string("ok")
                    : fmt::format("malformed:{}", pkt::VerdictName(meta.verdict));
  j["vlans"] = std::move(vlans);
  j["l3"] = L3Name(meta.l3);
  j["src"] = ip_ok ? Address(data + meta.l3_off + (v4 ? 12 : 8), meta.l3) : nullptr;
  j["dst"] = ip_ok ? Address(data + meta.l3_off + (v4 ? 16 : 24), meta.l3) : nullptr;
  j["proto"] = ip_ok ? Json(meta.ip_proto) : Json(nullptr);
  j["sport"] = ports ? Json(meta.src_port) : Json(nullptr);
  j["dport"] = ports ? Json(meta.dst_port) : Json(nullptr);
  j["l3_off"] = Offset(meta.l3_off);
  j["l4_off"] = Offset(meta.l4_off);
  j["fragment"] =
      ip_ok ? Json(FragmentName(data, len, meta.l3, meta.l3_off, meta.is_fragment != 0))
            : Json(nullptr);
  j["inner"] = Inner(data, len, meta);
  return j;
}

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

struct Summary {
  uint64_t frames = 0;
  std::map<std::string, uint64_t> verdicts;
  std::map<std::string, uint64_t> l3;
  std::map<std::string, uint64_t> l4;
  std::map<std::string, uint64_t> tunnels;

  void Add(const Json& j) {
    ++frames;
    ++verdicts[j["verdict"].get<std::string>()];
    ++l3[j["l3"].get<std::string>()];
    std::string l4_name = "none";
    if (!j["proto"].is_null() && !j["l4_off"].is_null()) {
      switch (j["proto"].get<unsigned>()) {
        case pkt::kIpProtoTcp: l4_name = "tcp"; break;
        case pkt::kIpProtoUdp: l4_name = "udp"; break;
        case pkt::kIpProtoIcmp: l4_name = "icmp"; break;
        case pkt::kIpProtoIcmpv6: l4_name = "icmpv6"; break;
        case 132: l4_name = "sctp"; break;
        default: l4_name = "other"; break;
      }
    } else if (!j["proto"].is_null()) {
      l4_name = j["fragment"] == "later" ? "fragment" : "unparsed";
    }
    ++l4[l4_name];
    if (!j["inner"].is_null()) {
      const Json& t = j["inner"]["tunnel"];
      ++tunnels[t.is_string() ? t.get<std::string>() : t.dump()];
    }
  }

  Json ToJson() const {
    Json j;
    j["frames"] = frames;
    j["verdict"] = verdicts;
    j["l3"] = l3;
    j["l4"] = l4;
    j["tunnel"] = tunnels.empty() ? Json::object() : Json(tunnels);
    return j;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  bool summary = false;
  bool no_tunnels = false;
  Settings settings;
  CLI::App app{
      "Parses every frame of an Ethernet pcap with ingestd's ParseFrame and prints one JSON "
      "object per frame (JSON Lines)."};
  app.add_option("FILE", path, "Ethernet (DLT_EN10MB) pcap to read")->required();
  app.set_version_flag("--version", std::string("ingest-inspect ") + INGESTD_VERSION);
  app.add_flag("--summary", summary, "print counts by verdict and by layer instead");
  app.add_flag("--no-tunnels", no_tunnels,
               "do not look through tunnels (default: every tunnel the parser knows)");
  app.add_option("--vlan-depth", settings.vlan_depth, "VLAN tags accepted (parsers with options)")
      ->check(CLI::Range(0u, 4u))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  settings.tunnels = !no_tunnels;

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> pcap(pcap_open_offline(path.c_str(), errbuf));
  if (!pcap) {
    fmt::print(stderr, "ingest-inspect: {}: not a readable pcap: {}\n", path, errbuf);
    return 1;
  }
  if (pcap_datalink(pcap.get()) != DLT_EN10MB) {
    fmt::print(stderr, "ingest-inspect: {}: not an Ethernet capture (link type {})\n", path,
               pcap_datalink(pcap.get()));
    return 1;
  }

  Summary counts;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  uint64_t n = 0;
  std::string line;
  while ((rc = pcap_next_ex(pcap.get(), &header, &data)) == 1) {
    pkt::PktMeta meta{};
    Parse(data, header->caplen, meta, settings);
    const Json j = Describe(++n, data, header->caplen, meta);
    if (summary) {
      counts.Add(j);
    } else {
      line = j.dump();
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  }
  if (rc != PCAP_ERROR_BREAK) {
    fmt::print(stderr, "ingest-inspect: {}: read error after frame {}: {}\n", path, n,
               pcap_geterr(pcap.get()));
    return 1;
  }
  if (summary) fmt::print("{}\n", counts.ToJson().dump(2));
  if (std::fflush(stdout) != 0) {
    std::perror("ingest-inspect: stdout");
    return 1;
  }
  return 0;
}
