// SPDX-License-Identifier: BSD-3-Clause
// A fopencookie stream whose writes become log entries at DPDK's current message level.
#include "dpdk_log.hpp"

#include <cstdio>
#include <string>

#include <rte_log.h>

#include "ingestd/log/log.hpp"

namespace ingestd::app {
namespace {

// DPDK prints one message per vfprintf and flushes; a message may still come in
// pieces, so each thread keeps its unfinished line.
thread_local std::string t_pending;

ssize_t WriteDpdkLog(void* /*cookie*/, const char* buf, size_t size) {
  t_pending.append(buf, size);
  // RTE_LOG_EMERG is 1 where syslog's emerg is 0.
  const int level = rte_log_cur_msg_loglevel();
  const auto priority = static_cast<log::Level>(level >= 1 && level <= 8 ? level - 1 : 6);
  for (size_t nl; (nl = t_pending.find('\n')) != std::string::npos;) {
    log::Write(priority, std::string_view(t_pending).substr(0, nl));
    t_pending.erase(0, nl + 1);
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void RouteDpdkLog() {
  static FILE* stream = [] {
    cookie_io_functions_t io{};
    io.write = WriteDpdkLog;
    FILE* f = fopencookie(nullptr, "w", io);
    if (f != nullptr) setvbuf(f, nullptr, _IOLBF, 0);
    return f;
  }();
  if (stream != nullptr) rte_openlog_stream(stream);
}

}  // namespace ingestd::app
