// SPDX-License-Identifier: BSD-3-Clause
// Drop capture on the control thread: rings -> libpcap filter -> pcapng with a comment -> free.
#include "drop_capture.hpp"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>

#include "ingestd/log/log.hpp"
#include "ingestd/packet/mbuf_meta.hpp"

namespace ingestd::capture {
namespace {

/// Records taken from one ring per call: a burst's worth, freed in one bulk call.
constexpr unsigned kDrainBurst = 64;
constexpr uint32_t kMaxFrame = 65535;

}  // namespace

TscClock TscClock::Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {rte_get_tsc_hz(), rte_rdtsc(), uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec)};
}

uint64_t TscClock::UnixNs(uint64_t tsc) const noexcept {
  // Whole seconds, then the rest: (ticks % hz) * 1e9 stays below 2^64 for any TSC rate under 18 GHz.
  const uint64_t ticks = tsc - tsc0;
  return unix_ns0 + ticks / hz * 1'000'000'000 + ticks % hz * 1'000'000'000 / hz;
}

DropCapture::DropCapture(std::vector<TapRef> taps, std::vector<std::pair<std::string, uint16_t>> ports,
                         TscClock clock)
    : taps_(std::move(taps)), interface_of_port_(RTE_MAX_ETHPORTS, 0), clock_(clock), buffer_(kMaxFrame) {
  for (size_t i = 0; i < ports.size(); ++i) {
    port_names_.push_back(ports[i].first);
    if (ports[i].second < interface_of_port_.size()) interface_of_port_[ports[i].second] = static_cast<uint16_t>(i);
  }
}

DropCapture::~DropCapture() { Finish(); }

void DropCapture::SetTaps(bool on) {
  for (const TapRef& t : taps_) t.tap->on.store(on, std::memory_order_release);
}

Status DropCapture::Start(const config::DropCaptureConfig& cfg) {
  if (active_)
    return Status::Error(EBUSY, fmt::format("a drop capture is already running (to {}); stop it first", cfg_.file));
  if (taps_.empty()) return Status::Error("no lcore to capture from");
  bpf_program program{};
  const bool has_filter = !cfg.filter.empty();
  if (has_filter) {
    pcap_t* p = pcap_open_dead(DLT_EN10MB, static_cast<int>(kMaxFrame));
    if (p == nullptr) return Status::Error("libpcap cannot open a dead handle");
    const bool ok = pcap_compile(p, &program, cfg.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
    const std::string err = ok ? "" : pcap_geterr(p);
    pcap_close(p);
    if (!ok) return Status::Error(EINVAL, fmt::format("filter '{}': {}", cfg.filter, err));
  }
  if (const Status s = writer_.Open(cfg.file, port_names_, cfg.snaplen, "ingestd " INGESTD_CAPTURE_VERSION);
      !s.ok()) {
    if (has_filter) pcap_freecode(&program);
    return s;
  }
  Drain();  // leftovers of an earlier capture are not this one's (counted as discarded)
  cfg_ = cfg;
  written_ = 0;
  has_filter_ = has_filter;
  filter_ = program;
  active_ = true;
  SetTaps(true);
  log::Info("drop capture started: up to {} packets to {}{}{}", cfg.packets, cfg.file,
            has_filter ? ", filter " : "", cfg.filter);
  return Status::Ok();
}

void DropCapture::Stop(std::string_view why) {
  if (!active_) return;
  SetTaps(false);
  Drain();  // what was captured before the switch went off
  // A run can end before a poll sees the limit reached: then the limit is why it stopped.
  Close(written_ >= cfg_.packets ? "packet limit reached" : why);
}

void DropCapture::Close(std::string_view why) {
  active_ = false;
  SetTaps(false);
  writer_.Close();
  if (has_filter_) pcap_freecode(&filter_);
  has_filter_ = false;
  log::Info("drop capture stopped ({}): {} packets written to {}", why, written_, cfg_.file);
}

size_t DropCapture::Poll() {
  const size_t n = Drain();
  if (active_ && written_ >= cfg_.packets) {
    SetTaps(false);
    Drain();  // in flight past the limit: discarded
    Close("packet limit reached");
  } else if (active_ && n != 0 && !writer_.Flush()) {
    Close(fmt::format("cannot write {}: {}", cfg_.file, std::strerror(errno)));
  }
  return n;
}

void DropCapture::Finish() {
  if (active_) Stop("end of run");
  Drain();
}

size_t DropCapture::Drain() {
  size_t total = 0;
  DropRecord records[kDrainBurst];
  rte_mbuf* done[kDrainBurst];
  for (const TapRef& t : taps_) {
    if (t.tap->ring == nullptr) continue;
    // At most one ring's worth per call: an lcore dropping at full speed cannot hold the control thread here.
    for (unsigned budget = rte_ring_get_capacity(t.tap->ring); budget > 0;) {
      const unsigned n = rte_ring_sc_dequeue_burst_elem(t.tap->ring, records, sizeof(DropRecord),
                                                        std::min(budget, kDrainBurst), nullptr);
      if (n == 0) break;
      budget -= std::min(budget, n);
      for (unsigned i = 0; i < n; ++i) {
        Handle(t, records[i]);
        done[i] = records[i].m;
      }
      rte_pktmbuf_free_bulk(done, n);
      total += n;
    }
  }
  return total;
}

void DropCapture::Handle(const TapRef& t, const DropRecord& r) {
  stats::LcoreCounters& c = *t.counters;
  if (!active_ || written_ >= cfg_.packets) {
    c.drop_capture_discarded.Add(1);
    return;
  }
  rte_mbuf* m = r.m;
  const uint32_t len = rte_pktmbuf_pkt_len(m);
  const uint32_t readable = std::min(len, kMaxFrame);
  const auto* data = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, readable, buffer_.data()));
  if (data == nullptr) {
    c.drop_capture_discarded.Add(1);
    return;
  }
  if (has_filter_) {
    pcap_pkthdr h{};
    h.caplen = readable;
    h.len = len;
    if (pcap_offline_filter(&filter_, &h, data) == 0) {
      c.drop_capture_filtered.Add(1);
      return;
    }
  }
  const packet::PktMeta& meta = packet::Meta(m);
  const uint16_t port = m->port < interface_of_port_.size() ? m->port : 0;
  const uint16_t interface = interface_of_port_[port];
  comment_ = fmt::format("drop: {}; port {}; lcore {}", stats::DropSlotName(r.slot),
                         interface < port_names_.size() ? port_names_[interface] : std::to_string(m->port), t.lcore);
  // The frame's time is when it was received (rx stamps every packet).
  const uint64_t ts = meta.rx_tsc >= clock_.tsc0 ? clock_.UnixNs(meta.rx_tsc) : TscClock::Now().unix_ns0;
  const uint32_t caplen = std::min(readable, cfg_.snaplen);
  if (!writer_.WritePacket(interface, ts, {data, caplen}, len, comment_)) {
    c.drop_capture_discarded.Add(1);
    Close(fmt::format("cannot write {}: {}", cfg_.file, std::strerror(errno)));
    return;
  }
  c.drop_capture_written.Add(1);
  ++written_;
}

}  // namespace ingestd::capture
