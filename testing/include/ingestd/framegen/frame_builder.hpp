// SPDX-License-Identifier: BSD-3-Clause
// Frame construction for tests, tools and benchmarks: typed layer builder, pcap I/O, traffic mixes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ingestd/packet/parse.hpp"
#include "ingestd/packet/verdict.hpp"

// Control-plane code only: everything here allocates and may throw.
namespace ingestd::framegen {

using Bytes = std::vector<uint8_t>;
using MacAddr = std::array<uint8_t, 6>;
using Ipv4Addr = std::array<uint8_t, 4>;
using Ipv6Addr = std::array<uint8_t, 16>;

inline constexpr size_t kMinFrameLen = 60;    // Ethernet minimum, FCS not included (as captured)
inline constexpr size_t kMaxFrameLen = 1514;  // 1500 B MTU + Ethernet header, no FCS

struct VlanTag {
  uint16_t tci = 0;  // PCP(3) DEI(1) VID(12)
  uint16_t tpid = packet::kTpid8021Q;
};

/// IPv4 header. Fields left empty are derived in Build(); the overrides exist to make
/// malformed frames and are written exactly as given. Every spec member has a default
/// initializer, so designated initializers may name any subset: `Tcp({.dst_port = 443})`.
struct Ipv4Spec {
  Ipv4Addr src{10, 0, 0, 1};
  Ipv4Addr dst{10, 0, 0, 2};
  uint8_t tos = 0;
  uint8_t ttl = 64;
  uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t frag_offset = 0;           // in 8-byte units, 13 bits
  Bytes options{};                    // zero-padded to a multiple of 4 bytes (at most 40)
  std::optional<uint8_t> protocol{};  // default: from the L4 layer, else 253 (RFC 3692 testing)
  std::optional<uint8_t> version{};   // default 4
  std::optional<uint8_t> ihl{};       // default (20 + options) / 4; the header bytes stay as built
  std::optional<uint16_t> total_length{};  // default: header + everything after it (no padding)
  bool corrupt_checksum = false;
};

/// One IPv6 extension header (RFC 8200 section 4). Build() writes its next-header and length
/// bytes; `body` is what follows them, zero-padded to a multiple of 8 bytes minus 2. A
/// fragment header (44) is a 6-byte body: the length byte is then 0, its reserved field.
struct Ipv6Extension {
  uint8_t type = 0;  // 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options
  Bytes body{};
};

struct Ipv6Spec {
  Ipv6Addr src{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Ipv6Addr dst{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;  // 20 bits
  uint8_t hop_limit = 64;
  std::vector<Ipv6Extension> extensions{};  // in order after the fixed header, chained by Build()
  // Default: the first extension's type, else from the L4 layer, else 59 (no next header).
  std::optional<uint8_t> next_header{};
  std::optional<uint8_t> version{};          // default 6
  std::optional<uint16_t> payload_length{};  // default: all after the fixed header (no padding)
};

/// Ethernet/IPv4 ARP (RFC 826), 28 bytes.
struct ArpSpec {
  uint16_t opcode = 1;  // 1 request, 2 reply
  MacAddr sender_mac{0x02, 0, 0, 0, 0, 0x01};
  Ipv4Addr sender_ip{10, 0, 0, 1};
  MacAddr target_mac{};
  Ipv4Addr target_ip{10, 0, 0, 2};
};

struct TcpSpec {
  uint16_t src_port = 1024;
  uint16_t dst_port = 80;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0x10;  // ACK
  uint16_t window = 65535;
  Bytes options{};                       // zero-padded (EOL) to a multiple of 4 bytes (at most 40)
  std::optional<uint8_t> data_offset{};  // in 32-bit words; default (20 + options) / 4
  bool corrupt_checksum = false;
};

struct UdpSpec {
  uint16_t src_port = 1024;
  uint16_t dst_port = 53;
  std::optional<uint16_t> length{};  // default: header + payload
  bool corrupt_checksum = false;
};

/// ICMP under IPv4, ICMPv6 under IPv6 (same 8-byte header shape).
struct IcmpSpec {
  uint8_t type = 8;  // echo request; ICMPv6 echo request is 128
  uint8_t code = 0;
  uint32_t rest = 0;  // rest of header: identifier << 16 | sequence for echo
  bool corrupt_checksum = false;
};

/// Builds one frame, outermost layer first: Ethernet, VLAN tags (outermost first), one L3,
/// at most one L4 (needs IPv4/IPv6), payload. Lengths and checksums (IPv4 header; TCP, UDP
/// and ICMPv6 over the pseudo-header; ICMP) are computed by Build() unless a spec overrides
/// them, so a malformed frame is a well-formed one with one field overridden.
/// Misuse (two L3 layers, L4 without IP, ...) throws std::logic_error.
/// Threading: an ordinary value type, no shared state.
class FrameBuilder {
 public:
  /// Default addresses are 02:00:00:00:00:02 (dst) and 02:00:00:00:00:01 (src).
  FrameBuilder& Ethernet(const MacAddr& dst, const MacAddr& src);
  /// Adds a tag inside the ones already added.
  FrameBuilder& Vlan(uint16_t tci, uint16_t tpid = packet::kTpid8021Q);
  /// An L3 the builder does not model: just the EtherType, then Payload().
  FrameBuilder& EtherType(uint16_t ether_type);
  FrameBuilder& Ipv4(const Ipv4Spec& spec = {});
  FrameBuilder& Ipv6(const Ipv6Spec& spec = {});
  FrameBuilder& Arp(const ArpSpec& spec = {});
  FrameBuilder& Tcp(const TcpSpec& spec = {});
  FrameBuilder& Udp(const UdpSpec& spec = {});
  FrameBuilder& Icmp(const IcmpSpec& spec = {});
  /// Appends bytes after the innermost header.
  FrameBuilder& Payload(std::span<const uint8_t> bytes);
  /// Appends `len` bytes counting up from `first` (mod 256).
  FrameBuilder& Payload(size_t len, uint8_t first = 0);
  /// Keeps only the first `len` bytes after the L3 header and any IPv6 extension headers
  /// (checksums are computed before the cut, IP lengths after it): an IP datagram that ends
  /// inside its L4 header.
  FrameBuilder& ClipL4(size_t len);
  /// Appends zero bytes (Ethernet padding, not counted by IP) up to `frame_len` in total.
  FrameBuilder& PadTo(size_t frame_len);

  Bytes Build() const;

 private:
  struct RawL3 {
    uint16_t ether_type;
  };
  using L3 = std::variant<std::monostate, RawL3, Ipv4Spec, Ipv6Spec, ArpSpec>;
  using L4 = std::variant<std::monostate, TcpSpec, UdpSpec, IcmpSpec>;

  // Encoded headers plus what the enclosing layer calls them (IP protocol or EtherType).
  struct Layer {
    Bytes bytes;
    uint16_t type = 0;
  };

  void SetL3(L3 l3);
  void SetL4(L4 l4);
  Layer BuildL4() const;  // L4 header and payload, checksummed, then clipped
  Layer BuildL3(size_t l4_len, uint8_t l4_type) const;

  MacAddr dst_{0x02, 0, 0, 0, 0, 0x02};
  MacAddr src_{0x02, 0, 0, 0, 0, 0x01};
  std::vector<VlanTag> vlans_;
  L3 l3_;
  L4 l4_;
  Bytes payload_;
  std::optional<size_t> clip_l4_;
  size_t pad_to_ = 0;
};

/// The first min(len, size) bytes of `frame`: a capture cut short.
Bytes Truncated(std::span<const uint8_t> frame, size_t len);

/// A frame and the verdict ParseFrame must give it when it is one contiguous segment.
struct LabeledFrame {
  Bytes bytes{};
  packet::ParseVerdict expected = packet::ParseVerdict::kOk;
  std::string_view kind{};  // short description for messages, e.g. "ipv6/udp", "bad_udp_length"
};

/// Every kind of frame MixedTraffic makes appears at least once in each aligned run of this
/// many frames (the kinds are dealt from a shuffled deck of this size).
inline constexpr size_t kMixedTrafficDeck = 70;

/// A deterministic, varied capture: IPv4/IPv6 TCP, UDP, ICMP; ARP; other EtherTypes; IPv6
/// extension headers; first and later IPv4 fragments; untagged, 802.1Q and QinQ (0x88a8 and
/// 0x9100 outer tags); 60..1514 bytes; and about one frame in five malformed, one of each
/// malformed kind per deck (every ParseVerdict except kOk and kHeadersNotContiguous, which a
/// one-segment frame cannot have). Frames repeat flows, so flow tables see hits.
/// Byte-identical for a given (seed, count) on every platform: the generator is mt19937_64
/// and every value is derived from its raw output by hand, not by std distributions. A
/// shorter count gives a prefix of a longer one.
std::vector<LabeledFrame> MixedTraffic(uint64_t seed, size_t count);

/// Kinds of frame TunnelTraffic makes; each appears once in every aligned run of this many.
inline constexpr size_t kTunnelTrafficKinds = 27;

/// The options TunnelTraffic's labels assume: 4 VLAN tags, every tunnel, checksums verified.
inline constexpr packet::ParseOptions kTunnelTrafficOptions{
    .vlan_depth = 4, .tunnels = packet::kTunnelAll, .verify_ipv4_checksum = true};

/// The layers MixedTraffic leaves out: 4 VLAN tags, MPLS, IPv6 extension chains and later
/// fragments, SCTP, VXLAN, Geneve, GRE, IP-in-IP, IPv6-in-IP, GTP-U; and one frame for each
/// reason those layers add (expected verdicts hold under kTunnelTrafficOptions). Separate
/// from MixedTraffic so the demo capture stays as it is. Deterministic for (seed, count).
std::vector<LabeledFrame> TunnelTraffic(uint64_t seed, size_t count);

/// `count` untagged IPv4/UDP frames of exactly `frame_len` bytes (for benchmarks): `flows`
/// distinct 5-tuples, frame i repeating frame i % flows; 0 means every frame its own flow.
/// Throws std::invalid_argument unless kMinFrameLen <= frame_len <= kMaxFrameLen.
std::vector<Bytes> UdpTraffic(uint64_t seed, size_t count, size_t frame_len, size_t flows = 0);

/// Writes an Ethernet (DLT_EN10MB) pcap, microsecond timestamps: a fixed start and 100 us
/// apart, so equal frames give an equal file. Throws std::runtime_error naming `path`.
void WritePcap(const std::string& path, std::span<const Bytes> frames);
void WritePcap(const std::string& path, std::span<const LabeledFrame> frames);

/// Reads every frame (captured bytes) of an Ethernet pcap. Throws std::runtime_error naming
/// `path` when it cannot be opened or read, or is not Ethernet.
std::vector<Bytes> ReadPcap(const std::string& path);

}  // namespace ingestd::framegen
