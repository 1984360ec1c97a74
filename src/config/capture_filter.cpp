// SPDX-License-Identifier: BSD-3-Clause
// A capture filter compiled once with libpcap, only to check it.
#include "ingestd/config/capture_filter.hpp"

#include <mutex>

#include <pcap/pcap.h>

namespace ingestd::config {

Status CheckCaptureFilter(const std::string& filter, uint32_t snaplen) {
  if (filter.empty()) return Status::Ok();
  // libpcap before 1.8 had a non-reentrant compiler; one at a time costs nothing here.
  static std::mutex compile_mutex;
  const std::lock_guard<std::mutex> lock(compile_mutex);
  pcap_t* p = pcap_open_dead(DLT_EN10MB, static_cast<int>(snaplen));
  if (p == nullptr) return Status::Error("libpcap cannot open a dead handle");
  bpf_program program{};
  Status status = Status::Ok();
  if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    status = Status::Error(pcap_geterr(p));
  } else {
    pcap_freecode(&program);
  }
  pcap_close(p);
  return status;
}

}  // namespace ingestd::config
