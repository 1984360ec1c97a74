// SPDX-License-Identifier: BSD-3-Clause
// The log writer: style chosen once from JOURNAL_STREAM, one write(2) per entry.
#include "ingestd/log/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace ingestd::log {
namespace {

constexpr const char* kLevelNames[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};

// Set by Init before other threads start, read-only afterwards.
bool g_journal = false;
std::string g_ident = "ingestd";

}  // namespace

const char* LevelName(Level level) {
  const int i = static_cast<int>(level);
  return i >= 0 && i <= 7 ? kLevelNames[i] : "info";
}

bool IsJournalStream(int fd, const char* journal_stream) {
  if (journal_stream == nullptr) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  char tail = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &tail) != 2) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string Format(Level level, std::string_view message, bool journal, std::string_view ident, long pid,
                   std::chrono::system_clock::time_point now) {
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  std::string out;
  if (journal) {
    // Every line carries the priority: journald reads each line as its own entry.
    const std::string prefix = fmt::format("<{}>", static_cast<int>(level));
    size_t start = 0;
    for (;;) {
      const size_t end = message.find('\n', start);
      out += prefix;
      out += message.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      out += '\n';
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return out;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  out = fmt::format("{}.{:03}Z {} {}[{}]: {}\n", stamp, ms % 1000, LevelName(level), ident, pid, message);
  return out;
}

void Init(std::string_view ident) {
  g_ident = std::string(ident);
  g_journal = IsJournalStream(STDERR_FILENO, std::getenv("JOURNAL_STREAM"));
}

bool JournalStyle() { return g_journal; }

void Write(Level level, std::string_view message) {
  const std::string line =
      Format(level, message, g_journal, g_ident, static_cast<long>(getpid()), std::chrono::system_clock::now());
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report it
    done += static_cast<size_t>(n);
  }
}

}  // namespace ingestd::log
