// SPDX-License-Identifier: BSD-3-Clause
// Decoding, deep copies and serialisation of the owned packet objects. `copied` counts the
// packet bytes each call copies into owned storage (addresses, options, payload); scalar
// header fields are decoded, not counted.
#include "owned_packet.hpp"

#include <algorithm>

#include "ingestd/packet/parse.hpp"

namespace ingestd::bench::owned {

namespace {

using packet::detail::Load16;
using packet::detail::Load32;

MacAddress ReadMac(const uint8_t* p) noexcept {
  MacAddress m;
  std::copy_n(p, m.octets.size(), m.octets.begin());
  return m;
}

IpAddress ReadIp(const uint8_t* p, uint8_t length) noexcept {
  IpAddress a;
  a.length = length;
  std::copy_n(p, length, a.bytes.begin());
  return a;
}

}  // namespace

// ---------------------------------------------------------------- Ethernet

std::unique_ptr<EthernetHeader> EthernetHeader::Decode(std::span<const uint8_t> frame,
                                                       const packet::PktMeta& meta,
                                                       uint64_t& copied) {
  const uint8_t* p = frame.data();
  auto h = std::make_unique<EthernetHeader>();
  h->dst = ReadMac(p);
  h->src = ReadMac(p + 6);
  copied += 12;
  uint32_t off = 12;
  h->vlans.reserve(meta.vlan_count);
  for (unsigned i = 0; i < meta.vlan_count; ++i, off += 4)
    h->vlans.push_back({Load16(p + off), Load16(p + off + 2)});
  h->ethertype = Load16(p + off);
  off += 2;
  h->mpls_labels.reserve(meta.mpls_count);
  for (unsigned i = 0; i < meta.mpls_count; ++i, off += 4)
    h->mpls_labels.push_back(Load32(p + off));
  return h;
}

std::unique_ptr<EthernetHeader> EthernetHeader::Clone(uint64_t& copied) const {
  copied += 12;
  return std::make_unique<EthernetHeader>(*this);
}

void EthernetHeader::EncodeTo(ByteWriter& w) const {
  w.PutBytes(dst.octets);
  w.PutBytes(src.octets);
  for (const VlanTag& t : vlans) {
    w.Put16(t.tpid);
    w.Put16(t.tci);
  }
  w.Put16(ethertype);
  for (const uint32_t label : mpls_labels) w.Put32(label);
}

// ---------------------------------------------------------------- IPv4

std::unique_ptr<Ipv4Header> Ipv4Header::Decode(const uint8_t* p, uint32_t header_len,
                                               uint64_t& copied) {
  auto h = std::make_unique<Ipv4Header>();
  h->version_ihl = p[0];
  h->tos = p[1];
  h->total_length = Load16(p + 2);
  h->identification = Load16(p + 4);
  h->flags_fragment = Load16(p + 6);
  h->ttl = p[8];
  h->protocol = p[9];
  h->checksum = Load16(p + 10);
  h->src = ReadIp(p + 12, 4);
  h->dst = ReadIp(p + 16, 4);
  h->options.assign(p + 20, p + header_len);
  copied += 8 + h->options.size();
  return h;
}

std::unique_ptr<NetworkHeader> Ipv4Header::Clone(uint64_t& copied) const {
  copied += 8 + options.size();
  return std::make_unique<Ipv4Header>(*this);
}

void Ipv4Header::EncodeTo(ByteWriter& w) const {
  w.Put8(version_ihl);
  w.Put8(tos);
  w.Put16(total_length);
  w.Put16(identification);
  w.Put16(flags_fragment);
  w.Put8(ttl);
  w.Put8(protocol);
  w.Put16(checksum);  // kept: only the Ethernet header changes
  w.PutBytes(src.Span());
  w.PutBytes(dst.Span());
  w.PutBytes(options);
}

// ---------------------------------------------------------------- IPv6

std::unique_ptr<Ipv6Header> Ipv6Header::Decode(const uint8_t* p, uint32_t ext_len,
                                               uint64_t& copied) {
  auto h = std::make_unique<Ipv6Header>();
  h->version_class_flow = Load32(p);
  h->payload_length = Load16(p + 4);
  h->next_header = p[6];
  h->hop_limit = p[7];
  h->src = ReadIp(p + 8, 16);
  h->dst = ReadIp(p + 24, 16);
  h->extension_headers.assign(p + 40, p + 40 + ext_len);
  copied += 32 + ext_len;
  return h;
}

std::unique_ptr<NetworkHeader> Ipv6Header::Clone(uint64_t& copied) const {
  copied += 32 + extension_headers.size();
  return std::make_unique<Ipv6Header>(*this);
}

void Ipv6Header::EncodeTo(ByteWriter& w) const {
  w.Put32(version_class_flow);
  w.Put16(payload_length);
  w.Put8(next_header);
  w.Put8(hop_limit);
  w.PutBytes(src.Span());
  w.PutBytes(dst.Span());
  w.PutBytes(extension_headers);
}

// ---------------------------------------------------------------- ARP

std::unique_ptr<ArpHeader> ArpHeader::Decode(const uint8_t* p, uint64_t& copied) {
  auto h = std::make_unique<ArpHeader>();
  h->hardware_type = Load16(p);
  h->protocol_type = Load16(p + 2);
  h->hardware_length = p[4];
  h->protocol_length = p[5];
  h->operation = Load16(p + 6);
  h->sender_mac = ReadMac(p + 8);
  h->sender_ip = ReadIp(p + 14, 4);
  h->target_mac = ReadMac(p + 18);
  h->target_ip = ReadIp(p + 24, 4);
  copied += 20;
  return h;
}

std::unique_ptr<NetworkHeader> ArpHeader::Clone(uint64_t& copied) const {
  copied += 20;
  return std::make_unique<ArpHeader>(*this);
}

void ArpHeader::EncodeTo(ByteWriter& w) const {
  w.Put16(hardware_type);
  w.Put16(protocol_type);
  w.Put8(hardware_length);
  w.Put8(protocol_length);
  w.Put16(operation);
  w.PutBytes(sender_mac.octets);
  w.PutBytes(sender_ip.Span());
  w.PutBytes(target_mac.octets);
  w.PutBytes(target_ip.Span());
}

// ---------------------------------------------------------------- L4

std::unique_ptr<TransportHeader> TransportHeader::Decode(uint8_t proto, const uint8_t* p,
                                                         uint64_t& copied) {
  switch (proto) {
    case packet::kIpProtoTcp: {
      auto h = std::make_unique<TcpHeader>();
      h->src_port = Load16(p);
      h->dst_port = Load16(p + 2);
      h->seq = Load32(p + 4);
      h->ack = Load32(p + 8);
      h->offset_flags = Load16(p + 12);
      h->window = Load16(p + 14);
      h->checksum = Load16(p + 16);
      h->urgent = Load16(p + 18);
      h->options.assign(p + 20, p + (p[12] >> 4) * 4u);
      copied += h->options.size();
      return h;
    }
    case packet::kIpProtoUdp: {
      auto h = std::make_unique<UdpHeader>();
      h->src_port = Load16(p);
      h->dst_port = Load16(p + 2);
      h->length = Load16(p + 4);
      h->checksum = Load16(p + 6);
      return h;
    }
    case packet::kIpProtoSctp: {
      auto h = std::make_unique<SctpHeader>();
      h->src_port = Load16(p);
      h->dst_port = Load16(p + 2);
      h->verification_tag = Load32(p + 4);
      h->checksum = Load32(p + 8);
      return h;
    }
    default: {  // the parser sets l4_off for ICMP (IPv4) and ICMPv6 (IPv6) besides the above
      auto h = std::make_unique<IcmpHeader>();
      h->type = p[0];
      h->code = p[1];
      h->checksum = Load16(p + 2);
      h->rest = Load32(p + 4);
      return h;
    }
  }
}

std::unique_ptr<TransportHeader> TcpHeader::Clone(uint64_t& copied) const {
  copied += options.size();
  return std::make_unique<TcpHeader>(*this);
}

void TcpHeader::EncodeTo(ByteWriter& w) const {
  w.Put16(src_port);
  w.Put16(dst_port);
  w.Put32(seq);
  w.Put32(ack);
  w.Put16(offset_flags);
  w.Put16(window);
  w.Put16(checksum);
  w.Put16(urgent);
  w.PutBytes(options);
}

std::unique_ptr<TransportHeader> UdpHeader::Clone(uint64_t&) const {
  return std::make_unique<UdpHeader>(*this);
}

void UdpHeader::EncodeTo(ByteWriter& w) const {
  w.Put16(src_port);
  w.Put16(dst_port);
  w.Put16(length);
  w.Put16(checksum);
}

std::unique_ptr<TransportHeader> IcmpHeader::Clone(uint64_t&) const {
  return std::make_unique<IcmpHeader>(*this);
}

void IcmpHeader::EncodeTo(ByteWriter& w) const {
  w.Put8(type);
  w.Put8(code);
  w.Put16(checksum);
  w.Put32(rest);
}

std::unique_ptr<TransportHeader> SctpHeader::Clone(uint64_t&) const {
  return std::make_unique<SctpHeader>(*this);
}

void SctpHeader::EncodeTo(ByteWriter& w) const {
  w.Put16(src_port);
  w.Put16(dst_port);
  w.Put32(verification_tag);
  w.Put32(checksum);
}

// ---------------------------------------------------------------- packet

std::unique_ptr<ParsedPacket> ParsedPacket::Decode(const RawFrame& raw, const packet::PktMeta& meta,
                                                   uint64_t& copied) {
  const std::span<const uint8_t> frame(raw.bytes);
  const uint8_t* p = frame.data();
  auto pkt = std::make_unique<ParsedPacket>();
  pkt->seq = raw.seq;
  pkt->rx_tsc = raw.rx_tsc;
  pkt->in_port = raw.in_port;
  pkt->ethernet = EthernetHeader::Decode(frame, meta, copied);
  const uint32_t l3 = meta.l3_off;  // set whenever the verdict is kOk
  uint32_t next = l3;               // first byte not yet decoded
  switch (meta.l3) {
    case packet::L3Type::kIpv4: {
      const uint32_t header_len = (p[l3] & 0x0fu) * 4u;
      pkt->network = Ipv4Header::Decode(p + l3, header_len, copied);
      next = l3 + header_len;
      break;
    }
    case packet::L3Type::kIpv6: {
      // Extension headers before a parsed L4 are kept raw; without one they stay payload.
      const uint32_t ext_len =
          meta.l4_off != packet::kNoOffset ? meta.l4_off - l3 - packet::kIpv6HeaderLen : 0;
      pkt->network = Ipv6Header::Decode(p + l3, ext_len, copied);
      next = l3 + packet::kIpv6HeaderLen + ext_len;
      break;
    }
    case packet::L3Type::kArp:
      pkt->network = ArpHeader::Decode(p + l3, copied);
      next = l3 + packet::kArpLen;
      break;
    default:
      break;  // an EtherType nobody decodes: forwarded as payload
  }
  if (meta.l4_off != packet::kNoOffset) {
    pkt->transport = TransportHeader::Decode(meta.ip_proto, p + meta.l4_off, copied);
    next = meta.l4_off + static_cast<uint32_t>(pkt->transport->EncodedLength());
  }
  pkt->payload.assign(frame.begin() + next, frame.end());
  copied += pkt->payload.size();
  return pkt;
}

std::unique_ptr<ParsedPacket> ParsedPacket::Clone(uint64_t& copied) const {
  auto c = std::make_unique<ParsedPacket>();
  c->seq = seq;
  c->rx_tsc = rx_tsc;
  c->in_port = in_port;
  c->ethernet = ethernet->Clone(copied);
  if (network) c->network = network->Clone(copied);
  if (transport) c->transport = transport->Clone(copied);
  c->payload = payload;
  copied += payload.size();
  return c;
}

size_t ParsedPacket::EncodedLength() const noexcept {
  return ethernet->EncodedLength() + (network ? network->EncodedLength() : 0) +
         (transport ? transport->EncodedLength() : 0) + payload.size();
}

void ParsedPacket::EncodeTo(ByteWriter& w) const {
  ethernet->EncodeTo(w);
  if (network) network->EncodeTo(w);
  if (transport) transport->EncodeTo(w);
  w.PutBytes(payload);
}

}  // namespace ingestd::bench::owned
