// SPDX-License-Identifier: BSD-3-Clause
// The rte_eal_init argv a validated config implies.
#pragma once

#include <string>
#include <vector>

#include "ingestd/config/config.hpp"

namespace ingestd::config {

/// argv for rte_eal_init, built as an array: config values never reach a shell.
///
/// In order: `program`; `--lcores=` with `L@C` for the main lcore then every
/// segment's lcore in chain order (e.g. "0@0,1@1,2@0"); `--main-lcore=N`;
/// `--file-prefix=X`; "-m", "N"; `--no-huge` when `use_hugepages` is false;
/// `--no-pci` when no port is PCI, else "-a", "BDF" (or "BDF,k=v,..." with the
/// port's args) per PCI port (the only devices EAL may probe); `--vdev=NAME,k=v,...` per virtual device, args in
/// file order; `--log-level=LEVEL`. Nothing else.
///
/// Each value is exactly one item. Validation guarantees device argument
/// values hold no ',', '=', ';' or control characters and do not start with
/// '-', so EAL cannot split them into extra arguments.
///
/// @param cfg            a config from LoadConfig (already validated)
/// @param program        argv[0]
/// @param use_hugepages  the caller's decision from cfg.eal.hugepages and the host
/// @return the argv items; the caller makes the char* array rte_eal_init needs
///         (rte_eal_init may permute it, so pass a copy).
/// Threading: pure function, callable anywhere.
std::vector<std::string> BuildEalArgs(const RuntimeConfig& cfg, const std::string& program,
                                      bool use_hugepages);

}  // namespace ingestd::config
