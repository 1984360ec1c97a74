// SPDX-License-Identifier: BSD-3-Clause
// The setup steps' Status (ingestd/status.hpp), by the name they have always used.
#pragma once

#include "ingestd/status.hpp"

namespace ingestd::dataplane {

using ingestd::Status;

}  // namespace ingestd::dataplane
