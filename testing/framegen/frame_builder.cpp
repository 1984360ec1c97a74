// SPDX-License-Identifier: BSD-3-Clause
// FrameBuilder, pcap I/O and the deterministic traffic mixes behind ingest-gen and the tests.
#include "ingestd/framegen/frame_builder.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <utility>

namespace ingestd::framegen {
namespace {

using packet::ParseVerdict;

constexpr uint8_t kIpProtoTesting = 253;  // RFC 3692: "use for experimentation and testing"
constexpr uint8_t kIpv6NoNextHeader = 59;
constexpr size_t kMaxOptionsLen = 40;  // IPv4 IHL and TCP data offset are 4 bits of words

void Put8(Bytes& out, uint8_t v) { out.push_back(v); }
void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
void Append(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}
void Store16(Bytes& out, size_t off, uint16_t v) {
  out[off] = static_cast<uint8_t>(v >> 8);
  out[off + 1] = static_cast<uint8_t>(v);
}

uint16_t CheckedLength(size_t len, const char* what) {
  if (len > UINT16_MAX) throw std::logic_error(std::string(what) + " exceeds 65535 bytes");
  return static_cast<uint16_t>(len);
}

// Options are written in whole 32-bit words; a trailing partial word is padded with EOL (0).
Bytes PaddedOptions(const Bytes& options, const char* what) {
  Bytes padded = options;
  padded.resize((padded.size() + 3) / 4 * 4, 0);
  if (padded.size() > kMaxOptionsLen)
    throw std::logic_error(std::string(what) + " options exceed 40 bytes");
  return padded;
}

// RFC 1071 Internet checksum, accumulated over several spans (all but the last even-sized).
class Checksum {
 public:
  Checksum& Add(std::span<const uint8_t> bytes) {
    size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2)
      sum_ += static_cast<uint32_t>(bytes[i] << 8 | bytes[i + 1]);
    if (i < bytes.size()) sum_ += static_cast<uint32_t>(bytes[i] << 8);
    return *this;
  }
  Checksum& Add16(uint16_t v) {
    sum_ += v;
    return *this;
  }
  uint16_t Finish() const {
    uint64_t s = sum_;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
  }

 private:
  uint64_t sum_ = 0;
};

// Flipping the low bit always changes the one's-complement value (unlike ~, which maps the
// two encodings of zero, 0x0000 and 0xffff, onto each other).
uint16_t MaybeCorrupt(uint16_t checksum, bool corrupt) {
  return corrupt ? static_cast<uint16_t>(checksum ^ 1u) : checksum;
}

}  // namespace

// ---- FrameBuilder -----------------------------------------------------------------------

FrameBuilder& FrameBuilder::Ethernet(const MacAddr& dst, const MacAddr& src) {
  dst_ = dst;
  src_ = src;
  return *this;
}

FrameBuilder& FrameBuilder::Vlan(uint16_t tci, uint16_t tpid) {
  vlans_.push_back({tci, tpid});
  return *this;
}

void FrameBuilder::SetL3(L3 l3) {
  if (!std::holds_alternative<std::monostate>(l3_))
    throw std::logic_error("frame already has an L3 layer");
  l3_ = std::move(l3);
}

void FrameBuilder::SetL4(L4 l4) {
  if (!std::holds_alternative<std::monostate>(l4_))
    throw std::logic_error("frame already has an L4 layer");
  if (!std::holds_alternative<Ipv4Spec>(l3_) && !std::holds_alternative<Ipv6Spec>(l3_))
    throw std::logic_error("an L4 layer needs an IPv4 or IPv6 layer before it");
  l4_ = std::move(l4);
}

FrameBuilder& FrameBuilder::EtherType(uint16_t ether_type) {
  SetL3(RawL3{ether_type});
  return *this;
}
FrameBuilder& FrameBuilder::Ipv4(const Ipv4Spec& spec) {
  SetL3(spec);
  return *this;
}
FrameBuilder& FrameBuilder::Ipv6(const Ipv6Spec& spec) {
  SetL3(spec);
  return *this;
}
FrameBuilder& FrameBuilder::Arp(const ArpSpec& spec) {
  SetL3(spec);
  return *this;
}
FrameBuilder& FrameBuilder::Tcp(const TcpSpec& spec) {
  SetL4(spec);
  return *this;
}
FrameBuilder& FrameBuilder::Udp(const UdpSpec& spec) {
  SetL4(spec);
  return *this;
}
FrameBuilder& FrameBuilder::Icmp(const IcmpSpec& spec) {
  SetL4(spec);
  return *this;
}

FrameBuilder& FrameBuilder::Payload(std::span<const uint8_t> bytes) {
  Append(payload_, bytes);
  return *this;
}

FrameBuilder& FrameBuilder::Payload(size_t len, uint8_t first) {
  for (size_t i = 0; i < len; ++i) payload_.push_back(static_cast<uint8_t>(first + i));
  return *this;
}

FrameBuilder& FrameBuilder::ClipL4(size_t len) {
  clip_l4_ = len;
  return *this;
}

FrameBuilder& FrameBuilder::PadTo(size_t frame_len) {
  pad_to_ = frame_len;
  return *this;
}

namespace {

// The checksummed pseudo-header (RFC 768/793 for IPv4, RFC 8200 section 8.1 for IPv6).
Checksum PseudoHeader(const Ipv4Spec* ip4, const Ipv6Spec* ip6, uint8_t proto, size_t l4_len) {
  Checksum sum;
  if (ip4 != nullptr) {
    sum.Add(ip4->src).Add(ip4->dst).Add16(proto).Add16(CheckedLength(l4_len, "L4 length"));
  } else {
    sum.Add(ip6->src).Add(ip6->dst);
    sum.Add16(static_cast<uint16_t>(l4_len >> 16)).Add16(static_cast<uint16_t>(l4_len));
    sum.Add16(proto);
  }
  return sum;
}

}  // namespace

FrameBuilder::Layer FrameBuilder::BuildL4() const {
  const auto* ip4 = std::get_if<Ipv4Spec>(&l3_);
  const auto* ip6 = std::get_if<Ipv6Spec>(&l3_);
  Layer l4{{}, ip4 != nullptr ? kIpProtoTesting : kIpv6NoNextHeader};
  Bytes& out = l4.bytes;
  if (const auto* tcp = std::get_if<TcpSpec>(&l4_)) {
    l4.type = packet::kIpProtoTcp;
    const Bytes options = PaddedOptions(tcp->options, "TCP");
    const auto words = static_cast<uint8_t>((packet::kTcpMinHeaderLen + options.size()) / 4);
    Put16(out, tcp->src_port);
    Put16(out, tcp->dst_port);
    Put32(out, tcp->seq);
    Put32(out, tcp->ack);
    Put8(out, static_cast<uint8_t>(tcp->data_offset.value_or(words) << 4));
    Put8(out, tcp->flags);
    Put16(out, tcp->window);
    Put16(out, 0);  // checksum, below
    Put16(out, 0);  // urgent pointer
    Append(out, options);
    Append(out, payload_);
    const uint16_t sum = PseudoHeader(ip4, ip6, l4.type, out.size()).Add(out).Finish();
    Store16(out, 16, MaybeCorrupt(sum, tcp->corrupt_checksum));
  } else if (const auto* udp = std::get_if<UdpSpec>(&l4_)) {
    l4.type = packet::kIpProtoUdp;
    const uint16_t length =
        udp->length.value_or(CheckedLength(packet::kUdpHeaderLen + payload_.size(), "UDP length"));
    Put16(out, udp->src_port);
    Put16(out, udp->dst_port);
    Put16(out, length);
    Put16(out, 0);  // checksum, below
    Append(out, payload_);
    // The pseudo-header carries the UDP length field; 0 means "no checksum", so send 0xffff.
    uint16_t sum = PseudoHeader(ip4, ip6, l4.type, length).Add(out).Finish();
    if (sum == 0) sum = 0xffff;
    Store16(out, 6, MaybeCorrupt(sum, udp->corrupt_checksum));
  } else if (const auto* icmp = std::get_if<IcmpSpec>(&l4_)) {
    l4.type = ip4 != nullptr ? packet::kIpProtoIcmp : packet::kIpProtoIcmpv6;
    Put8(out, icmp->type);
    Put8(out, icmp->code);
    Put16(out, 0);  // checksum, below
    Put32(out, icmp->rest);
    Append(out, payload_);
    // ICMPv6 covers the pseudo-header; ICMP for IPv4 does not.
    Checksum sum = ip4 != nullptr ? Checksum{} : PseudoHeader(ip4, ip6, l4.type, out.size());
    Store16(out, 2, MaybeCorrupt(sum.Add(out).Finish(), icmp->corrupt_checksum));
  } else {
    out = payload_;
  }
  if (clip_l4_ && *clip_l4_ < out.size()) out.resize(*clip_l4_);
  return l4;
}

FrameBuilder::Layer FrameBuilder::BuildL3(size_t l4_len, uint8_t l4_type) const {
  Layer l3;
  Bytes& out = l3.bytes;
  if (const auto* ip4 = std::get_if<Ipv4Spec>(&l3_)) {
    l3.type = packet::kEtherTypeIpv4;
    const Bytes options = PaddedOptions(ip4->options, "IPv4");
    const size_t header_len = packet::kIpv4MinHeaderLen + options.size();
    const auto ihl =
        static_cast<uint8_t>(ip4->ihl.value_or(static_cast<uint8_t>(header_len / 4)) & 0x0f);
    Put8(out, static_cast<uint8_t>(ip4->version.value_or(4) << 4 | ihl));
    Put8(out, ip4->tos);
    Put16(out, ip4->total_length.value_or(CheckedLength(header_len + l4_len, "IPv4 total length")));
    Put16(out, ip4->id);
    Put16(out,
          static_cast<uint16_t>((ip4->dont_fragment ? 0x4000 : 0) |
                                (ip4->more_fragments ? 0x2000 : 0) | (ip4->frag_offset & 0x1fff)));
    Put8(out, ip4->ttl);
    Put8(out, ip4->protocol.value_or(l4_type));
    Put16(out, 0);  // header checksum, below
    Append(out, ip4->src);
    Append(out, ip4->dst);
    Append(out, options);
    Store16(out, 10, MaybeCorrupt(Checksum{}.Add(out).Finish(), ip4->corrupt_checksum));
  } else if (const auto* ip6 = std::get_if<Ipv6Spec>(&l3_)) {
    l3.type = packet::kEtherTypeIpv6;
    Bytes extensions;
    for (size_t i = 0; i < ip6->extensions.size(); ++i) {
      Bytes body = ip6->extensions[i].body;
      body.resize((body.size() + 2 + 7) / 8 * 8 - 2, 0);
      if (body.size() + 2 > 256 * 8)
        throw std::logic_error("IPv6 extension header exceeds 2048 bytes");
      Put8(extensions, i + 1 < ip6->extensions.size() ? ip6->extensions[i + 1].type : l4_type);
      Put8(extensions, static_cast<uint8_t>((body.size() + 2) / 8 - 1));
      Append(extensions, body);
    }
    const uint8_t first_next = ip6->extensions.empty() ? l4_type : ip6->extensions.front().type;
    Put32(out, static_cast<uint32_t>(ip6->version.value_or(6) & 0x0f) << 28 |
                   static_cast<uint32_t>(ip6->traffic_class) << 20 | (ip6->flow_label & 0xfffff));
    Put16(out, ip6->payload_length.value_or(
                   CheckedLength(extensions.size() + l4_len, "IPv6 payload length")));
    Put8(out, ip6->next_header.value_or(first_next));
    Put8(out, ip6->hop_limit);
    Append(out, ip6->src);
    Append(out, ip6->dst);
    Append(out, extensions);
  } else if (const auto* arp = std::get_if<ArpSpec>(&l3_)) {
    l3.type = packet::kEtherTypeArp;
    Put16(out, 1);  // hardware: Ethernet
    Put16(out, packet::kEtherTypeIpv4);
    Put8(out, 6);
    Put8(out, 4);
    Put16(out, arp->opcode);
    Append(out, arp->sender_mac);
    Append(out, arp->sender_ip);
    Append(out, arp->target_mac);
    Append(out, arp->target_ip);
  } else {
    l3.type = std::get<RawL3>(l3_).ether_type;
  }
  return l3;
}

Bytes FrameBuilder::Build() const {
  if (std::holds_alternative<std::monostate>(l3_))
    throw std::logic_error(
        "frame needs an L3 layer (EtherType() for one the builder does not model)");
  // Innermost first: L4 lengths and checksums feed the L3 header, which feeds the EtherType.
  const Layer l4 = BuildL4();
  const Layer l3 = BuildL3(l4.bytes.size(), static_cast<uint8_t>(l4.type));
  Bytes frame;
  Append(frame, dst_);
  Append(frame, src_);
  for (const VlanTag& tag : vlans_) {
    Put16(frame, tag.tpid);
    Put16(frame, tag.tci);
  }
  Put16(frame, l3.type);
  Append(frame, l3.bytes);
  Append(frame, l4.bytes);
  if (frame.size() < pad_to_) frame.resize(pad_to_, 0);
  return frame;
}

Bytes Truncated(std::span<const uint8_t> frame, size_t len) {
  return Bytes(frame.begin(),
               frame.begin() + static_cast<std::ptrdiff_t>(std::min(len, frame.size())));
}

// ---- pcap -------------------------------------------------------------------------------

namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};
using DumperHandle = std::unique_ptr<pcap_dumper_t, DumperCloser>;

// libpcap's open errors already name the file; others do not. Name it exactly once.
std::runtime_error PcapError(const std::string& path, const std::string& what) {
  return std::runtime_error(what.find(path) != std::string::npos ? what : path + ": " + what);
}

constexpr int kPcapSnapLen = 65535;
constexpr time_t kPcapStartSec = 1'700'000'000;  // a fixed start keeps files byte-identical
constexpr uint32_t kPcapGapUsec = 100;

template <typename Frames, typename BytesOf>
void WritePcapFrames(const std::string& path, const Frames& frames, BytesOf bytes_of) {
  PcapHandle dead(pcap_open_dead(DLT_EN10MB, kPcapSnapLen));
  if (!dead) throw std::runtime_error(path + ": pcap_open_dead failed");
  DumperHandle dumper(pcap_dump_open(dead.get(), path.c_str()));
  if (!dumper) throw PcapError(path, pcap_geterr(dead.get()));
  uint64_t usec = 0;
  for (const auto& frame : frames) {
    const Bytes& bytes = bytes_of(frame);
    pcap_pkthdr header{};
    header.ts.tv_sec = kPcapStartSec + static_cast<time_t>(usec / 1'000'000);
    header.ts.tv_usec = static_cast<suseconds_t>(usec % 1'000'000);
    header.caplen = static_cast<bpf_u_int32>(bytes.size());
    header.len = header.caplen;
    pcap_dump(reinterpret_cast<u_char*>(dumper.get()), &header, bytes.data());
    usec += kPcapGapUsec;
  }
  // pcap_dump() reports nothing: a failed write shows only in the stream's error flag.
  if (pcap_dump_flush(dumper.get()) != 0 || std::ferror(pcap_dump_file(dumper.get())) != 0)
    throw std::runtime_error(path + ": write failed");
}

}  // namespace

void WritePcap(const std::string& path, std::span<const Bytes> frames) {
  WritePcapFrames(path, frames, [](const Bytes& b) -> const Bytes& { return b; });
}

void WritePcap(const std::string& path, std::span<const LabeledFrame> frames) {
  WritePcapFrames(path, frames, [](const LabeledFrame& f) -> const Bytes& { return f.bytes; });
}

std::vector<Bytes> ReadPcap(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapHandle pcap(pcap_open_offline(path.c_str(), errbuf));
  if (!pcap) throw PcapError(path, errbuf);
  if (pcap_datalink(pcap.get()) != DLT_EN10MB)
    throw std::runtime_error(path + ": not an Ethernet capture (link type " +
                             std::to_string(pcap_datalink(pcap.get())) + ")");
  std::vector<Bytes> frames;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pcap.get(), &header, &data)) == 1)
    frames.emplace_back(data, data + header->caplen);
  if (rc != PCAP_ERROR_BREAK) throw PcapError(path, pcap_geterr(pcap.get()));
  return frames;
}

// ---- traffic mixes ----------------------------------------------------------------------

namespace {

// mt19937_64's output is fixed by the standard; the std distributions are not, so every value
// is derived from raw output here. Modulo bias is irrelevant for traffic variety.
class Prng {
 public:
  explicit Prng(uint64_t seed) : engine_(seed) {}
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(engine_() % n); }
  uint32_t Range(uint32_t lo, uint32_t hi) { return lo + Below(hi - lo + 1); }  // inclusive
  bool OneIn(uint32_t n) { return Below(n) == 0; }
  uint8_t Byte() { return static_cast<uint8_t>(engine_()); }
  uint16_t U16() { return static_cast<uint16_t>(engine_()); }
  uint32_t U32() { return static_cast<uint32_t>(engine_()); }
  template <size_t N>
  std::array<uint8_t, N> Fill() {
    std::array<uint8_t, N> out{};
    for (auto& b : out) b = Byte();
    return out;
  }
  // A value from a fixed list.
  template <typename T, size_t N>
  T Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

// The addresses, ports and tags of one conversation; MixedTraffic reuses a few of them.
struct Flow {
  MacAddr src_mac;
  MacAddr dst_mac;
  std::vector<VlanTag> vlans;
  Ipv4Addr src4;
  Ipv4Addr dst4;
  Ipv6Addr src6;
  Ipv6Addr dst6;
  uint16_t src_port;
  uint16_t dst_port;
};

MacAddr RandomMac(Prng& rng) {
  MacAddr mac = rng.Fill<6>();
  mac[0] = static_cast<uint8_t>((mac[0] & 0xfc) | 0x02);  // locally administered unicast
  return mac;
}

uint16_t RandomTci(Prng& rng) {
  // Separate statements: the operands of | are unsequenced, and the order must be fixed.
  const uint32_t pcp = rng.Below(8);
  const uint32_t vid = rng.Range(1, 4094);
  return static_cast<uint16_t>(pcp << 13 | vid);
}

Flow RandomFlow(Prng& rng) {
  Flow f;
  f.src_mac = RandomMac(rng);
  f.dst_mac = RandomMac(rng);
  const uint32_t encap = rng.Below(8);  // 5/8 untagged, 2/8 802.1Q, 1/8 QinQ
  if (encap == 7) {
    f.vlans.push_back({RandomTci(rng), rng.OneIn(2) ? packet::kTpid8021ad : packet::kTpid9100});
    f.vlans.push_back({RandomTci(rng), packet::kTpid8021Q});
  } else if (encap >= 5) {
    f.vlans.push_back({RandomTci(rng), packet::kTpid8021Q});
  }
  f.src4 = {10, rng.Byte(), rng.Byte(), static_cast<uint8_t>(rng.Range(1, 254))};
  f.dst4 = {192, 168, rng.Byte(), static_cast<uint8_t>(rng.Range(1, 254))};
  f.src6 = rng.Fill<16>();
  f.src6[0] = 0xfd;  // unique local
  f.dst6 = rng.Fill<16>();
  f.dst6[0] = 0x20;  // 2001:db8::/32, documentation
  f.dst6[1] = 0x01;
  f.dst6[2] = 0x0d;
  f.dst6[3] = 0xb8;
  f.src_port = static_cast<uint16_t>(rng.Range(32768, 60999));  // Linux ephemeral range
  constexpr std::array<uint16_t, 8> kServices{80, 443, 5001, 5201, 8000, 8080, 9000, 9090};
  f.dst_port = rng.Pick(kServices);
  return f;
}

FrameBuilder EthernetFor(const Flow& f) {
  FrameBuilder b;
  b.Ethernet(f.dst_mac, f.src_mac);
  for (const VlanTag& tag : f.vlans) b.Vlan(tag.tci, tag.tpid);
  return b;
}

Ipv4Spec Ipv4For(const Flow& f, Prng& rng) {
  Ipv4Spec s;
  s.src = f.src4;
  s.dst = f.dst4;
  s.tos = static_cast<uint8_t>(rng.Below(4) == 0 ? 0xb8 : 0);  // some EF-marked
  s.ttl = static_cast<uint8_t>(rng.Range(32, 128));
  s.id = rng.U16();
  s.dont_fragment = rng.OneIn(2);
  return s;
}

Ipv6Spec Ipv6For(const Flow& f, Prng& rng) {
  Ipv6Spec s;
  s.src = f.src6;
  s.dst = f.dst6;
  s.flow_label = rng.U32() & 0xfffff;
  s.hop_limit = static_cast<uint8_t>(rng.Range(32, 255));
  return s;
}

TcpSpec TcpFor(const Flow& f, Prng& rng) {
  constexpr std::array<uint8_t, 5> kFlags{0x02, 0x12, 0x10, 0x18,
                                          0x11};  // SYN, SYN-ACK, ACK, PSH-ACK, FIN-ACK
  TcpSpec s;
  s.src_port = f.src_port;
  s.dst_port = f.dst_port;
  s.seq = rng.U32();
  s.ack = rng.U32();
  s.flags = rng.Pick(kFlags);
  s.window = static_cast<uint16_t>(rng.Range(1024, 65535));
  if (s.flags & 0x02) {
    // MSS 1460, SACK permitted, timestamps, window scale 7: what Linux sends on SYN.
    s.options = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
    const uint32_t ts = rng.U32();
    for (int shift = 24; shift >= 0; shift -= 8)
      s.options.push_back(static_cast<uint8_t>(ts >> shift));
    s.options.insert(s.options.end(), {0, 0, 0, 0, 1, 3, 3, 7});
  } else if (rng.OneIn(2)) {
    s.options = {1, 1, 8, 10};  // NOP NOP timestamps
    for (int i = 0; i < 8; ++i) s.options.push_back(rng.Byte());
  }
  return s;
}

UdpSpec UdpFor(const Flow& f) {
  UdpSpec s;
  s.src_port = f.src_port;
  s.dst_port = f.dst_port;
  return s;
}

// Echo only: other ICMP types quote the packet they answer, which random payload is not.
IcmpSpec IcmpFor(bool v6, Prng& rng) {
  IcmpSpec s;
  const bool reply = rng.OneIn(2);
  s.type = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
  s.rest = rng.U32();  // identifier, sequence
  return s;
}

size_t TagsLen(const Flow& f) { return f.vlans.size() * packet::kVlanTagLen; }

// Frame lengths: mostly small (acks, DNS), a spread of mid sizes, some full-sized.
size_t TargetFrameLen(Prng& rng) {
  const uint32_t r = rng.Below(16);
  if (r < 7) return rng.Range(60, 127);
  if (r < 12) return rng.Range(128, 1023);
  if (r < 15) return rng.Range(1024, 1513);
  return kMaxFrameLen;
}

// Fills `b` with payload up to `target` bytes in all (or its headers, if longer); pads to 60.
Bytes Sized(FrameBuilder b, size_t target, Prng& rng) {
  const size_t base = b.Build().size();
  if (base < target) b.Payload(target - base, rng.Byte());
  return b.PadTo(kMinFrameLen).Build();
}

enum class Kind : uint8_t {
  kIpv4Tcp,
  kIpv4Udp,
  kIpv4Icmp,
  kIpv6Tcp,
  kIpv6Udp,
  kIpv6Icmp,
  kArp,
  kIpv4FirstFragment,
  kIpv4LaterFragment,
  kOtherEtherType,
  kIpv6ExtensionHeader,
  kTruncatedEthernet,
  kTruncatedVlan,
  kTooManyVlans,
  kTruncatedIpv4,
  kBadIpv4Version,
  kBadIpv4Ihl,
  kBadIpv4TotalLength,
  kTruncatedIpv6,
  kBadIpv6Version,
  kBadIpv6PayloadLength,
  kTruncatedTcp,
  kBadTcpDataOffset,
  kTruncatedUdp,
  kBadUdpLength,
  kTruncatedIcmp,
};

struct KindInfo {
  Kind kind;
  uint32_t per_deck;
  std::string_view name;
  ParseVerdict expected;
};

constexpr KindInfo kKinds[] = {
    {Kind::kIpv4Tcp, 12, "ipv4/tcp", ParseVerdict::kOk},
    {Kind::kIpv4Udp, 12, "ipv4/udp", ParseVerdict::kOk},
    {Kind::kIpv4Icmp, 3, "ipv4/icmp", ParseVerdict::kOk},
    {Kind::kIpv6Tcp, 6, "ipv6/tcp", ParseVerdict::kOk},
    {Kind::kIpv6Udp, 6, "ipv6/udp", ParseVerdict::kOk},
    {Kind::kIpv6Icmp, 3, "ipv6/icmpv6", ParseVerdict::kOk},
    {Kind::kArp, 3, "arp", ParseVerdict::kOk},
    {Kind::kIpv4FirstFragment, 3, "ipv4/udp first fragment", ParseVerdict::kOk},
    {Kind::kIpv4LaterFragment, 3, "ipv4 later fragment", ParseVerdict::kOk},
    {Kind::kOtherEtherType, 2, "other ethertype", ParseVerdict::kOk},
    {Kind::kIpv6ExtensionHeader, 2, "ipv6 extension header", ParseVerdict::kOk},
    {Kind::kTruncatedEthernet, 1, "truncated_ethernet", ParseVerdict::kTruncatedEthernet},
    {Kind::kTruncatedVlan, 1, "truncated_vlan", ParseVerdict::kTruncatedVlan},
    {Kind::kTooManyVlans, 1, "too_many_vlans", ParseVerdict::kTooManyVlans},
    {Kind::kTruncatedIpv4, 1, "truncated_ipv4", ParseVerdict::kTruncatedIpv4},
    {Kind::kBadIpv4Version, 1, "bad_ipv4_version", ParseVerdict::kBadIpv4Version},
    {Kind::kBadIpv4Ihl, 1, "bad_ipv4_ihl", ParseVerdict::kBadIpv4Ihl},
    {Kind::kBadIpv4TotalLength, 1, "bad_ipv4_total_length", ParseVerdict::kBadIpv4TotalLength},
    {Kind::kTruncatedIpv6, 1, "truncated_ipv6", ParseVerdict::kTruncatedIpv6},
    {Kind::kBadIpv6Version, 1, "bad_ipv6_version", ParseVerdict::kBadIpv6Version},
    {Kind::kBadIpv6PayloadLength, 1, "bad_ipv6_payload_length",
     ParseVerdict::kBadIpv6PayloadLength},
    {Kind::kTruncatedTcp, 1, "truncated_tcp", ParseVerdict::kTruncatedTcp},
    {Kind::kBadTcpDataOffset, 1, "bad_tcp_data_offset", ParseVerdict::kBadTcpDataOffset},
    {Kind::kTruncatedUdp, 1, "truncated_udp", ParseVerdict::kTruncatedUdp},
    {Kind::kBadUdpLength, 1, "bad_udp_length", ParseVerdict::kBadUdpLength},
    {Kind::kTruncatedIcmp, 1, "truncated_icmp", ParseVerdict::kTruncatedIcmp},
};

constexpr size_t DeckSize() {
  size_t n = 0;
  for (const KindInfo& k : kKinds) n += k.per_deck;
  return n;
}
static_assert(DeckSize() == kMixedTrafficDeck);

// One IPv4 or IPv6 frame carrying `l4` (set on the builder by the caller's lambda).
template <typename AddL4>
FrameBuilder IpFrame(const Flow& f, bool v6, Prng& rng, AddL4 add_l4) {
  FrameBuilder b = EthernetFor(f);
  if (v6) {
    b.Ipv6(Ipv6For(f, rng));
  } else {
    b.Ipv4(Ipv4For(f, rng));
  }
  add_l4(b);
  return b;
}

Bytes MakeFrame(Kind kind, const Flow& f, Prng& rng) {
  const size_t target = TargetFrameLen(rng);
  const size_t l3_off = packet::kEthHeaderLen + TagsLen(f);
  const auto tcp = [&](FrameBuilder& b) { b.Tcp(TcpFor(f, rng)); };
  const auto udp = [&](FrameBuilder& b) { b.Udp(UdpFor(f)); };
  switch (kind) {
    case Kind::kIpv4Tcp: {
      Ipv4Spec ip = Ipv4For(f, rng);
      if (rng.OneIn(16)) ip.options = {0x94, 0x04, 0x00, 0x00};  // router alert
      return Sized(EthernetFor(f).Ipv4(ip).Tcp(TcpFor(f, rng)), target, rng);
    }
    case Kind::kIpv4Udp:
      return Sized(IpFrame(f, false, rng, udp), target, rng);
    case Kind::kIpv4Icmp:
      return Sized(EthernetFor(f).Ipv4(Ipv4For(f, rng)).Icmp(IcmpFor(false, rng)), target, rng);
    case Kind::kIpv6Tcp:
      return Sized(IpFrame(f, true, rng, tcp), target, rng);
    case Kind::kIpv6Udp:
      return Sized(IpFrame(f, true, rng, udp), target, rng);
    case Kind::kIpv6Icmp:
      return Sized(EthernetFor(f).Ipv6(Ipv6For(f, rng)).Icmp(IcmpFor(true, rng)), target, rng);
    case Kind::kArp: {
      ArpSpec arp;
      arp.opcode = static_cast<uint16_t>(rng.Range(1, 2));
      arp.sender_mac = f.src_mac;
      arp.sender_ip = f.src4;
      arp.target_ip = f.dst4;
      FrameBuilder b;
      if (arp.opcode == 2) {
        arp.target_mac = f.dst_mac;
        b.Ethernet(f.dst_mac, f.src_mac);
      } else {
        b.Ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, f.src_mac);
      }
      for (const VlanTag& tag : f.vlans) b.Vlan(tag.tci, tag.tpid);
      return b.Arp(arp).PadTo(kMinFrameLen).Build();
    }
    case Kind::kIpv4FirstFragment: {
      // Every fragment but the last carries a multiple of 8 bytes; the UDP length counts the
      // whole datagram, so it exceeds this fragment's payload.
      Ipv4Spec ip = Ipv4For(f, rng);
      ip.dont_fragment = false;
      ip.more_fragments = true;
      const size_t data_len = 8 * rng.Range(2, 180);
      UdpSpec u = UdpFor(f);
      u.length = static_cast<uint16_t>(data_len + 8 * rng.Range(1, 180));
      return EthernetFor(f)
          .Ipv4(ip)
          .Udp(u)
          .Payload(data_len - 8, rng.Byte())
          .PadTo(kMinFrameLen)
          .Build();
    }
    case Kind::kIpv4LaterFragment: {
      Ipv4Spec ip = Ipv4For(f, rng);
      ip.dont_fragment = false;
      ip.more_fragments = rng.OneIn(2);
      ip.frag_offset = static_cast<uint16_t>(rng.Range(1, 1000));
      ip.protocol = rng.OneIn(4) ? packet::kIpProtoTcp : packet::kIpProtoUdp;
      return Sized(EthernetFor(f).Ipv4(ip), target, rng);
    }
    case Kind::kOtherEtherType: {
      constexpr std::array<uint16_t, 2> kTypes{0x88b5, 0x88b6};  // IEEE 802 local experimental
      return Sized(EthernetFor(f).EtherType(rng.Pick(kTypes)), target, rng);
    }
    case Kind::kIpv6ExtensionHeader: {
      // Hop-by-hop or destination options (PadN), or an atomic fragment header, then UDP:
      // the parser stops at the extension header for now.
      Ipv6Spec ip = Ipv6For(f, rng);
      switch (rng.Below(3)) {
        case 0:
          ip.extensions.push_back({0, {1, 4, 0, 0, 0, 0}});
          break;
        case 1:
          ip.extensions.push_back({60, {1, 4, 0, 0, 0, 0}});
          break;
        default: {
          const uint32_t id = rng.U32();
          ip.extensions.push_back(
              {44,
               {0, 0, static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16),
                static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)}});
          break;
        }
      }
      return Sized(EthernetFor(f).Ipv6(ip).Udp(UdpFor(f)), target, rng);
    }
    case Kind::kTruncatedEthernet: {
      const Bytes full = Sized(IpFrame(f, false, rng, udp), target, rng);
      return Truncated(full, rng.Range(1, 13));
    }
    case Kind::kTruncatedVlan: {
      Flow tagged = f;
      if (tagged.vlans.empty()) tagged.vlans.push_back({RandomTci(rng), packet::kTpid8021Q});
      const size_t last_tpid_off = 12 + TagsLen(tagged) - packet::kVlanTagLen;
      const Bytes full = Sized(IpFrame(tagged, false, rng, udp), target, rng);
      return Truncated(full, last_tpid_off + 2 + rng.Below(4));  // cut in the TCI or next type
    }
    case Kind::kTooManyVlans: {
      Flow tagged = f;
      tagged.vlans = {{RandomTci(rng), rng.OneIn(2) ? packet::kTpid8021ad : packet::kTpid9100},
                      {RandomTci(rng), packet::kTpid8021Q},
                      {RandomTci(rng), packet::kTpid8021Q}};
      return Sized(IpFrame(tagged, false, rng, udp), target, rng);
    }
    case Kind::kTruncatedIpv4: {
      const Bytes full = Sized(IpFrame(f, false, rng, tcp), target, rng);
      return Truncated(full, l3_off + rng.Below(20));
    }
    case Kind::kBadIpv4Version: {
      Ipv4Spec ip = Ipv4For(f, rng);
      const uint32_t v = rng.Below(15);
      ip.version = static_cast<uint8_t>(v >= 4 ? v + 1 : v);
      return Sized(EthernetFor(f).Ipv4(ip).Udp(UdpFor(f)), target, rng);
    }
    case Kind::kBadIpv4Ihl: {
      Ipv4Spec ip = Ipv4For(f, rng);
      ip.ihl = static_cast<uint8_t>(rng.Below(5));
      return Sized(EthernetFor(f).Ipv4(ip).Udp(UdpFor(f)), target, rng);
    }
    case Kind::kBadIpv4TotalLength: {
      // Either shorter than the header or longer than any frame here (<= 1514 bytes).
      Ipv4Spec ip = Ipv4For(f, rng);
      ip.total_length =
          static_cast<uint16_t>(rng.OneIn(2) ? rng.Below(20) : rng.Range(1600, 65535));
      return Sized(EthernetFor(f).Ipv4(ip).Tcp(TcpFor(f, rng)), target, rng);
    }
    case Kind::kTruncatedIpv6: {
      const Bytes full = Sized(IpFrame(f, true, rng, udp), target, rng);
      return Truncated(full, l3_off + rng.Below(40));
    }
    case Kind::kBadIpv6Version: {
      Ipv6Spec ip = Ipv6For(f, rng);
      const uint32_t v = rng.Below(15);
      ip.version = static_cast<uint8_t>(v >= 6 ? v + 1 : v);
      return Sized(EthernetFor(f).Ipv6(ip).Udp(UdpFor(f)), target, rng);
    }
    case Kind::kBadIpv6PayloadLength: {
      Ipv6Spec ip = Ipv6For(f, rng);
      ip.payload_length = static_cast<uint16_t>(rng.Range(1500, 65535));  // > 1514 - 14 - 40
      return Sized(EthernetFor(f).Ipv6(ip).Tcp(TcpFor(f, rng)), target, rng);
    }
    case Kind::kTruncatedTcp:
      return IpFrame(f, rng.OneIn(2), rng, tcp).ClipL4(rng.Below(20)).PadTo(kMinFrameLen).Build();
    case Kind::kBadTcpDataOffset: {
      TcpSpec t = TcpFor(f, rng);
      t.data_offset = static_cast<uint8_t>(rng.Below(5));
      return Sized(IpFrame(f, rng.OneIn(2), rng, [&](FrameBuilder& b) { b.Tcp(t); }), target, rng);
    }
    case Kind::kTruncatedUdp:
      return IpFrame(f, rng.OneIn(2), rng, udp).ClipL4(rng.Below(8)).PadTo(kMinFrameLen).Build();
    case Kind::kBadUdpLength: {
      // Below the header, or beyond the IP payload (not a fragment, so that is an error).
      const size_t payload = rng.Below(200);
      UdpSpec u = UdpFor(f);
      u.length =
          static_cast<uint16_t>(rng.OneIn(2) ? rng.Below(8) : 8 + payload + rng.Range(1, 1000));
      return IpFrame(f, rng.OneIn(2), rng, [&](FrameBuilder& b) { b.Udp(u); })
          .Payload(payload, rng.Byte())
          .PadTo(kMinFrameLen)
          .Build();
    }
    case Kind::kTruncatedIcmp: {
      const bool v6 = rng.OneIn(2);
      return IpFrame(f, v6, rng, [&](FrameBuilder& b) { b.Icmp(IcmpFor(v6, rng)); })
          .ClipL4(rng.Below(8))
          .PadTo(kMinFrameLen)
          .Build();
    }
  }
  throw std::logic_error("unknown frame kind");
}

}  // namespace

std::vector<LabeledFrame> MixedTraffic(uint64_t seed, size_t count) {
  Prng rng(seed);
  // A few long-lived flows carry most frames, so flow tables see repeats.
  constexpr size_t kFlows = 24;
  std::vector<Flow> flows;
  for (size_t i = 0; i < kFlows; ++i) flows.push_back(RandomFlow(rng));

  std::vector<const KindInfo*> deck;
  for (const KindInfo& k : kKinds) deck.insert(deck.end(), k.per_deck, &k);

  std::vector<LabeledFrame> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (i % deck.size() == 0) {  // reshuffle (Fisher-Yates) at the start of every deck
      for (size_t j = deck.size() - 1; j > 0; --j)
        std::swap(deck[j], deck[rng.Below(static_cast<uint32_t>(j + 1))]);
    }
    const KindInfo& info = *deck[i % deck.size()];
    const Flow flow = rng.OneIn(4) ? RandomFlow(rng) : flows[rng.Below(kFlows)];
    out.push_back({MakeFrame(info.kind, flow, rng), info.expected, info.name});
  }
  return out;
}

namespace {

Bytes Joined(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The bytes after an Ethernet header: what MPLS, IP-in-IP, GRE and GTP-U carry.
Bytes AfterEthernet(const Bytes& frame) { return Bytes(frame.begin() + 14, frame.end()); }

Bytes MplsLabels(Prng& rng, size_t n) {
  Bytes out;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t e = (rng.U32() & 0xfffffu) << 12 | (i + 1 == n ? 0x100u : 0u) | 64u;
    Put32(out, e);
  }
  return out;
}

enum class TunnelKind : uint8_t {
  kVlan4, kMpls, kIpv6Ext, kIpv6LaterFragment, kSctp, kVxlan, kGeneve, kGre, kIpInIp,
  kIpv6InIp, kGtpU,
  kTruncatedMpls, kTooManyMplsLabels, kTruncatedArp, kBadIpv4Checksum, kTruncatedIpv6Ext,
  kTooManyIpv6Ext, kTruncatedSctp, kTruncatedTunnel, kBadGreVersion, kBadTunnelHeader,
  kTruncatedInnerEthernet, kTooManyInnerVlans, kTruncatedInnerL3, kBadInnerL3,
  kTruncatedInnerL4, kBadInnerL4,
};

struct TunnelKindInfo {
  TunnelKind kind;
  std::string_view name;
  ParseVerdict expected;
};

constexpr TunnelKindInfo kTunnelKinds[] = {
    {TunnelKind::kVlan4, "4 vlan tags", ParseVerdict::kOk},
    {TunnelKind::kMpls, "mpls", ParseVerdict::kOk},
    {TunnelKind::kIpv6Ext, "ipv6 extension chain", ParseVerdict::kOk},
    {TunnelKind::kIpv6LaterFragment, "ipv6 later fragment", ParseVerdict::kOk},
    {TunnelKind::kSctp, "sctp", ParseVerdict::kOk},
    {TunnelKind::kVxlan, "vxlan", ParseVerdict::kOk},
    {TunnelKind::kGeneve, "geneve", ParseVerdict::kOk},
    {TunnelKind::kGre, "gre", ParseVerdict::kOk},
    {TunnelKind::kIpInIp, "ip-in-ip", ParseVerdict::kOk},
    {TunnelKind::kIpv6InIp, "ipv6-in-ip", ParseVerdict::kOk},
    {TunnelKind::kGtpU, "gtp-u", ParseVerdict::kOk},
    {TunnelKind::kTruncatedMpls, "truncated_mpls", ParseVerdict::kTruncatedMpls},
    {TunnelKind::kTooManyMplsLabels, "too_many_mpls_labels", ParseVerdict::kTooManyMplsLabels},
    {TunnelKind::kTruncatedArp, "truncated_arp", ParseVerdict::kTruncatedArp},
    {TunnelKind::kBadIpv4Checksum, "bad_ipv4_checksum", ParseVerdict::kBadIpv4Checksum},
    {TunnelKind::kTruncatedIpv6Ext, "truncated_ipv6_ext", ParseVerdict::kTruncatedIpv6Ext},
    {TunnelKind::kTooManyIpv6Ext, "too_many_ipv6_ext", ParseVerdict::kTooManyIpv6Ext},
    {TunnelKind::kTruncatedSctp, "truncated_sctp", ParseVerdict::kTruncatedSctp},
    {TunnelKind::kTruncatedTunnel, "truncated_tunnel", ParseVerdict::kTruncatedTunnel},
    {TunnelKind::kBadGreVersion, "bad_gre_version", ParseVerdict::kBadGreVersion},
    {TunnelKind::kBadTunnelHeader, "bad_tunnel_header", ParseVerdict::kBadTunnelHeader},
    {TunnelKind::kTruncatedInnerEthernet, "truncated_inner_ethernet",
     ParseVerdict::kTruncatedInnerEthernet},
    {TunnelKind::kTooManyInnerVlans, "too_many_inner_vlans", ParseVerdict::kTooManyInnerVlans},
    {TunnelKind::kTruncatedInnerL3, "truncated_inner_l3", ParseVerdict::kTruncatedInnerL3},
    {TunnelKind::kBadInnerL3, "bad_inner_l3", ParseVerdict::kBadInnerL3},
    {TunnelKind::kTruncatedInnerL4, "truncated_inner_l4", ParseVerdict::kTruncatedInnerL4},
    {TunnelKind::kBadInnerL4, "bad_inner_l4", ParseVerdict::kBadInnerL4},
};
static_assert(std::size(kTunnelKinds) == kTunnelTrafficKinds);

Bytes VxlanOver(const Flow& f, Prng& rng, const Bytes& inner) {
  Bytes h;
  Put32(h, 0x08000000u);
  Put32(h, (rng.U32() & 0xffffffu) << 8);
  UdpSpec u = UdpFor(f);
  u.dst_port = packet::kVxlanPort;
  return EthernetFor(f).Ipv4(Ipv4For(f, rng)).Udp(u).Payload(Joined(h, inner)).Build();
}

Bytes InnerFrame(const Flow& f, Prng& rng, bool v6) {
  Ipv6Spec ip6 = Ipv6For(f, rng);
  if (v6 && rng.OneIn(2)) ip6.extensions = {{0, {1, 4, 0, 0, 0, 0}}, {60, {}}};
  FrameBuilder b;
  if (v6) {
    b.Ipv6(ip6);
  } else {
    b.Ipv4(Ipv4For(f, rng));
  }
  if (rng.OneIn(2)) {
    b.Tcp(TcpFor(f, rng));
  } else {
    b.Udp(UdpFor(f));
  }
  return b.Payload(rng.Below(64), rng.Byte()).Build();
}

Bytes IpCarrying(const Flow& f, Prng& rng, uint8_t proto, const Bytes& payload, bool v6) {
  if (v6) {
    Ipv6Spec ip = Ipv6For(f, rng);
    ip.next_header = proto;
    return EthernetFor(f).Ipv6(ip).Payload(payload).Build();
  }
  Ipv4Spec ip = Ipv4For(f, rng);
  ip.protocol = proto;
  return EthernetFor(f).Ipv4(ip).Payload(payload).Build();
}

Bytes MakeTunnelFrame(TunnelKind kind, const Flow& f, Prng& rng) {
  const bool v6 = rng.OneIn(2);
  switch (kind) {
    case TunnelKind::kVlan4: {
      FrameBuilder b;
      b.Ethernet(f.dst_mac, f.src_mac).Vlan(RandomTci(rng), packet::kTpid8021ad);
      for (int i = 0; i < 3; ++i) b.Vlan(RandomTci(rng));
      return b.Ipv4(Ipv4For(f, rng)).Udp(UdpFor(f)).Payload(rng.Below(100), 0).Build();
    }
    case TunnelKind::kMpls:
      return EthernetFor(f)
          .EtherType(packet::kEtherTypeMpls)
          .Payload(Joined(MplsLabels(rng, rng.Range(1, 8)), AfterEthernet(InnerFrame(f, rng, v6))))
          .PadTo(kMinFrameLen)
          .Build();
    case TunnelKind::kIpv6Ext: {
      Ipv6Spec ip = Ipv6For(f, rng);
      ip.extensions = {{0, {1, 4, 0, 0, 0, 0}}, {43, Bytes(14, 0)}, {60, {}}};
      if (rng.OneIn(2)) ip.extensions.push_back({44, {0, 1, 0, 0, 0, 7}});  // first fragment
      return EthernetFor(f).Ipv6(ip).Tcp(TcpFor(f, rng)).Payload(rng.Below(64), 0).Build();
    }
    case TunnelKind::kIpv6LaterFragment: {
      Ipv6Spec ip = Ipv6For(f, rng);
      ip.extensions = {{44, {0, 0x40, 0, 0, 0, 9}}};
      return EthernetFor(f).Ipv6(ip).Udp(UdpFor(f)).Payload(rng.Below(64), 0).Build();
    }
    case TunnelKind::kSctp: {
      Bytes sctp;
      Put16(sctp, f.src_port);
      Put16(sctp, 2905);
      Put32(sctp, rng.U32());
      Put32(sctp, 0);
      return IpCarrying(f, rng, packet::kIpProtoSctp, sctp, v6);
    }
    case TunnelKind::kVxlan:
      return VxlanOver(f, rng, EthernetFor(f).Ipv4(Ipv4For(f, rng)).Tcp(TcpFor(f, rng)).Build());
    case TunnelKind::kGeneve: {
      Bytes h = {0x01, 0, 0x65, 0x58, 0, 0, 0x2a, 0, 0, 0, 0, 0};
      UdpSpec u = UdpFor(f);
      u.dst_port = packet::kGenevePort;
      Bytes inner = InnerFrame(f, rng, true);
      return EthernetFor(f).Ipv4(Ipv4For(f, rng)).Udp(u).Payload(Joined(h, inner)).Build();
    }
    case TunnelKind::kGre: {
      Bytes h = {0x30, 0, 0x86, 0xdd};
      Put32(h, rng.U32());
      Put32(h, rng.U32());
      return IpCarrying(f, rng, packet::kIpProtoGre,
                        Joined(h, AfterEthernet(InnerFrame(f, rng, true))), v6);
    }
    case TunnelKind::kIpInIp:
      return IpCarrying(f, rng, packet::kIpProtoIpInIp, AfterEthernet(InnerFrame(f, rng, false)),
                        v6);
    case TunnelKind::kIpv6InIp:
      return IpCarrying(f, rng, packet::kIpProtoIpv6, AfterEthernet(InnerFrame(f, rng, true)), v6);
    case TunnelKind::kGtpU: {
      Bytes h = {0x34, 0xff, 0, 0};
      Put32(h, rng.U32());
      Put32(h, 0x85);  // sequence, N-PDU, next: PDU session container
      Put32(h, 0x01000900);
      UdpSpec u = UdpFor(f);
      u.dst_port = packet::kGtpuPort;
      return EthernetFor(f)
          .Ipv4(Ipv4For(f, rng))
          .Udp(u)
          .Payload(Joined(h, AfterEthernet(InnerFrame(f, rng, v6))))
          .Build();
    }
    case TunnelKind::kTruncatedMpls: {
      const Bytes full =
          EthernetFor(f).EtherType(packet::kEtherTypeMpls).Payload(MplsLabels(rng, 3)).Build();
      return Truncated(full, full.size() - rng.Below(4));
    }
    case TunnelKind::kTooManyMplsLabels:
      return EthernetFor(f)
          .EtherType(packet::kEtherTypeMpls)
          .Payload(Joined(MplsLabels(rng, 9), AfterEthernet(InnerFrame(f, rng, false))))
          .Build();
    case TunnelKind::kTruncatedArp: {
      const Bytes full = EthernetFor(f).Arp().Build();
      return Truncated(full, full.size() - rng.Range(1, 28));
    }
    case TunnelKind::kBadIpv4Checksum: {
      Ipv4Spec ip = Ipv4For(f, rng);
      ip.corrupt_checksum = true;
      return EthernetFor(f).Ipv4(ip).Udp(UdpFor(f)).PadTo(kMinFrameLen).Build();
    }
    case TunnelKind::kTruncatedIpv6Ext: {
      Ipv6Spec ip = Ipv6For(f, rng);
      ip.extensions = {{43, Bytes(22, 0)}};
      ip.payload_length = static_cast<uint16_t>(rng.Below(24));
      return EthernetFor(f).Ipv6(ip).Udp(UdpFor(f)).Build();
    }
    case TunnelKind::kTooManyIpv6Ext: {
      Ipv6Spec ip = Ipv6For(f, rng);
      for (int i = 0; i < 9; ++i) ip.extensions.push_back({60, {}});
      return EthernetFor(f).Ipv6(ip).Udp(UdpFor(f)).Build();
    }
    case TunnelKind::kTruncatedSctp:
      return IpCarrying(f, rng, packet::kIpProtoSctp, Bytes(rng.Below(12), 1), v6);
    case TunnelKind::kTruncatedTunnel: {
      UdpSpec u = UdpFor(f);
      u.dst_port = packet::kVxlanPort;
      return EthernetFor(f)
          .Ipv4(Ipv4For(f, rng))
          .Udp(u)
          .Payload(Bytes(rng.Below(8), 0x08))
          .Build();
    }
    case TunnelKind::kBadGreVersion:
      return IpCarrying(f, rng, packet::kIpProtoGre,
                        Joined({0, static_cast<uint8_t>(rng.Range(1, 7)), 0x08, 0x00},
                               AfterEthernet(InnerFrame(f, rng, false))),
                        v6);
    case TunnelKind::kBadTunnelHeader: {
      UdpSpec u = UdpFor(f);
      u.dst_port = packet::kVxlanPort;
      return EthernetFor(f)  // VXLAN without the I flag
          .Ipv4(Ipv4For(f, rng))
          .Udp(u)
          .Payload(Joined(Bytes(8, 0), InnerFrame(f, rng, false)))
          .Build();
    }
    case TunnelKind::kTruncatedInnerEthernet:
      return VxlanOver(f, rng, Truncated(InnerFrame(f, rng, v6), rng.Below(14)));
    case TunnelKind::kTooManyInnerVlans:
      return VxlanOver(f, rng,
                       FrameBuilder().Vlan(1).Vlan(2).Vlan(3).Vlan(4).Vlan(5).Ipv4().Build());
    case TunnelKind::kTruncatedInnerL3:
      return VxlanOver(f, rng, Truncated(InnerFrame(f, rng, v6), 14 + rng.Below(20)));
    case TunnelKind::kBadInnerL3: {
      Ipv4Spec ip = Ipv4For(f, rng);
      ip.ihl = static_cast<uint8_t>(rng.Below(5));
      return VxlanOver(f, rng, FrameBuilder().Ipv4(ip).Udp(UdpFor(f)).Build());
    }
    case TunnelKind::kTruncatedInnerL4:
      return IpCarrying(f, rng, packet::kIpProtoIpInIp,
                        AfterEthernet(FrameBuilder()
                                          .Ipv4(Ipv4For(f, rng))
                                          .Tcp(TcpFor(f, rng))
                                          .ClipL4(rng.Below(20))
                                          .Build()),
                        v6);
    case TunnelKind::kBadInnerL4: {
      TcpSpec t = TcpFor(f, rng);
      t.data_offset = static_cast<uint8_t>(rng.Below(5));
      return VxlanOver(f, rng, FrameBuilder().Ipv4(Ipv4For(f, rng)).Tcp(t).Build());
    }
  }
  throw std::logic_error("unknown tunnel frame kind");
}

}  // namespace

std::vector<LabeledFrame> TunnelTraffic(uint64_t seed, size_t count) {
  Prng rng(seed);
  std::vector<LabeledFrame> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    // Every kind once per run of kTunnelTrafficKinds frames, in order; flows vary.
    const TunnelKindInfo& info = kTunnelKinds[i % std::size(kTunnelKinds)];
    const Flow flow = RandomFlow(rng);
    out.push_back({MakeTunnelFrame(info.kind, flow, rng), info.expected, info.name});
  }
  return out;
}

std::vector<Bytes> UdpTraffic(uint64_t seed, size_t count, size_t frame_len, size_t flows) {
  if (frame_len < kMinFrameLen || frame_len > kMaxFrameLen)
    throw std::invalid_argument("UDP frame length " + std::to_string(frame_len) +
                                " is outside 60..1514");
  constexpr size_t kHeaders =
      packet::kEthHeaderLen + packet::kIpv4MinHeaderLen + packet::kUdpHeaderLen;
  Prng rng(seed);
  std::vector<Bytes> out;
  out.reserve(count);
  const size_t distinct = flows == 0 ? count : std::min(flows, count);
  for (size_t i = 0; i < distinct; ++i) {
    Ipv4Spec ip;
    ip.src = {10, rng.Byte(), rng.Byte(), static_cast<uint8_t>(rng.Range(1, 254))};
    ip.dst = {172, static_cast<uint8_t>(16 + rng.Below(16)), rng.Byte(),
              static_cast<uint8_t>(rng.Range(1, 254))};
    ip.id = rng.U16();
    UdpSpec udp;
    udp.src_port = static_cast<uint16_t>(rng.Range(1024, 65535));
    udp.dst_port = static_cast<uint16_t>(rng.Range(1, 65535));
    out.push_back(
        FrameBuilder().Ipv4(ip).Udp(udp).Payload(frame_len - kHeaders, rng.Byte()).Build());
  }
  for (size_t i = distinct; i < count; ++i) out.push_back(out[i % distinct]);
  return out;
}

}  // namespace ingestd::framegen
