// SPDX-License-Identifier: BSD-3-Clause
// Port setup and teardown (control path).
#include "ingestd/dataplane/ports.hpp"

#include <array>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <fmt/format.h>

#include "ingestd/dataplane/mempools.hpp"
#include "ingestd/dataplane/rss_key.hpp"

namespace ingestd::dataplane {
namespace {

std::string DeviceHint(const config::PortConfig& p) {
  if (p.is_pci) {
    return fmt::format(
        "bind it to a DPDK driver first: dpdk-devbind.py --bind=vfio-pci {} "
        "(and check `dpdk-devbind.py --status`)", p.device);
  }
  return "check the driver name (net_pcap, net_ring, net_null, net_tap, net_af_packet, net_memif) "
         "and its args";
}

Status PortError(const std::string& source, const config::PortConfig& p, int err,
                 const std::string& what) {
  return Status::Error(err, fmt::format("{}:{}:{}: port '{}' ({}): {}: {}", source, p.mark.line,
                                        p.mark.column, p.name, p.device, what, rte_strerror(err)));
}

/// Buffers DPDK 22.11's net_af_xdp puts in each RX queue's fill ring at setup
/// (ETH_AF_XDP_DFLT_NUM_DESCS, whatever rx_desc says) and does not return to the
/// pool when the port closes: its umem is the mempool itself.
constexpr uint32_t kAfXdpFillRingMbufs = 2048;

/// How a multi-queue device without a settable RSS key spreads flows.
std::string RssNote(const config::PortConfig& p, const rte_eth_dev_info& info) {
  const std::string driver = info.driver_name != nullptr ? info.driver_name : "";
  if (driver == "net_af_packet") {
    return fmt::format("port '{}': {} RX queues spread by the kernel's PACKET_FANOUT_HASH, which is symmetric "
                       "(both directions of a flow on one queue) until a queue's ring is full: the kernel then "
                       "rolls frames over to another queue",
                       p.name, p.rx_queues);
  }
  return fmt::format("port '{}': {} RX queues, but {} takes no RSS key: flows are spread its own way, and both "
                     "directions of a flow may land on different queues",
                     p.name, p.rx_queues, driver.empty() ? "the device" : driver);
}

}  // namespace

PortSet::~PortSet() { StopAll(); }

Status PortSet::Resolve(const config::RuntimeConfig& cfg) {
  port_ids_.clear();
  for (const auto& p : cfg.ports) {
    uint16_t id = 0;
    int rc = rte_eth_dev_get_port_by_name(p.device.c_str(), &id);
    if (rc != 0 && p.is_pci && p.device.size() == 7) {  // "01:00.0" is listed as "0000:01:00.0"
      rc = rte_eth_dev_get_port_by_name(("0000:" + p.device).c_str(), &id);
    }
    if (rc != 0) {
      return Status::Error(ENODEV, fmt::format("{}:{}:{}: port '{}': device {} not found; {}",
                                               cfg.source, p.mark.line, p.mark.column, p.name,
                                               p.device, DeviceHint(p)));
    }
    port_ids_.push_back(id);
  }
  started_.assign(port_ids_.size(), false);
  configured_.assign(port_ids_.size(), false);
  rx_pools_.assign(port_ids_.size(), nullptr);
  kept_after_close_.assign(port_ids_.size(), 0);
  return Status::Ok();
}

std::vector<int> PortSet::Sockets() const {
  std::vector<int> sockets;
  for (uint16_t id : port_ids_) {
    const int s = rte_eth_dev_socket_id(id);
    sockets.push_back(s < 0 ? 0 : s);
  }
  return sockets;
}

Status PortSet::Start(const config::RuntimeConfig& cfg, const MempoolSet& pools) {
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    const config::PortConfig& p = cfg.ports[i];
    const uint16_t id = port_ids_[i];
    auto fail = [&](int rc, const std::string& what) {
      return PortError(cfg.source, p, rc < 0 ? -rc : rc, what);
    };

    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) return fail(rc, "cannot read device info");
    if (p.rx_queues > info.max_rx_queues || p.tx_queues > info.max_tx_queues) {
      return Status::Error(EINVAL, fmt::format(
          "{}:{}:{}: port '{}': {} RX / {} TX queues asked, the device has at most {} / {}",
          cfg.source, p.mark.line, p.mark.column, p.name, p.rx_queues, p.tx_queues,
          info.max_rx_queues, info.max_tx_queues));
    }

    rte_eth_conf conf{};
    std::array<uint8_t, kMaxRssKeyLen> rss_key = kSymmetricRssKey;  // read during configure
    if (p.rx_queues > 1) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      rte_eth_rss_conf& rss = conf.rx_adv_conf.rss_conf;
      rss.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
      if (rss.rss_hf != 0 && info.hash_key_size > 0 && info.hash_key_size <= rss_key.size()) {
        rss.rss_key = rss_key.data();
        rss.rss_key_len = info.hash_key_size;
      } else {
        warnings_.push_back(RssNote(p, info));
      }
    }
    if (int rc = rte_eth_dev_configure(id, p.rx_queues, p.tx_queues, &conf); rc != 0)
      return fail(rc, "configure failed");
    configured_[i] = true;

    uint16_t rx_desc = p.rx_desc;
    uint16_t tx_desc = p.tx_desc;
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_desc, &tx_desc); rc != 0)
      return fail(rc, "descriptor counts refused");
    if (rx_desc != p.rx_desc || tx_desc != p.tx_desc) {
      warnings_.push_back(fmt::format("port '{}': descriptors adjusted by the device to {} RX / {} TX",
                                      p.name, rx_desc, tx_desc));
    }
    if (p.mtu) {
      if (int rc = rte_eth_dev_set_mtu(id, *p.mtu); rc != 0) return fail(rc, fmt::format("MTU {} refused", *p.mtu));
    }

    const int socket = rte_eth_dev_socket_id(id);
    rte_mempool* pool = pools.ForSocket(socket);
    rx_pools_[i] = pool;
    for (uint16_t q = 0; q < p.rx_queues; ++q) {
      if (int rc = rte_eth_rx_queue_setup(id, q, rx_desc, socket < 0 ? 0 : socket, nullptr, pool); rc != 0)
        return fail(rc, fmt::format("RX queue {} setup failed", q));
    }
    for (uint16_t q = 0; q < p.tx_queues; ++q) {
      if (int rc = rte_eth_tx_queue_setup(id, q, tx_desc, socket < 0 ? 0 : socket, nullptr); rc != 0)
        return fail(rc, fmt::format("TX queue {} setup failed", q));
    }
    if (int rc = rte_eth_dev_start(id); rc != 0) return fail(rc, "start failed");
    started_[i] = true;
    if (info.driver_name != nullptr && std::string(info.driver_name) == "net_af_xdp" && p.rx_queues > 0) {
      kept_after_close_[i] = kAfXdpFillRingMbufs * p.rx_queues;
      warnings_.push_back(fmt::format("port '{}': net_af_xdp keeps the {} mbufs of its fill ring{} until the "
                                      "process exits; they are reported as kept by the device, not as a leak",
                                      p.name, kept_after_close_[i], p.rx_queues > 1 ? "s" : ""));
    }

    if (p.promiscuous) {
      if (int rc = rte_eth_promiscuous_enable(id); rc != 0) {
        warnings_.push_back(fmt::format("port '{}': promiscuous mode not available ({})", p.name,
                                        rte_strerror(-rc)));
      }
    }
  }
  return Status::Ok();
}

void PortSet::StopAll() {
  for (size_t i = 0; i < port_ids_.size(); ++i) {
    if (started_[i]) (void)rte_eth_dev_stop(port_ids_[i]);
    if (configured_[i]) (void)rte_eth_dev_close(port_ids_[i]);
    started_[i] = configured_[i] = false;
  }
}

}  // namespace ingestd::dataplane
