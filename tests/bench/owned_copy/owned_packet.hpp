// SPDX-License-Identifier: BSD-3-Clause
// The owned-object packet model: one heap object per layer, every field and buffer its own copy.
//
// This is the design ingestd is compared against, written as a typical message-passing
// service writes it (a Java service, or C++ in that style): each stage hands the next one a
// freshly allocated object that owns all its data, headers are polymorphic objects with
// virtual Clone/Encode, and nothing points back into the received buffer. It is not made
// worse than that on purpose: addresses are small value types inside their header (no
// string formatting, no extra allocation), buffers are sized once (no regrowth), and the
// layers are those ingestd's parser recognises, decoded from the offsets it found.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ingestd/packet/packet_meta.hpp"

namespace ingestd::bench::owned {

/// Appends big-endian fields to a buffer the caller sized (like java.nio.ByteBuffer).
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) noexcept : out_(out) {}
  void Put8(uint8_t v) { out_.push_back(v); }
  void Put16(uint16_t v) {
    Put8(static_cast<uint8_t>(v >> 8));
    Put8(static_cast<uint8_t>(v));
  }
  void Put32(uint32_t v) {
    Put16(static_cast<uint16_t>(v >> 16));
    Put16(static_cast<uint16_t>(v));
  }
  void PutBytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

 private:
  std::vector<uint8_t>& out_;
};

struct MacAddress {
  std::array<uint8_t, 6> octets{};
};

/// IPv4 or IPv6 address by value (what InetAddress holds, without the extra object).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t length = 0;  // 4 or 16
  std::span<const uint8_t> Span() const noexcept { return {bytes.data(), length}; }
};

struct VlanTag {
  uint16_t tpid = 0;
  uint16_t tci = 0;
};

class EthernetHeader final {
 public:
  MacAddress dst;
  MacAddress src;
  std::vector<VlanTag> vlans;         // outermost first
  uint16_t ethertype = 0;             // after the tags
  std::vector<uint32_t> mpls_labels;  // whole label stack entries, top first

  /// Decodes the Ethernet header, tags and MPLS stack that `meta` found in `frame`.
  static std::unique_ptr<EthernetHeader> Decode(std::span<const uint8_t> frame,
                                                const packet::PktMeta& meta, uint64_t& copied);
  std::unique_ptr<EthernetHeader> Clone(uint64_t& copied) const;
  size_t EncodedLength() const noexcept { return 14 + 4 * vlans.size() + 4 * mpls_labels.size(); }
  void EncodeTo(ByteWriter& w) const;
};

/// L3: IPv4, IPv6 or ARP. Virtual, as an object-per-layer design dispatches per layer.
class NetworkHeader {
 public:
  virtual ~NetworkHeader() = default;
  virtual std::unique_ptr<NetworkHeader> Clone(uint64_t& copied) const = 0;
  virtual size_t EncodedLength() const noexcept = 0;
  virtual void EncodeTo(ByteWriter& w) const = 0;

 protected:
  NetworkHeader() = default;
  NetworkHeader(const NetworkHeader&) = default;
  NetworkHeader& operator=(const NetworkHeader&) = default;
};

class Ipv4Header final : public NetworkHeader {
 public:
  uint8_t version_ihl = 0;
  uint8_t tos = 0;
  uint16_t total_length = 0;
  uint16_t identification = 0;
  uint16_t flags_fragment = 0;
  uint8_t ttl = 0;
  uint8_t protocol = 0;
  uint16_t checksum = 0;
  IpAddress src;
  IpAddress dst;
  std::vector<uint8_t> options;

  /// `header_len` bytes (IHL * 4) at `p`, validated by the parser.
  static std::unique_ptr<Ipv4Header> Decode(const uint8_t* p, uint32_t header_len,
                                            uint64_t& copied);
  std::unique_ptr<NetworkHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 20 + options.size(); }
  void EncodeTo(ByteWriter& w) const override;
};

class Ipv6Header final : public NetworkHeader {
 public:
  uint32_t version_class_flow = 0;
  uint16_t payload_length = 0;
  uint8_t next_header = 0;
  uint8_t hop_limit = 0;
  IpAddress src;
  IpAddress dst;
  std::vector<uint8_t> extension_headers;  // raw, between the fixed header and L4

  static std::unique_ptr<Ipv6Header> Decode(const uint8_t* p, uint32_t ext_len, uint64_t& copied);
  std::unique_ptr<NetworkHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 40 + extension_headers.size(); }
  void EncodeTo(ByteWriter& w) const override;
};

class ArpHeader final : public NetworkHeader {
 public:
  uint16_t hardware_type = 0;
  uint16_t protocol_type = 0;
  uint8_t hardware_length = 0;
  uint8_t protocol_length = 0;
  uint16_t operation = 0;
  MacAddress sender_mac;
  IpAddress sender_ip;
  MacAddress target_mac;
  IpAddress target_ip;

  static std::unique_ptr<ArpHeader> Decode(const uint8_t* p, uint64_t& copied);
  std::unique_ptr<NetworkHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 28; }
  void EncodeTo(ByteWriter& w) const override;
};

/// L4: TCP, UDP, ICMP/ICMPv6 or SCTP.
class TransportHeader {
 public:
  virtual ~TransportHeader() = default;
  virtual std::unique_ptr<TransportHeader> Clone(uint64_t& copied) const = 0;
  virtual size_t EncodedLength() const noexcept = 0;
  virtual void EncodeTo(ByteWriter& w) const = 0;

  /// The header at `p` for IP protocol `proto`, as the parser validated it.
  static std::unique_ptr<TransportHeader> Decode(uint8_t proto, const uint8_t* p, uint64_t& copied);

 protected:
  TransportHeader() = default;
  TransportHeader(const TransportHeader&) = default;
  TransportHeader& operator=(const TransportHeader&) = default;
};

class TcpHeader final : public TransportHeader {
 public:
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t offset_flags = 0;  // data offset, reserved bits, flags
  uint16_t window = 0;
  uint16_t checksum = 0;
  uint16_t urgent = 0;
  std::vector<uint8_t> options;

  std::unique_ptr<TransportHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 20 + options.size(); }
  void EncodeTo(ByteWriter& w) const override;
};

class UdpHeader final : public TransportHeader {
 public:
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t length = 0;
  uint16_t checksum = 0;

  std::unique_ptr<TransportHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 8; }
  void EncodeTo(ByteWriter& w) const override;
};

class IcmpHeader final : public TransportHeader {
 public:
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t checksum = 0;
  uint32_t rest = 0;  // identifier/sequence, or type-specific

  std::unique_ptr<TransportHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 8; }
  void EncodeTo(ByteWriter& w) const override;
};

class SctpHeader final : public TransportHeader {
 public:
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t verification_tag = 0;
  uint32_t checksum = 0;

  std::unique_ptr<TransportHeader> Clone(uint64_t& copied) const override;
  size_t EncodedLength() const noexcept override { return 12; }
  void EncodeTo(ByteWriter& w) const override;
};

/// receive -> parse: the frame as a socket read returns it, in a buffer of its own.
struct RawFrame {
  uint64_t seq = 0;     // position in the replayed stream (message id)
  uint64_t rx_tsc = 0;  // when receive took it
  std::string in_port;
  std::vector<uint8_t> bytes;
};

/// parse -> process: the decoded message. Layers the packet lacks are null; `payload` is
/// everything after the last decoded header, to the end of the frame (padding included, so
/// the encoded frame equals the received one).
struct ParsedPacket {
  uint64_t seq = 0;
  uint64_t rx_tsc = 0;
  std::string in_port;
  std::unique_ptr<EthernetHeader> ethernet;
  std::unique_ptr<NetworkHeader> network;
  std::unique_ptr<TransportHeader> transport;
  std::vector<uint8_t> payload;

  /// Builds the owned message from a frame ParseFrame accepted (verdict kOk).
  static std::unique_ptr<ParsedPacket> Decode(const RawFrame& raw, const packet::PktMeta& meta,
                                              uint64_t& copied);
  /// A deep copy: every layer and buffer again.
  std::unique_ptr<ParsedPacket> Clone(uint64_t& copied) const;
  size_t EncodedLength() const noexcept;
  void EncodeTo(ByteWriter& w) const;
};

/// process -> encode: a new message naming the output, holding its own copy of the packet.
struct RoutedPacket {
  std::string out_port;
  std::unique_ptr<ParsedPacket> packet;
};

/// encode -> transmit: the serialised frame.
struct OutFrame {
  uint64_t seq = 0;
  uint64_t rx_tsc = 0;
  std::string out_port;
  std::vector<uint8_t> bytes;
};

}  // namespace ingestd::bench::owned
