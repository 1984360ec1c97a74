// SPDX-License-Identifier: BSD-3-Clause
// Status of a setup step: ok, or an error with the rte_errno/errno and context.
#pragma once

#include <string>
#include <utility>

namespace ingestd::dataplane {

/// Setup wrappers return a Status instead of calling rte_exit: main decides
/// how to report and unwind. Control path only.
class [[nodiscard]] Status {
 public:
  static Status Ok() { return Status(); }
  static Status Error(int code, std::string message) {
    Status s;
    s.ok_ = false;
    s.code_ = code;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const noexcept { return ok_; }
  int code() const noexcept { return code_; }  // positive errno value, 0 if none
  const std::string& message() const noexcept { return message_; }

 private:
  bool ok_ = true;
  int code_ = 0;
  std::string message_;
};

}  // namespace ingestd::dataplane
