// SPDX-License-Identifier: BSD-3-Clause
// /ingestd/drop_capture: start, stop or show the drop capture at run time. The
// telemetry thread posts the request; the control loop carries it out and answers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ingestd::capture {
class DropCapture;
}

namespace ingestd::app {

/// One request at a time, answered by the control loop within a bound.
/// Threading: Ask on the telemetry thread; Serve on the control thread.
class CaptureMailbox {
 public:
  /// Posts `params` and waits up to `limit` for the answer; an "error" object if none comes.
  nlohmann::json Ask(const std::string& params, std::chrono::milliseconds limit);
  /// Answers a waiting request, if any, with `capture`.
  void Serve(capture::DropCapture& capture);

 private:
  std::mutex mutex_;
  std::condition_variable answered_;
  uint64_t next_id_ = 1;
  uint64_t pending_id_ = 0;  // 0: none waits
  std::string pending_params_;
  uint64_t answer_id_ = 0;
  nlohmann::json answer_;
};

inline CaptureMailbox g_capture_mailbox;

/// Carries out one command on `capture`: "" or "status", "stop", or
/// "start file=PATH [packets=N] [snaplen=N] [filter=EXPRESSION]" (filter last: it
/// takes the rest of the line). Returns the capture's state, or {"error": ...}.
nlohmann::json RunCaptureCommand(const std::string& params, capture::DropCapture& capture);

}  // namespace ingestd::app
