// SPDX-License-Identifier: BSD-3-Clause
// Packet mempool creation: priv_size is set here and nowhere else.
#include "ingestd/dataplane/mempools.hpp"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fmt/format.h>

#include "ingestd/packet/packet_meta.hpp"

namespace ingestd::dataplane {

uint16_t MempoolSet::PrivSize() noexcept {
  return RTE_ALIGN(sizeof(packet::PktMeta), RTE_MBUF_PRIV_ALIGN);
}

MempoolSet::~MempoolSet() {
  for (rte_mempool* p : pools_) rte_mempool_free(p);
}

Status MempoolSet::Create(const config::MempoolConfig& cfg, const std::vector<int>& sockets,
                          const std::string& name_prefix) {
  for (int socket : sockets) {
    const unsigned s = socket < 0 ? 0u : static_cast<unsigned>(socket);
    if (s >= kMaxSockets) return Status::Error(EINVAL, fmt::format("socket {} out of range", s));
    if (by_socket_[s] != nullptr) continue;
    const std::string name = fmt::format("{}_s{}", name_prefix, s).substr(0, RTE_MEMPOOL_NAMESIZE - 1);
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), cfg.mbufs, cfg.cache, PrivSize(),
                                                cfg.data_room, static_cast<int>(s));
    if (pool == nullptr) {
      const int err = rte_errno;
      return Status::Error(
          err, fmt::format("cannot create mempool {} ({} mbufs of {} B on socket {}): {}; "
                           "lower pipeline.mempool.mbufs or raise eal.memory_mb",
                           name, cfg.mbufs, cfg.data_room, s, rte_strerror(err)));
    }
    by_socket_[s] = pool;
    pools_.push_back(pool);
  }
  return Status::Ok();
}

rte_mempool* MempoolSet::ForSocket(int socket) const noexcept {
  if (socket >= 0 && static_cast<unsigned>(socket) < kMaxSockets && by_socket_[socket] != nullptr)
    return by_socket_[socket];
  return pools_.empty() ? nullptr : pools_.front();
}

std::vector<MempoolSet::PoolView> MempoolSet::Pools() const {
  std::vector<PoolView> out;
  for (unsigned s = 0; s < kMaxSockets; ++s)
    if (by_socket_[s] != nullptr) out.push_back({by_socket_[s]->name, static_cast<int>(s), by_socket_[s]});
  return out;
}

}  // namespace ingestd::dataplane
