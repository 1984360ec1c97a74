// SPDX-License-Identifier: BSD-3-Clause
// The drop capture's run-time command: parsing its parameters and the mailbox to the control loop.
#include "capture_command.hpp"

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "drop_capture.hpp"
#include "ingestd/stats/counters.hpp"
#include "ingestd/status.hpp"

namespace ingestd::app {
namespace {

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

/// A number in lo..hi, or nullopt.
std::optional<uint64_t> Number(std::string_view s, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

nlohmann::json Error(std::string message) { return {{"error", std::move(message)}}; }

nlohmann::json State(const capture::DropCapture& c) {
  const config::DropCaptureConfig& s = c.settings();
  return {{"state", c.active() ? "running" : "stopped"}, {"file", s.file}, {"filter", s.filter},
          {"snaplen", s.snaplen}, {"packets", s.packets}, {"written", c.written()}};
}

/// "file=/x packets=5 filter=udp and port 53" -> settings, or an error.
Status ParseStart(std::string_view args, config::DropCaptureConfig& out) {
  while (true) {
    args = args.substr(std::min(args.size(), args.find_first_not_of(" \t")));
    if (args.empty()) break;
    const size_t eq = args.find('=');
    if (eq == std::string_view::npos)
      return Status::Error(fmt::format("expected key=value, got '{}'", std::string(args.substr(0, args.find(' ')))));
    const std::string key(args.substr(0, eq));
    args.remove_prefix(eq + 1);
    if (key == "filter") {  // the rest of the line: a filter has spaces
      out.filter = Trim(args);
      break;
    }
    const size_t end = std::min(args.size(), args.find_first_of(" \t"));
    const std::string_view value = args.substr(0, end);
    args.remove_prefix(end);
    if (key == "file") {
      if (value.empty()) return Status::Error("file: expected a path");
      out.file = std::filesystem::absolute(std::string(value)).lexically_normal().string();
    } else if (key == "packets") {
      const auto v = Number(value, 1, 1'000'000'000);
      if (!v) return Status::Error(fmt::format("packets: '{}' is not a number in 1..1000000000", std::string(value)));
      out.packets = *v;
    } else if (key == "snaplen") {
      const auto v = Number(value, 64, 65535);
      if (!v) return Status::Error(fmt::format("snaplen: '{}' is not a number in 64..65535", std::string(value)));
      out.snaplen = static_cast<uint32_t>(*v);
    } else {
      return Status::Error(fmt::format("unknown key '{}': known keys are file, packets, snaplen, filter (last)", key));
    }
  }
  if (out.file.empty()) return Status::Error("start needs file=PATH (a pcapng to create)");
  return Status::Ok();
}

}  // namespace

nlohmann::json RunCaptureCommand(const std::string& params, capture::DropCapture& capture) {
  const std::string p = Trim(params);
  const std::string verb = p.substr(0, p.find_first_of(" \t"));
  if (verb.empty() || verb == "status") return State(capture);
  if (verb == "stop") {
    if (!capture.active()) return Error("no drop capture is running");
    capture.Stop("stop command");
    return State(capture);
  }
  if (verb == "start") {
    config::DropCaptureConfig cfg;
    if (const Status s = ParseStart(std::string_view(p).substr(verb.size()), cfg); !s.ok()) return Error(s.message());
    if (const Status s = capture.Start(cfg); !s.ok()) return Error(s.message());
    return State(capture);
  }
  return Error(fmt::format("unknown command '{}': use status, stop, or start file=PATH [packets=N] "
                           "[snaplen=N] [filter=EXPRESSION]", verb));
}

nlohmann::json CaptureMailbox::Ask(const std::string& params, std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (pending_id_ != 0) return Error("another drop capture command is in progress");
  const uint64_t id = next_id_++;
  pending_id_ = id;
  pending_params_ = params;
  if (!answered_.wait_for(lock, limit, [&] { return answer_id_ == id; })) {
    pending_id_ = 0;  // withdrawn: a late Serve finds nothing
    return Error("ingestd did not answer in time (is it stopping?)");
  }
  return std::move(answer_);
}

void CaptureMailbox::Serve(capture::DropCapture& capture) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (pending_id_ == 0) return;
  const uint64_t id = pending_id_;
  const std::string params = pending_params_;
  lock.unlock();  // the command may write a file: the telemetry thread waits, not blocks on the lock
  nlohmann::json answer = RunCaptureCommand(params, capture);
  lock.lock();
  if (pending_id_ == id) {
    answer_ = std::move(answer);
    answer_id_ = id;
    pending_id_ = 0;
    answered_.notify_all();
  }
}

}  // namespace ingestd::app
