// SPDX-License-Identifier: BSD-3-Clause
// One packet mempool per NUMA socket, each mbuf with a private area for PktMeta.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"
#include "ingestd/dataplane/result.hpp"

struct rte_mempool;

namespace ingestd::dataplane {

/// Owns the packet mempools. Threading: create and destroy on the main
/// thread; pools are then used from any lcore (DPDK mempools are MP/MC safe).
class MempoolSet {
 public:
  static constexpr unsigned kMaxSockets = 8;

  MempoolSet() = default;
  MempoolSet(const MempoolSet&) = delete;
  MempoolSet& operator=(const MempoolSet&) = delete;
  ~MempoolSet();

  /// Creates one pool per socket in `sockets` (socket ids; duplicates ignored).
  Status Create(const config::MempoolConfig& cfg, const std::vector<int>& sockets,
                const std::string& name_prefix);

  /// The pool of `socket`, or of the first socket when it has none (devices
  /// report SOCKET_ID_ANY for virtual devices).
  rte_mempool* ForSocket(int socket) const noexcept;

  /// A pool of `mbufs` indirect mbufs (no data room, PktMeta private area) for
  /// mirror copies, which point at their original's data. Listed by Pools().
  Status CreateClonePool(uint32_t mbufs, uint32_t cache, const std::string& name);
  rte_mempool* ClonePool() const noexcept { return clone_pool_; }

  struct PoolView {
    std::string name;
    int socket;
    const rte_mempool* pool;
  };
  std::vector<PoolView> Pools() const;

  /// Private area size per mbuf: PktMeta rounded to RTE_MBUF_PRIV_ALIGN.
  static uint16_t PrivSize() noexcept;

 private:
  std::array<rte_mempool*, kMaxSockets> by_socket_{};
  std::vector<rte_mempool*> pools_;
  rte_mempool* clone_pool_ = nullptr;
};

}  // namespace ingestd::dataplane
