// SPDX-License-Identifier: BSD-3-Clause
// The `rules:` section: match fields and actions, each error at its line:col with a hint.
#include "rules_loader.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace ingestd::config::internal {
namespace {

const std::vector<std::string> kRuleKeys = {"name", "in", "match", "forward", "drop",
                                            "mirror", "sample", "balance", "count"};
const std::vector<std::string> kMatchKeys = {"vlan", "ethertype", "src", "dst", "proto", "src_port",
                                             "dst_port", "tcp_flags", "dscp", "inner"};
const std::vector<std::string> kInnerKeys = {"src", "dst", "proto", "src_port", "dst_port"};

struct Named {
  const char* name;
  uint16_t value;
};
constexpr Named kProtocols[] = {{"icmp", 1}, {"igmp", 2}, {"ipip", 4},     {"tcp", 6},
                                {"udp", 17}, {"ipv6", 41}, {"gre", 47},    {"esp", 50},
                                {"ah", 51},  {"icmpv6", 58}, {"sctp", 132}};
constexpr Named kEthertypes[] = {{"ipv4", 0x0800}, {"arp", 0x0806}, {"ipv6", 0x86dd},
                                 {"mpls", 0x8847}, {"lldp", 0x88cc}};
// Bit i of the TCP flags byte.
constexpr const char* kTcpFlags[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"};
constexpr uint8_t kTcp = 6;

template <size_t N>
std::vector<std::string> Names(const Named (&table)[N]) {
  std::vector<std::string> out;
  for (const Named& n : table) out.emplace_back(n.name);
  return out;
}

class RulesLoader : ValueReader {
 public:
  RulesLoader(Diagnostics& diag, const PortLookup& port_by_name) : ValueReader(diag), port_by_name_(port_by_name) {}

  void Run(const Field& field, std::vector<RuleConfig>& out) {
    if (!List(field)) return;
    if (field.value.size() > kMaxRules) {
      diag_.Error(field.at, fmt::format("{} rules: at most {} are supported", field.value.size(), kMaxRules));
      return;
    }
    std::map<std::string, int> names;  // name -> line of first use
    size_t position = 0;
    for (const YAML::Node& node : field.value) {
      ++position;
      std::optional<RuleConfig> rule = Rule(node, position);
      if (!rule) continue;
      if (auto [it, fresh] = names.emplace(rule->name, rule->line); !fresh) {
        diag_.Error({rule->line, rule->column}, fmt::format("duplicate rule name '{}'", Printable(rule->name)),
                    fmt::format("it is first used at line {}", it->second));
        continue;
      }
      out.push_back(std::move(*rule));
    }
  }

 private:
  std::optional<RuleConfig> Rule(const YAML::Node& node, size_t position) {
    RuleConfig rule;
    const Mark at = MarkOf(node);
    rule.line = at.line;
    rule.column = at.column;
    rule.name = fmt::format("rule{}", position);
    MapReader r(diag_, node, "a rule", kRuleKeys, at);
    if (!r.is_map()) return std::nullopt;
    const size_t errors_before = diag_.count();
    if (const Field* f = r.Get("name")) {
      if (std::optional<std::string> s = String(*f)) {
        if (IsRuleName(*s)) {
          rule.name = *s;
        } else {
          diag_.Error(f->at, fmt::format("rule name '{}' is not a name", Printable(*s)),
                      "use 1-64 of [A-Za-z0-9_.-], starting with a letter");
        }
      }
    }
    if (const Field* f = r.Get("in")) {
      if (std::optional<std::string> s = String(*f)) rule.match.in_port = port_by_name_(*s, f->at, "rule in:");
    }
    if (const Field* f = r.Get("match")) Match(*f, rule.match);
    Actions(r, at, rule.action);
    r.Finish(fmt::format("in rule '{}'", Printable(rule.name)));
    if (diag_.count() != errors_before) return std::nullopt;
    return rule;
  }

  static bool IsRuleName(std::string_view s) {
    if (s.empty() || s.size() > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
    for (char c : s) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' || c == '-';
      if (!ok) return false;
    }
    return true;
  }

  void Match(const Field& field, RuleMatch& m) {
    if (field.value.IsNull()) return;  // `match:` with nothing: every packet
    MapReader r(diag_, field.value, "match", kMatchKeys, field.at);
    if (!r.is_map()) return;
    Ip(r, m.outer);
    if (const Field* f = r.Get("vlan")) {
      if (std::optional<uint64_t> v = Uint(*f, 0, 4095)) m.vlan = static_cast<uint16_t>(*v);
    }
    if (const Field* f = r.Get("ethertype")) {
      if (std::optional<uint16_t> v = NameOrNumber(*f, kEthertypes, 0xffff)) m.ethertype = *v;
    }
    if (const Field* f = r.Get("dscp")) {
      if (std::optional<uint64_t> v = Uint(*f, 0, 63)) m.dscp = static_cast<uint8_t>(*v);
    }
    if (const Field* f = r.Get("tcp_flags")) {
      TcpFlags(*f, m);
      if (m.outer.proto && *m.outer.proto != kTcp) {
        diag_.Error(f->at, "tcp_flags with a protocol other than tcp never matches", "drop tcp_flags or use proto: tcp");
      }
      m.outer.proto = kTcp;
    }
    if (const Field* f = r.Get("inner")) {
      m.has_inner = true;
      if (!f->value.IsNull()) {
        MapReader inner(diag_, f->value, "inner", kInnerKeys, f->at);
        if (inner.is_map()) {
          Ip(inner, m.inner);
          inner.Finish("in inner");
        }
      }
    }
    r.Finish("in match");
  }

  void Ip(MapReader& r, IpMatch& ip) {
    if (const Field* f = r.Get("src")) ip.src = Prefix(*f);
    if (const Field* f = r.Get("dst")) ip.dst = Prefix(*f);
    if (const Field* f = r.Get("proto")) {
      if (std::optional<uint16_t> v = NameOrNumber(*f, kProtocols, 255)) ip.proto = static_cast<uint8_t>(*v);
    }
    if (const Field* f = r.Get("src_port")) Range(*f, ip.src_port);
    if (const Field* f = r.Get("dst_port")) Range(*f, ip.dst_port);
    if (ip.src && ip.dst && ip.src->v4 != ip.dst->v4) {
      diag_.Error(r.Get("dst")->at, "src is IPv4 and dst IPv6 (or the other way): no packet has both",
                  "write both as IPv4 or both as IPv6");
    }
  }

  template <size_t N>
  std::optional<uint16_t> NameOrNumber(const Field& f, const Named (&table)[N], uint64_t max) {
    std::optional<std::string> s = String(f);
    if (!s) return std::nullopt;
    for (const Named& n : table)
      if (*s == n.name) return n.value;
    uint64_t v = 0;
    const bool hex = s->starts_with("0x") || s->starts_with("0X");
    const char* first = s->data() + (hex ? 2 : 0);
    const char* last = s->data() + s->size();
    const auto [ptr, ec] = std::from_chars(first, last, v, hex ? 16 : 10);
    if (first == last || ec != std::errc() || ptr != last || v > max) {
      std::string hint = DidYouMean(*s, Names(table));
      if (hint.empty()) hint = fmt::format("a number 0..{} (0x.. for hex) or one of {}", max, JoinNames(Names(table)));
      diag_.Error(f.at, fmt::format("{}: '{}' is not a known name or a number 0..{}", f.key, Printable(*s), max), hint);
      return std::nullopt;
    }
    return static_cast<uint16_t>(v);
  }

  /// "10.0.0.0/8", "2001:db8::/32", or an address alone (a /32 or /128).
  std::optional<Cidr> Prefix(const Field& f) {
    std::optional<std::string> s = String(f);
    if (!s) return std::nullopt;
    const size_t slash = s->find('/');
    const std::string addr = s->substr(0, slash);
    Cidr c;
    in_addr v4{};
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
      c.v4 = true;
      c.addr[10] = c.addr[11] = 0xff;
      std::memcpy(&c.addr[12], &v4, 4);
    } else if (inet_pton(AF_INET6, addr.c_str(), c.addr.data()) != 1) {
      diag_.Error(f.at, fmt::format("{}: '{}' is not an IPv4 or IPv6 address", f.key, Printable(addr)),
                  "write a prefix such as 10.0.0.0/8 or 2001:db8::/32");
      return std::nullopt;
    }
    const unsigned width = c.v4 ? 32 : 128;
    unsigned len = width;
    if (slash != std::string::npos) {
      const std::string_view digits = std::string_view(*s).substr(slash + 1);
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || len > width) {
        diag_.Error(f.at, fmt::format("{}: '{}' has no prefix length 0..{} after '/'", f.key, Printable(*s), width));
        return std::nullopt;
      }
    }
    c.prefix = static_cast<uint8_t>(c.v4 ? len + 96 : len);
    Cidr network = c;
    for (unsigned bit = c.prefix; bit < 128; ++bit) network.addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    if (network.addr != c.addr) {
      char text[INET6_ADDRSTRLEN] = {};
      if (c.v4) {
        inet_ntop(AF_INET, &network.addr[12], text, sizeof text);
      } else {
        inet_ntop(AF_INET6, network.addr.data(), text, sizeof text);
      }
      diag_.Error(f.at, fmt::format("{}: '{}' has bits set past its prefix length", f.key, Printable(*s)),
                  fmt::format("did you mean {}/{}?", text, len));
      return std::nullopt;
    }
    return c;
  }

  /// 53, or "1024-65535".
  void Range(const Field& f, PortRange& out) {
    std::optional<std::string> s = String(f);
    if (!s) return;
    const size_t dash = s->find('-');
    auto number = [](std::string_view d, uint16_t& v) {
      const auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
      return !d.empty() && ec == std::errc() && ptr == d.data() + d.size();
    };
    PortRange r;
    const std::string_view text(*s);
    const bool ok = dash == std::string::npos
                        ? number(text, r.lo) && (r.hi = r.lo, true)
                        : number(text.substr(0, dash), r.lo) && number(text.substr(dash + 1), r.hi);
    if (!ok || r.lo > r.hi) {
      diag_.Error(f.at, fmt::format("{}: '{}' is not a port or a range lo-hi within 0..65535", f.key, Printable(*s)),
                  "write 53 or \"1024-65535\"");
      return;
    }
    out = r;
  }

  /// [syn, "!ack"]: flags that must be set, and ("!") clear.
  void TcpFlags(const Field& f, RuleMatch& m) {
    if (!List(f)) return;
    for (const YAML::Node& item : f.value) {
      const Mark at = MarkOf(item);
      std::string s = item.IsScalar() ? item.Scalar() : std::string();
      const bool clear = s.starts_with('!');
      if (clear) s.erase(0, 1);
      int bit = -1;
      for (int i = 0; i < 8; ++i)
        if (s == kTcpFlags[i]) bit = i;
      if (bit < 0) {
        const std::vector<std::string> names(std::begin(kTcpFlags), std::end(kTcpFlags));
        std::string hint = DidYouMean(s, names);
        if (hint.empty()) hint = fmt::format("flags are {}; \"!flag\" means clear", JoinNames(names));
        diag_.Error(at, fmt::format("tcp_flags: {} is not a TCP flag", Describe(item)), hint);
        continue;
      }
      const uint8_t b = static_cast<uint8_t>(1u << bit);
      m.tcp_flags_mask |= b;
      if (clear) {
        m.tcp_flags_value &= static_cast<uint8_t>(~b);
      } else {
        m.tcp_flags_value |= b;
      }
    }
  }

  std::optional<uint16_t> Port(const Field& f) {
    std::optional<std::string> s = String(f);
    return s ? port_by_name_(*s, f.at, f.key) : std::nullopt;
  }

  void Actions(MapReader& r, Mark at, RuleAction& a) {
    const Field* drop = r.Get("drop");
    const Field* forward = r.Get("forward");
    const Field* balance = r.Get("balance");
    const Field* mirror = r.Get("mirror");
    const Field* sample = r.Get("sample");
    const Field* count = r.Get("count");
    if (!drop && !forward && !balance && !mirror && !sample && !count) {
      diag_.Error(at, "a rule needs an action",
                  "add forward: PORT, balance: [PORTS], drop: true, mirror: PORT, sample: N or count: true");
      return;
    }
    if (drop) {
      if (std::optional<bool> b = Bool(*drop)) {
        a.drop = *b;
        if (!*b) diag_.Error(drop->at, "drop: false is no action", "leave drop out");
      }
      for (const Field* other : {forward, balance, mirror, sample, count}) {
        if (other) diag_.Error(other->key_at, fmt::format("{} with drop: a dropped packet goes nowhere", other->key));
      }
    }
    if (count) {
      if (std::optional<bool> b = Bool(*count); b && !*b) diag_.Error(count->at, "count: false is no action", "leave count out");
    }
    if (forward && balance) {
      diag_.Error(balance->key_at, "forward and balance both choose the output: give one");
    }
    if (forward) a.forward = Port(*forward);
    if (mirror) a.mirror = Port(*mirror);
    if (sample) {
      if (std::optional<uint64_t> n = Uint(*sample, 1, 1u << 24)) a.sample = static_cast<uint32_t>(*n);
    }
    if (balance && List(*balance)) {
      if (balance->value.size() == 0 || balance->value.size() > 64) {
        diag_.Error(balance->at, "balance: give 1 to 64 ports");
      }
      for (const YAML::Node& item : balance->value) {
        const Mark item_at = MarkOf(item);
        if (!item.IsScalar()) {
          diag_.Error(item_at, fmt::format("balance: expected a port name, got {}", Describe(item)));
          continue;
        }
        if (std::optional<uint16_t> p = port_by_name_(item.Scalar(), item_at, "balance")) a.balance.push_back(*p);
      }
    }
  }

  const PortLookup& port_by_name_;
};

}  // namespace

void LoadRules(const Field& field, Diagnostics& diag, const PortLookup& port_by_name,
               std::vector<RuleConfig>& out) {
  RulesLoader(diag, port_by_name).Run(field, out);
}

}  // namespace ingestd::config::internal
