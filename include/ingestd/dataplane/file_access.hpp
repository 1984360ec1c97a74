// SPDX-License-Identifier: BSD-3-Clause
// Least privilege for what EAL and the drivers create: owner, and the stats group where it needs in.
#pragma once

#include <string>
#include <vector>

#include "ingestd/config/config.hpp"
#include "ingestd/dataplane/result.hpp"

namespace ingestd::dataplane {

/// Narrows the files and sockets rte_eal_init created for this instance, so that
/// only ingestd's user reaches them and members of `gid` (stats.group) only what a
/// reader of statistics needs:
///
/// | what                                   | mode with a group  | without |
/// |----------------------------------------|--------------------|---------|
/// | runtime dir (/var/run/dpdk/<prefix>)   | 0750, group gid    | 0700    |
/// | its dpdk_telemetry.v2 socket           | 0660, group gid    | 0600    |
/// | everything else in it (mp_socket, ...) | group/other bits cleared     |
/// | net_pcap tx_pcap captures              | 0640, group gid    | 0600    |
/// | net_memif server sockets (a file)      | 0600               | 0600    |
///
/// Connecting to a unix socket needs write permission, hence 0660 for telemetry
/// (its commands only read). A memif peer injects packets: only ingestd's user may
/// connect one. With a group, the runtime dir's parent (EAL makes it 0700) gains
/// search permission for others (x, never read), or the group could not reach it.
/// Only regular files are changed as captures (never /dev/null or a FIFO), only
/// sockets as sockets, and nothing outside those paths.
/// @param gid stats.group's id, or -1 for none.
/// @param notes receives one line per memif server on an abstract socket, which no
///        file mode protects: any process in the network namespace may connect.
/// @return the first chmod/chown that failed, with its path.
/// Threading: main thread, after rte_eal_init, before the workers start.
Status RestrictCreatedFiles(const config::RuntimeConfig& cfg, const std::string& runtime_dir, int gid,
                            std::vector<std::string>& notes);

}  // namespace ingestd::dataplane
