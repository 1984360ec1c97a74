// SPDX-License-Identifier: BSD-3-Clause
// The stages of a chain, in the order a packet goes through them: one list gives
// the enum, the names (config `stages:` lists, stats labels) and the order text
// config errors print. Needs nothing else, so stats and stages include it alone.
#pragma once

#include <string_view>

namespace ingestd::config {

// X(enumerator, "name as written in the config and the stats")
#define INGESTD_STAGES(X) \
  X(kRx, "rx")            \
  X(kParse, "parse")      \
  X(kProcess, "process")  \
  X(kEncode, "encode")    \
  X(kTx, "tx")

enum class Stage : unsigned char {
#define INGESTD_X(e, name) e,
  INGESTD_STAGES(INGESTD_X)
#undef INGESTD_X
};

inline constexpr unsigned kStageCount = 0
#define INGESTD_X(e, name) +1
    INGESTD_STAGES(INGESTD_X)
#undef INGESTD_X
    ;

inline constexpr const char* kStageNames[kStageCount] = {
#define INGESTD_X(e, name) name,
    INGESTD_STAGES(INGESTD_X)
#undef INGESTD_X
};

namespace detail {
inline constexpr char kStageOrderText[] = "stages run in the order "
#define INGESTD_X(e, name) name ", "
    INGESTD_STAGES(INGESTD_X)
#undef INGESTD_X
    ;
}  // namespace detail

/// "stages run in the order rx, parse, process, encode, tx": the hint of every
/// stage-order error (the list's trailing ", " and the NUL cut off).
inline constexpr std::string_view kStageOrder{detail::kStageOrderText, sizeof(detail::kStageOrderText) - 3};

constexpr const char* StageName(Stage s) noexcept { return kStageNames[static_cast<unsigned>(s)]; }

static_assert(kStageOrder.ends_with("tx"), "the order text ends with the last stage");

}  // namespace ingestd::config
