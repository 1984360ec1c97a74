// SPDX-License-Identifier: BSD-3-Clause
// parse: fills each packet's PktMeta view; malformed frames are dropped under their verdict.
#pragma once

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "drop_sink.hpp"
#include "ingestd/packet/mbuf_meta.hpp"
#include "ingestd/packet/parse.hpp"
#include "stage_context.hpp"

namespace ingestd::stages {

/// Packets ahead whose first data line is prefetched: about one parse
/// (~30-60 cycles) times three covers an L2/L3 miss without evicting the burst.
inline constexpr uint16_t kParsePrefetchAhead = 3;

// parse.hpp repeats the RX IP checksum flags so it needs no DPDK; they must agree.
static_assert(packet::kRxIpCksumMask == RTE_MBUF_F_RX_IP_CKSUM_MASK);
static_assert(packet::kRxIpCksumBad == RTE_MBUF_F_RX_IP_CKSUM_BAD);
static_assert(packet::kRxIpCksumGood == RTE_MBUF_F_RX_IP_CKSUM_GOOD);

/// Parses `pkts[0..n)` in place, keeping well-formed packets in order at the
/// front. Returns how many remain. Ownership: malformed mbufs are freed.
/// `opts` is the calling lcore's own copy (default: two VLAN tags, no tunnels, no checksum
/// check); the NIC's RX IP checksum flags are honoured when it asks for verification.
inline uint16_t ParseBurst(rte_mbuf** pkts, uint16_t n, DropSink& drops,
                           const packet::ParseOptions& opts = {}) noexcept {
  for (uint16_t i = 0; i < n && i < kParsePrefetchAhead; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kParsePrefetchAhead < n)
      rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kParsePrefetchAhead], void*));
    rte_mbuf* m = pkts[i];
    const packet::ParseVerdict v = packet::ParseFrame(rte_pktmbuf_mtod(m, const uint8_t*),
                                                      m->data_len, m->pkt_len, packet::Meta(m),
                                                      opts, m->ol_flags);
    if (v == packet::ParseVerdict::kOk) [[likely]] {
      pkts[kept++] = m;
    } else {
      drops.Drop(m, stats::DropSlot(v));
    }
  }
  return kept;
}

/// The parse stage: its lcore's own copy of the parse options.
class ParseStage {
 public:
  void Configure(const packet::ParseOptions& options) noexcept { options_ = options; }
  uint16_t Burst(rte_mbuf** pkts, uint16_t n, StageContext& ctx) noexcept {
    return ParseBurst(pkts, n, ctx.drops, options_);
  }

 private:
  packet::ParseOptions options_;
};

}  // namespace ingestd::stages
