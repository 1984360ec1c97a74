// SPDX-License-Identifier: BSD-3-Clause
// A port's `encode:` section: VLAN push/pop/set, truncation, VXLAN or GRE encapsulation.
#include "encode_loader.hpp"

#include <arpa/inet.h>

#include <cstring>

#include <fmt/format.h>

namespace ingestd::config::internal {
namespace {

const std::vector<std::string> kEncodeKeys = {"vlan", "truncate", "encap"};
const std::vector<std::string> kVlanKeys = {"push", "pop", "set", "pcp"};
const std::vector<std::string> kEncapKeys = {"type", "id", "src", "dst", "src_mac", "dst_mac", "udp_port", "ttl"};
const std::vector<std::string> kEncapTypes = {"vxlan", "gre"};

class EncodeLoader : ValueReader {
 public:
  explicit EncodeLoader(Diagnostics& diag) : ValueReader(diag) {}

  void Run(const Field& field, EncodeConfig& out) {
    MapReader r(diag_, field.value, "encode", kEncodeKeys, field.at);
    if (!r.is_map()) return;
    if (const Field* f = r.Get("vlan")) Vlan(*f, out);
    Set(r.Get("truncate"), out.truncate, 60, 9600);
    if (const Field* f = r.Get("encap")) Encap(*f, out.encap);
    r.Finish("in encode");
  }

 private:
  void Vlan(const Field& field, EncodeConfig& out) {
    MapReader r(diag_, field.value, "vlan", kVlanKeys, field.at);
    if (!r.is_map()) return;
    const Field* push = r.Get("push");
    const Field* pop = r.Get("pop");
    const Field* set = r.Get("set");
    if ((push != nullptr) + (pop != nullptr) + (set != nullptr) != 1) {
      diag_.Error(field.at, "vlan: give exactly one of push, pop, set",
                  "{push: 100} adds a tag, {pop: true} removes the outer one, {set: 200} rewrites its id");
    }
    uint16_t pcp = 0;
    if (const Field* f = r.Get("pcp")) {
      Set(f, pcp, 0, 7);
      if (!push) diag_.Error(f->key_at, "pcp applies to a pushed tag only");
    }
    if (push) {
      uint16_t id = 0;
      Set(push, id, 0, 4095);
      out.vlan = EncodeConfig::Vlan::kPush;
      out.vlan_tci = static_cast<uint16_t>(pcp << 13 | id);
    } else if (pop) {
      if (std::optional<bool> b = Bool(*pop); b && !*b) diag_.Error(pop->at, "pop: false does nothing", "leave vlan out");
      out.vlan = EncodeConfig::Vlan::kPop;
    } else if (set) {
      Set(set, out.vlan_tci, 0, 4095);
      out.vlan = EncodeConfig::Vlan::kSet;
    }
    r.Finish("in vlan");
  }

  std::optional<std::array<uint8_t, 4>> Ipv4(const Field& f) {
    std::optional<std::string> s = String(f);
    if (!s) return std::nullopt;
    std::array<uint8_t, 4> a{};
    if (inet_pton(AF_INET, s->c_str(), a.data()) != 1) {
      diag_.Error(f.at, fmt::format("{}: '{}' is not an IPv4 address", f.key, Printable(*s)),
                  "the outer header is IPv4: write e.g. 192.0.2.1");
      return std::nullopt;
    }
    return a;
  }

  void Encap(const Field& field, EncapConfig& e) {
    MapReader r(diag_, field.value, "encap", kEncapKeys, field.at);
    if (!r.is_map()) return;
    if (const Field* f = r.Require("type", "in encap")) {
      if (std::optional<size_t> t = Choice(*f, kEncapTypes))
        e.type = *t == 0 ? EncapConfig::Type::kVxlan : EncapConfig::Type::kGre;
    }
    if (const Field* f = r.Get("id")) {
      Set(f, e.id, 0, e.type == EncapConfig::Type::kVxlan ? 0xffffff : 0xffffffff);
      e.gre_key = e.type == EncapConfig::Type::kGre;
    } else if (e.type == EncapConfig::Type::kVxlan) {
      diag_.Error(field.at, "encap type vxlan needs an id (the VNI, 0..16777215)");
    }
    for (const char* key : {"src", "dst"}) {
      if (const Field* f = r.Require(key, "in encap")) {
        if (auto a = Ipv4(*f)) std::memcpy(key[0] == 's' ? e.src_ip : e.dst_ip, a->data(), 4);
      }
    }
    for (const char* key : {"src_mac", "dst_mac"}) {
      if (const Field* f = r.Require(key, "in encap")) {
        if (auto m = Mac(*f)) (key[0] == 's' ? e.src_mac : e.dst_mac) = *m;
      }
    }
    if (const Field* f = r.Get("udp_port")) {
      Set(f, e.udp_port, 1, 65535);
      if (e.type != EncapConfig::Type::kVxlan) diag_.Error(f->key_at, "udp_port applies to vxlan only");
    }
    Set(r.Get("ttl"), e.ttl, 1, 255);
    r.Finish("in encap");
  }
};

}  // namespace

void LoadEncode(const Field& field, Diagnostics& diag, EncodeConfig& out) { EncodeLoader(diag).Run(field, out); }

}  // namespace ingestd::config::internal
