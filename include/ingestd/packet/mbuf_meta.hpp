// SPDX-License-Identifier: BSD-3-Clause
// Meta(m): the PktMeta in an mbuf's private area (sized where the mempools are created).
#pragma once

#include <rte_mbuf.h>

#include "ingestd/packet/packet_meta.hpp"

namespace ingestd::packet {

inline PktMeta& Meta(rte_mbuf* m) noexcept {
  return *static_cast<PktMeta*>(rte_mbuf_to_priv(m));
}

}  // namespace ingestd::packet
