// SPDX-License-Identifier: BSD-3-Clause
#include "tshark_fields.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "netns.hpp"

namespace ingestd::testing {

std::vector<std::vector<std::string>> TsharkFields(const std::string& pcap, const std::vector<std::string>& fields,
                                                   const TempDir& dir, char occurrence) {
  std::vector<std::string> argv{FindProgram("tshark"), "-r", pcap, "-T", "fields", "-E",
                                std::string("occurrence=") + occurrence};
  for (const std::string& f : fields) {
    argv.push_back("-e");
    argv.push_back(f);
  }
  Child tshark(argv, dir, "tshark");
  EXPECT_EQ(tshark.Wait(std::chrono::seconds(60)), 0) << tshark.Stderr();
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(tshark.Stdout());
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) row.push_back(cell);
    row.resize(fields.size());
    rows.push_back(row);
  }
  return rows;
}

}  // namespace ingestd::testing
