// SPDX-License-Identifier: BSD-3-Clause
// A flow as the data path keys it and as the exporter sends it.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ingestd::flows {

/// Hash key: addresses as IPv6 (IPv4 mapped, ::ffff:a.b.c.d), network order;
/// ports host order; 40 bytes, no padding to hash.
struct FlowKey {
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t src_port;
  uint16_t dst_port;
  uint8_t proto;
  uint8_t in_port;  // DPDK port id
  uint8_t pad[2];   // zero
};
static_assert(sizeof(FlowKey) == 40 && std::is_trivially_copyable_v<FlowKey>);

/// Why a flow's record left the table (IPFIX flowEndReason, RFC 5102).
enum class FlowEnd : uint8_t { kIdle = 1, kActive = 2, kEndOfRun = 3, kEvicted = 5 };

/// One exported flow: its key and totals. Times are TSC ticks of the data path.
struct FlowRecord {
  FlowKey key;
  uint64_t packets;
  uint64_t bytes;     // frames as received: Ethernet header on, no FCS (IPFIX layer2OctetDeltaCount)
  uint64_t ip_bytes;  // the outer IP header's length, header included (IPFIX octetDeltaCount)
  uint64_t first_tsc;
  uint64_t last_tsc;
  uint8_t tcp_flags;  // union over the flow's TCP segments
  FlowEnd end;
  uint8_t pad[6];
};
static_assert(sizeof(FlowRecord) == 88 && std::is_trivially_copyable_v<FlowRecord>);

/// True for a key whose addresses are IPv4-mapped.
inline bool IsV4(const FlowKey& k) noexcept {
  for (int i = 0; i < 10; ++i)
    if (k.src[i] != 0) return false;
  return k.src[10] == 0xff && k.src[11] == 0xff;
}

}  // namespace ingestd::flows
