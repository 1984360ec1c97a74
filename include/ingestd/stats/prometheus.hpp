// SPDX-License-Identifier: BSD-3-Clause
// A stats Snapshot as a Prometheus scrape: text format 0.0.4 or OpenMetrics 1.0.0, and the negotiation. No DPDK.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::stats {

/// The two exposition formats a scrape can get.
enum class ExpositionFormat {
  kText,         // Prometheus text format 0.0.4
  kOpenMetrics,  // OpenMetrics 1.0.0 text
};

/// The format an HTTP Accept header asks for: OpenMetrics when it names
/// application/openmetrics-text (version 1.0.0, 0.0.1 or none) with a q-value
/// above 0 and at least that of text/plain; the text format otherwise (also
/// for an empty or unparsable header).
ExpositionFormat NegotiateExposition(std::string_view accept);

/// The Content-Type header of a scrape answer in `f`.
std::string_view ExpositionContentType(ExpositionFormat f) noexcept;

/// Every metric of the snapshot, in `f`. Families are "ingestd_<group>_<name>"
/// (the group is left out when the name already starts with it), with a unit
/// suffix ("_seconds" for TSC/ns, which are converted; "_bytes", "_cycles")
/// and "_total" on counters' samples; every sample carries the metric's labels
/// plus instance="<name>". Histograms are collapsed to fixed cumulative
/// buckets (HistogramBoundsSeconds() or HistogramBoundsCount()) plus +Inf,
/// _sum and _count. First come ingestd_up (1 while starting or running),
/// ingestd_writer_info{pid,state}, the heartbeat age, publishes and start time.
/// OpenMetrics adds # UNIT where the family name ends in its unit, names
/// counter families without "_total", and ends with "# EOF".
std::string ReportPrometheus(const Snapshot& s, ExpositionFormat f = ExpositionFormat::kText);

/// The scrape of an instance whose segment cannot be read: ingestd_up 0 and
/// ingestd_writer_info{state=UnreadableState(e.kind)} 1, labelled instance="<instance>".
std::string ReportPrometheusUnreadable(std::string_view instance, const ReadError& e,
                                       ExpositionFormat f = ExpositionFormat::kText);

/// The writer_info state for a read error: absent (no segment), unknown_version,
/// corrupt, stuck (the writer holds a publish open), unreadable (any other).
std::string_view UnreadableState(ReadErrorKind kind) noexcept;

/// Upper bounds of the Prometheus buckets for time histograms: 1 µs .. 10 s in 1-2-5 steps.
std::span<const double> HistogramBoundsSeconds() noexcept;
/// Upper bounds for other histograms (bytes, counts): 0, then 1 .. 10^6 in 1-2-5 steps.
std::span<const double> HistogramBoundsCount() noexcept;

}  // namespace ingestd::stats
