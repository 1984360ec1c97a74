// SPDX-License-Identifier: BSD-3-Clause
// EAL start and cleanup.
#include "ingestd/dataplane/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <fmt/format.h>

namespace ingestd::dataplane {

Eal::~Eal() {
  if (started_) rte_eal_cleanup();
}

Status Eal::Start(const std::vector<std::string>& args) {
  // rte_eal_init may permute argv and keep pointers into it: give it copies
  // that live as long as the process.
  static std::vector<std::string> storage;
  static std::vector<char*> argv;
  storage = args;
  argv.clear();
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(storage.size()), argv.data()) < 0) {
    const int err = rte_errno;
    std::string hint;
    if (err == EALREADY) hint = " (EAL already started in this process)";
    if (err == ENOMEM) hint = " (raise eal.memory_mb, or reserve more hugepages)";
    if (err == EACCES) hint = " (run as root, or with CAP_SYS_ADMIN/CAP_IPC_LOCK)";
    return Status::Error(err, fmt::format("EAL initialisation failed: {}{}", rte_strerror(err), hint));
  }
  started_ = true;
  return Status::Ok();
}

}  // namespace ingestd::dataplane
