// SPDX-License-Identifier: BSD-3-Clause
// DPDK's own log lines through ingestd's log, each at the level DPDK gave it.
#pragma once

namespace ingestd::app {

/// Points DPDK's log stream (rte_openlog_stream) at ingestd's log: each line keeps
/// DPDK's level, gets the time stamp or journald prefix, and goes to stderr only
/// (DPDK's default stream writes stdout and syslog: two copies in the journal).
/// Call before EAL starts. Threading: lines may come from any control thread; the
/// worker lcores log nothing.
void RouteDpdkLog();

}  // namespace ingestd::app
