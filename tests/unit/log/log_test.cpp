// SPDX-License-Identifier: BSD-3-Clause
// The log's two styles and how it recognises a stderr connected to journald.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingestd/log/log.hpp"

namespace ingestd::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// 2026-01-31T12:34:56.789Z
const system_clock::time_point kAt = system_clock::time_point(milliseconds(1769862896789));

TEST(LogTest, TextLinesCarryUtcTimeWithMillisecondsLevelAndPid) {
  EXPECT_EQ(Format(Level::kWarning, "port in: link down", false, "ingestd", 4242, kAt),
            "2026-01-31T12:34:56.789Z warning ingestd[4242]: port in: link down\n");
  EXPECT_EQ(Format(Level::kInfo, "x\n", false, "ingestd", 1, system_clock::time_point(milliseconds(5))),
            "1970-01-01T00:00:00.005Z info ingestd[1]: x\n")
      << "a trailing newline is not doubled; milliseconds keep their zeros";
  EXPECT_EQ(Format(Level::kError, "a.yaml:3:5: bad\n  hint: fix it", false, "ingestd", 7, kAt),
            "2026-01-31T12:34:56.789Z error ingestd[7]: a.yaml:3:5: bad\n  hint: fix it\n");
}

TEST(LogTest, JournalLinesCarryThePriorityOnEveryLineAndNoTime) {
  EXPECT_EQ(Format(Level::kWarning, "port in: link down", true, "ingestd", 4242, kAt), "<4>port in: link down\n");
  EXPECT_EQ(Format(Level::kError, "a.yaml:3:5: bad\n  hint: fix it", true, "ingestd", 7, kAt),
            "<3>a.yaml:3:5: bad\n<3>  hint: fix it\n");
  EXPECT_EQ(Format(Level::kDebug, "d", true, "x", 1, kAt), "<7>d\n");
  EXPECT_EQ(Format(Level::kEmerg, "e", true, "x", 1, kAt), "<0>e\n");
}

TEST(LogTest, LevelNamesAreSyslogs) {
  EXPECT_STREQ(LevelName(Level::kEmerg), "emerg");
  EXPECT_STREQ(LevelName(Level::kError), "error");
  EXPECT_STREQ(LevelName(Level::kNotice), "notice");
  EXPECT_STREQ(LevelName(Level::kDebug), "debug");
}

TEST(LogTest, JournalStreamMatchesOnlyTheFileOpenOnTheFd) {
  char path[] = "/tmp/ingestd-log-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  const std::string mine = fmt::format("{}:{}", st.st_dev, st.st_ino);
  EXPECT_TRUE(IsJournalStream(fd, mine.c_str()));
  EXPECT_FALSE(IsJournalStream(fd, fmt::format("{}:{}", st.st_dev, st.st_ino + 1).c_str()));
  EXPECT_FALSE(IsJournalStream(fd, fmt::format("{}:{}", st.st_dev + 1, st.st_ino).c_str()));
  EXPECT_FALSE(IsJournalStream(fd, nullptr));
  EXPECT_FALSE(IsJournalStream(fd, ""));
  EXPECT_FALSE(IsJournalStream(fd, (mine + "x").c_str()));
  EXPECT_FALSE(IsJournalStream(-1, mine.c_str()));
  close(fd);
  unlink(path);
}

TEST(LogTest, InitPicksTheJournalStyleOnlyWhenStderrIsTheNamedStream) {
  struct stat st {};
  ASSERT_EQ(fstat(STDERR_FILENO, &st), 0);
  const char* saved = std::getenv("JOURNAL_STREAM");
  const std::string keep = saved ? saved : "";
  setenv("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino).c_str(), 1);
  Init("ingestd");
  EXPECT_TRUE(JournalStyle());
  setenv("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino + 1).c_str(), 1);
  Init("ingestd");
  EXPECT_FALSE(JournalStyle());
  if (saved) setenv("JOURNAL_STREAM", keep.c_str(), 1);
  else unsetenv("JOURNAL_STREAM");
}

}  // namespace
}  // namespace ingestd::log
