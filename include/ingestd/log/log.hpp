// SPDX-License-Identifier: BSD-3-Clause
// Operator log lines on stderr: syslog levels, "<N>" prefixes for journald, else UTC time stamps.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace ingestd::log {

/// syslog(3) priorities: the numbers journald reads from a "<N>" line prefix.
enum class Level : int { kEmerg = 0, kAlert, kCrit, kError, kWarning, kNotice, kInfo, kDebug };

/// "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug".
const char* LevelName(Level level);

/// True when `journal_stream` (the JOURNAL_STREAM variable systemd sets, "DEV:INODE")
/// names the file open on `fd`: then that fd is connected to journald (systemd.exec(5)).
bool IsJournalStream(int fd, const char* journal_stream);

/// One entry as written. Journal style: every line "<N>text" (journald stamps the time
/// and knows the unit and pid). Text style: "2026-01-31T12:00:00.123Z warning
/// ingestd[42]: text", continuation lines of a multi-line message as they are.
/// Always ends with a newline.
std::string Format(Level level, std::string_view message, bool journal, std::string_view ident, long pid,
                   std::chrono::system_clock::time_point now);

/// Names the program in text lines and picks the style from stderr: journal when
/// JOURNAL_STREAM names it. Threading: once at start, before other threads exist.
void Init(std::string_view ident);

/// Whether entries go out in journal style (decided by Init).
bool JournalStyle();

/// Writes one entry to stderr in a single write(2), so lines of concurrent writers
/// do not interleave. Threading: control threads only; never on a worker lcore
/// (the data path does not log).
void Write(Level level, std::string_view message);

template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warning(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Notice(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kNotice, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ingestd::log
