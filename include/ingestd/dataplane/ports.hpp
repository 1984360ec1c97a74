// SPDX-License-Identifier: BSD-3-Clause
// The configured ports: found by device name, configured, started, stopped and closed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingestd/config/config.hpp"
#include "ingestd/dataplane/result.hpp"

struct rte_mempool;

namespace ingestd::dataplane {

class MempoolSet;

/// Owns the ethdev ports named in the config, in config order.
/// Threading: main thread only; the data path uses the port ids.
class PortSet {
 public:
  PortSet() = default;
  PortSet(const PortSet&) = delete;
  PortSet& operator=(const PortSet&) = delete;
  ~PortSet();

  /// Finds every configured device among the probed ports.
  Status Resolve(const config::RuntimeConfig& cfg);
  /// NUMA socket of each resolved port (SOCKET_ID_ANY read as 0).
  std::vector<int> Sockets() const;
  /// Configures queues (RX buffers from `pools`), MTU, promiscuous mode; starts.
  Status Start(const config::RuntimeConfig& cfg, const MempoolSet& pools);

  uint16_t PortId(size_t index) const { return port_ids_.at(index); }
  /// The pool port `index`'s RX queues take buffers from (after Start).
  rte_mempool* RxPool(size_t index) const { return rx_pools_.at(index); }
  /// Mbufs port `index` takes from its RX pool and never gives back, even when
  /// closed (after Start): DPDK 22.11's net_af_xdp leaves its fill ring's
  /// buffers out of the pool. They are the device's, not a leak of ingestd's.
  uint32_t MbufsKeptAfterClose(size_t index) const { return kept_after_close_.at(index); }
  size_t size() const noexcept { return port_ids_.size(); }
  /// Non-fatal notes from Start (e.g. a vdev without promiscuous mode).
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  /// Stops and closes every configured port; closing releases the mbufs still in
  /// RX/TX descriptor rings. Idempotent.
  void StopAll();

 private:
  std::vector<uint16_t> port_ids_;
  std::vector<rte_mempool*> rx_pools_;
  std::vector<uint32_t> kept_after_close_;
  std::vector<bool> configured_;  // close releases queue mbufs
  std::vector<bool> started_;
  std::vector<std::string> warnings_;
};

}  // namespace ingestd::dataplane
