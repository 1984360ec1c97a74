// SPDX-License-Identifier: BSD-3-Clause
// EAL start and cleanup.
#include "ingestd/dataplane/eal.hpp"

#include <filesystem>

#include <rte_eal.h>
#include <rte_errno.h>

#include <fmt/format.h>

#include "ingestd/dataplane/hugepages.hpp"

namespace ingestd::dataplane {

Eal::~Eal() {
  if (!started_) return;
  rte_eal_cleanup();
  RemoveRuntimeFiles(runtime_dir_);
}

void RemoveRuntimeFiles(const std::string& runtime_dir) {
  namespace fs = std::filesystem;
  if (runtime_dir.empty()) return;
  const std::string prefix = fs::path(runtime_dir).filename().string();
  if (prefix.empty()) return;
  // Hugepage files are "<prefix>map_<n>" in each hugetlbfs mount; DPDK 22.11
  // keeps them after cleanup, and with them the pages.
  std::error_code ec;
  const std::string own = prefix + "map_";
  for (const std::string& mount_point : HugetlbfsMounts()) {
    for (const auto& entry : fs::directory_iterator(mount_point, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(own, 0) == 0 && name.find_first_not_of("0123456789", own.size()) == std::string::npos)
        fs::remove(entry.path(), ec);
    }
  }
  fs::remove_all(runtime_dir, ec);
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
  runtime_dir_ = rte_eal_get_runtime_dir();
  return Status::Ok();
}

}  // namespace ingestd::dataplane
