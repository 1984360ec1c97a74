// SPDX-License-Identifier: BSD-3-Clause
// The EAL as a scoped resource: started from an argv array, cleaned up once.
#pragma once

#include <string>
#include <vector>

#include "ingestd/dataplane/result.hpp"

namespace ingestd::dataplane {

/// Owns the EAL of this process. Threading: main thread only.
class Eal {
 public:
  Eal() = default;
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;
  ~Eal();

  /// rte_eal_init over `args` (args[0] is the program name). Each item is one
  /// argv entry, never split or interpreted by a shell.
  Status Start(const std::vector<std::string>& args);
  bool started() const noexcept { return started_; }
  /// EAL's runtime directory of this instance (/var/run/dpdk/<file-prefix> as root).
  const std::string& runtime_dir() const noexcept { return runtime_dir_; }

 private:
  bool started_ = false;
  std::string runtime_dir_;  // /var/run/dpdk/<file-prefix>
};

/// Removes what EAL leaves behind for the prefix of `runtime_dir` after
/// rte_eal_cleanup: its hugepage files (which keep the pages reserved) and
/// the runtime directory. Touches only that prefix's files.
void RemoveRuntimeFiles(const std::string& runtime_dir);

}  // namespace ingestd::dataplane
