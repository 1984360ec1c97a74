// SPDX-License-Identifier: BSD-3-Clause
// Status: how a control-path step that can fail says so (docs/development.md, Errors).
#pragma once

#include <string>
#include <utility>

namespace ingestd {

/// Ok, or an error with its errno/rte_errno (0 if none) and a message that names what
/// failed and with what, ready for the operator. The caller decides how to report and
/// unwind (setup steps never call rte_exit). Control path only: the data path returns
/// verdicts and counts.
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
  static Status Error(std::string message) { return Error(0, std::move(message)); }

  bool ok() const noexcept { return ok_; }
  int code() const noexcept { return code_; }  // positive errno value, 0 if none
  const std::string& message() const noexcept { return message_; }

 private:
  bool ok_ = true;
  int code_ = 0;
  std::string message_;
};

}  // namespace ingestd
