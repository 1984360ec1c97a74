// SPDX-License-Identifier: BSD-3-Clause
// IPFIX encoding (RFC 7011; information elements from the IANA registry, RFC 5102).
#include "ipfix.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace ingestd::flows {
namespace {

constexpr uint16_t kVersion = 10;
constexpr uint16_t kTemplateSetId = 2;
constexpr uint16_t kTemplateV4 = 256;
constexpr uint16_t kTemplateV6 = 257;

struct Ie {
  uint16_t id;
  uint16_t length;
};
// sourceIPv4Address, destinationIPv4Address | sourceIPv6Address, destinationIPv6Address; then
// sourceTransportPort, destinationTransportPort, protocolIdentifier, tcpControlBits,
// ingressInterface, packetDeltaCount, octetDeltaCount (IP bytes, as RFC 7012 defines it),
// flowStartMilliseconds, flowEndMilliseconds, flowEndReason, layer2OctetDeltaCount (frame
// bytes without FCS, what the ports count).
constexpr Ie kCommon[] = {{7, 2}, {11, 2}, {4, 1}, {6, 2}, {10, 4}, {2, 8}, {1, 8}, {152, 8}, {153, 8}, {136, 1}, {352, 8}};
constexpr Ie kV4[] = {{8, 4}, {12, 4}};
constexpr Ie kV6[] = {{27, 16}, {28, 16}};
constexpr size_t kCommonBytes = 2 + 2 + 1 + 2 + 4 + 8 + 8 + 8 + 8 + 1 + 8;

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void U64(uint64_t v) {
    U32(static_cast<uint32_t>(v >> 32));
    U32(static_cast<uint32_t>(v));
  }
  void Bytes(const uint8_t* p, size_t n) { out_.insert(out_.end(), p, p + n); }
  void PatchU16(size_t at, uint16_t v) {
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }

  size_t size() const { return out_.size(); }

 private:
  std::vector<uint8_t>& out_;
};

void Template(Writer& w, uint16_t id, std::span<const Ie> addresses) {
  w.U16(id);
  w.U16(static_cast<uint16_t>(addresses.size() + std::size(kCommon)));
  for (const Ie& ie : addresses) {
    w.U16(ie.id);
    w.U16(ie.length);
  }
  for (const Ie& ie : kCommon) {
    w.U16(ie.id);
    w.U16(ie.length);
  }
}

void Record(Writer& w, const FlowRecord& r, bool v4, const ExportClock& clock) {
  if (v4) {
    w.Bytes(r.key.src + 12, 4);
    w.Bytes(r.key.dst + 12, 4);
  } else {
    w.Bytes(r.key.src, 16);
    w.Bytes(r.key.dst, 16);
  }
  w.U16(r.key.src_port);
  w.U16(r.key.dst_port);
  w.U8(r.key.proto);
  w.U16(r.tcp_flags);
  w.U32(r.key.in_port);
  w.U64(r.packets);
  w.U64(r.ip_bytes);
  w.U64(clock.UnixMs(r.first_tsc));
  w.U64(clock.UnixMs(r.last_tsc));
  w.U8(static_cast<uint8_t>(r.end));
  w.U64(r.bytes);
}

}  // namespace

bool IpfixEncoder::TemplatesDue(uint64_t now_ms) const noexcept {
  return !templates_sent_ || (refresh_.messages != 0 && since_templates_ >= refresh_.messages) ||
         (refresh_.seconds != 0 && now_ms - templates_ms_ >= uint64_t{refresh_.seconds} * 1000);
}

void IpfixEncoder::Header(std::vector<uint8_t>& m, uint32_t export_time_s) const {
  Writer w(m);
  w.U16(kVersion);
  w.U16(0);  // length, patched when the message is complete
  w.U32(export_time_s);
  w.U32(sequence_);  // data records before this message (RFC 7011 section 3.1)
  w.U32(domain_id_);
}

bool IpfixEncoder::MaybeTemplates(std::vector<uint8_t>& m, uint64_t now_ms, bool force) {
  const bool due = force || TemplatesDue(now_ms);
  ++since_templates_;
  if (!due) return false;
  Writer w(m);
  const size_t template_set = w.size();
  w.U16(kTemplateSetId);
  w.U16(0);
  Template(w, kTemplateV4, kV4);
  Template(w, kTemplateV6, kV6);
  w.PatchU16(template_set + 2, static_cast<uint16_t>(w.size() - template_set));
  templates_sent_ = true;
  templates_ms_ = now_ms;
  since_templates_ = 1;
  return true;
}

IpfixMessage IpfixEncoder::Templates(uint32_t export_time_s, uint64_t now_ms) {
  IpfixMessage out;
  Header(out.bytes, export_time_s);
  out.templates = MaybeTemplates(out.bytes, now_ms, true);
  Writer(out.bytes).PatchU16(2, static_cast<uint16_t>(out.bytes.size()));
  return out;
}

std::vector<IpfixMessage> IpfixEncoder::Encode(std::span<const FlowRecord> records, const ExportClock& clock,
                                               uint32_t export_time_s, uint64_t now_ms) {
  std::vector<IpfixMessage> messages;
  size_t next = 0;
  while (next < records.size()) {
    IpfixMessage& message = messages.emplace_back();
    std::vector<uint8_t>& m = message.bytes;
    Header(m, export_time_s);
    message.templates = MaybeTemplates(m, now_ms, false);
    Writer w(m);
    // Data sets: a new one whenever the address family changes.
    size_t set_start = 0;
    int set_v4 = -1;
    uint32_t in_message = 0;
    for (; next < records.size(); ++next) {
      const FlowRecord& r = records[next];
      const bool v4 = IsV4(r.key);
      const size_t record_bytes = (v4 ? 8 : 32) + kCommonBytes;
      const size_t new_set = set_v4 == static_cast<int>(v4) ? 0 : 4;
      if (w.size() + new_set + record_bytes > kMaxMessage) break;
      if (new_set != 0) {
        if (set_v4 >= 0) w.PatchU16(set_start + 2, static_cast<uint16_t>(w.size() - set_start));
        set_start = w.size();
        w.U16(v4 ? kTemplateV4 : kTemplateV6);
        w.U16(0);
        set_v4 = v4;
      }
      Record(w, r, v4, clock);
      ++in_message;
    }
    if (set_v4 >= 0) w.PatchU16(set_start + 2, static_cast<uint16_t>(w.size() - set_start));
    w.PatchU16(2, static_cast<uint16_t>(w.size()));
    sequence_ += in_message;
  }
  return messages;
}

std::string FlowJson(const FlowRecord& r, const ExportClock& clock) {
  char src[INET6_ADDRSTRLEN] = {}, dst[INET6_ADDRSTRLEN] = {};
  if (IsV4(r.key)) {
    inet_ntop(AF_INET, r.key.src + 12, src, sizeof src);
    inet_ntop(AF_INET, r.key.dst + 12, dst, sizeof dst);
  } else {
    inet_ntop(AF_INET6, r.key.src, src, sizeof src);
    inet_ntop(AF_INET6, r.key.dst, dst, sizeof dst);
  }
  static constexpr const char* kEnd[] = {"", "idle", "active", "end_of_run", "", "evicted"};
  return fmt::format(R"({{"src":"{}","dst":"{}","src_port":{},"dst_port":{},"proto":{},"in_port":{},"packets":{},)"
                     R"("bytes":{},"ip_bytes":{},"first_ms":{},"last_ms":{},"tcp_flags":{},"end":"{}"}})",
                     src, dst, r.key.src_port, r.key.dst_port, r.key.proto, r.key.in_port, r.packets, r.bytes, r.ip_bytes,
                     clock.UnixMs(r.first_tsc), clock.UnixMs(r.last_tsc), r.tcp_flags,
                     kEnd[static_cast<unsigned>(r.end) < 6 ? static_cast<unsigned>(r.end) : 0]);
}

}  // namespace ingestd::flows
