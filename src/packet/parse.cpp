// SPDX-License-Identifier: BSD-3-Clause
// ParseFrame: the layers of parse_layers.hpp in order, each writing only what it parsed.
#include "ingestd/packet/parse.hpp"

#include <algorithm>

#include "parse_layers.hpp"

namespace ingestd::packet {

ParseVerdict ParseFrame(const uint8_t* data, uint32_t data_len, uint32_t pkt_len, PktMeta& meta,
                        const ParseOptions& opts, uint64_t ol_flags) noexcept {
  meta.l3 = L3Type::kNone;
  meta.l3_off = kNoOffset;
  meta.l4_off = kNoOffset;
  meta.ethertype = 0;
  meta.ip_proto = 0;
  meta.vlan_count = 0;
  meta.vlan_tci[0] = 0;
  meta.vlan_tci[1] = 0;
  meta.src_port = 0;
  meta.dst_port = 0;
  meta.l4_len = 0;
  meta.is_fragment = 0;
  meta.tunnel = TunnelType::kNone;
  meta.inner_l3_off = kNoOffset;
  meta.inner_l4_off = kNoOffset;
  meta.tunnel_id = 0;
  meta.mpls_label = 0;
  meta.inner_src_port = 0;
  meta.inner_dst_port = 0;
  meta.inner_l3 = L3Type::kNone;
  meta.inner_ip_proto = 0;
  meta.mpls_count = 0;
  meta.inner_is_fragment = 0;

  const detail::Frame f{data, data_len};
  uint16_t ethertype = 0;
  uint32_t l3_off = 0;
  ParseVerdict v =
      detail::ParseEthernet(f, 0, pkt_len, std::min<unsigned>(opts.vlan_depth, kMaxVlanDepth),
                            meta.vlan_count, meta.vlan_tci, ethertype, l3_off);
  if (v != ParseVerdict::kOk) {
    meta.verdict = v;
    return v;
  }
  L3Type l3 = detail::L3FromEtherType(ethertype);
  if (ethertype == kEtherTypeMpls || ethertype == kEtherTypeMplsMulticast) [[unlikely]] {
    v = detail::ParseMpls(f, l3_off, pkt_len, meta, l3);
    if (v != ParseVerdict::kOk) {
      meta.verdict = v;
      return v;
    }
  }
  meta.ethertype = ethertype;
  detail::IpView ip;
  v = detail::ParseL3(f, pkt_len, l3_off, l3, opts.verify_ipv4_checksum,
                      ol_flags & kRxIpCksumMask, ip);
  meta.l3 = ip.l3;
  meta.l3_off = ip.l3_off;
  meta.l4_off = ip.l4_off;
  meta.ip_proto = ip.ip_proto;
  meta.src_port = ip.src_port;
  meta.dst_port = ip.dst_port;
  meta.l4_len = ip.l4_len;
  meta.is_fragment = ip.is_fragment;
  if (v == ParseVerdict::kOk && opts.tunnels != 0 && !ip.is_fragment && !ip.more_fragments)
    v = detail::ParseTunnel(f, ip, opts, meta);
  meta.verdict = v;
  return v;
}

}  // namespace ingestd::packet
