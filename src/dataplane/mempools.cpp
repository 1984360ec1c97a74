// SPDX-License-Identifier: BSD-3-Clause
// Packet mempool creation: priv_size is set here and nowhere else.
#include "ingestd/dataplane/mempools.hpp"

#include <cstring>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fmt/format.h>

#include "ingestd/packet/packet_meta.hpp"

namespace ingestd::dataplane {

namespace {

/// DPDK's name for a handler; nullptr lets DPDK choose (rte_mbuf_best_mempool_ops).
const char* HandlerName(config::MempoolHandler h) noexcept {
  return h == config::MempoolHandler::kStack ? "stack" : nullptr;
}

bool OpsMissing(const char* name) noexcept {
  if (name == nullptr) return false;
  for (unsigned i = 0; i < rte_mempool_ops_table.num_ops; ++i)
    if (std::strcmp(rte_mempool_ops_table.ops[i].name, name) == 0) return false;
  return true;
}

}  // namespace

uint16_t MempoolSet::PrivSize() noexcept {
  return RTE_ALIGN(sizeof(packet::PktMeta), RTE_MBUF_PRIV_ALIGN);
}

MempoolSet::~MempoolSet() {
  rte_mempool_free(clone_pool_);
  for (rte_mempool* p : pools_) rte_mempool_free(p);
}

Status MempoolSet::CreateClonePool(uint32_t mbufs, uint32_t cache, const std::string& name) {
  clone_pool_ = rte_pktmbuf_pool_create(name.c_str(), mbufs, cache, PrivSize(), 0, SOCKET_ID_ANY);
  if (clone_pool_ == nullptr) {
    const int err = rte_errno;
    return Status::Error(err, fmt::format("cannot create the mirror clone pool {} ({} mbufs): {}; "
                                          "lower pipeline.mempool.clones or raise eal.memory_mb",
                                          name, mbufs, rte_strerror(err)));
  }
  return Status::Ok();
}

Status MempoolSet::Create(const config::MempoolConfig& cfg, const std::vector<int>& sockets,
                          const std::string& name_prefix) {
  for (int socket : sockets) {
    const unsigned s = socket < 0 ? 0u : static_cast<unsigned>(socket);
    if (s >= kMaxSockets) return Status::Error(EINVAL, fmt::format("socket {} out of range", s));
    if (by_socket_[s] != nullptr) continue;
    const std::string name = fmt::format("{}_s{}", name_prefix, s).substr(0, RTE_MEMPOOL_NAMESIZE - 1);
    const char* handler = HandlerName(cfg.handler);
    rte_mempool* pool = rte_pktmbuf_pool_create_by_ops(name.c_str(), cfg.mbufs, cfg.cache, PrivSize(),
                                                       cfg.data_room, static_cast<int>(s), handler);
    if (pool == nullptr) {
      const int err = rte_errno;
      if (OpsMissing(handler))
        return Status::Error(EINVAL, fmt::format("cannot create mempool {}: no mempool handler \"{}\" in this DPDK "
                                                 "(its driver, librte_mempool_{}, is not loaded); set "
                                                 "pipeline.mempool.handler: default",
                                                 name, handler, handler));
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
  if (clone_pool_ != nullptr) out.push_back({clone_pool_->name, clone_pool_->socket_id, clone_pool_});
  return out;
}

}  // namespace ingestd::dataplane
