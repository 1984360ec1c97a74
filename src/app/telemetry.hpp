// SPDX-License-Identifier: BSD-3-Clause
// DPDK telemetry commands (/ingestd/...): the stats segment's figures for dpdk-telemetry.py.
#pragma once

#include <string>

namespace ingestd::app {

/// Registers /ingestd/totals, /ingestd/drops, /ingestd/ports, /ingestd/latency and
/// /ingestd/allocation. Each reads the instance's segment under its seqlock, as
/// ingest-stats does, so both show the same figures. Call after EAL init.
void RegisterTelemetry(const std::string& instance);

}  // namespace ingestd::app
