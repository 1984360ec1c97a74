// SPDX-License-Identifier: BSD-3-Clause
// docs/configuration.md names every key the loader accepts, each in its own section.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace ingestd::config::testing {
namespace {

// One unknown key in every mapping the loader reads with a fixed key set. Its error's hint
// lists that mapping's accepted keys ("known keys: a, b"); the comment on the probe's line
// names the heading of docs/configuration.md that must document them. The probe is
// nothing like a real key, so the hint is the list, never a did-you-mean.
constexpr const char* kProbe = "zzzzzzzz";
constexpr const char* kProbes = R"(zzzzzzzz: 1                              # Top level
eal:
  zzzzzzzz: 1                            # eal
ports:
  - name: wire
    device: net_pcap0
    zzzzzzzz: 1                          # ports[]
    encode:
      zzzzzzzz: 1                        # ports[].encode
      vlan: {push: 1, zzzzzzzz: 1}       # ports[].encode.vlan
      encap: {type: vxlan, zzzzzzzz: 1}  # ports[].encode.encap
pipeline:
  zzzzzzzz: 1                            # pipeline
  mempool: {zzzzzzzz: 1}                 # pipeline.mempool
  chains:
    - rx: [wire]
      zzzzzzzz: 1                        # pipeline.chains[]
      segments:
        - {lcore: 1, stages: [rx, parse, process, encode, tx], zzzzzzzz: 1}  # pipeline.chains[].segments[]
routes:
  - {from: wire, to: drop, zzzzzzzz: 1}  # routes[]
rules:
  - zzzzzzzz: 1                          # rules[]
    count: true
    match:
      zzzzzzzz: 1                        # rules[].match
      inner: {zzzzzzzz: 1}               # rules[].match.inner
flows:
  jsonl: flows.jsonl
  zzzzzzzz: 1                            # flows
stats:
  zzzzzzzz: 1                            # stats
parse:
  zzzzzzzz: 1                            # parse
capture:
  zzzzzzzz: 1                            # capture
  drops: {file: d.pcapng, zzzzzzzz: 1}   # capture.drops
)";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// Heading -> the text under it, up to the next heading ('#' lines in code blocks are text).
std::map<std::string, std::string> Sections(const std::string& markdown) {
  std::map<std::string, std::string> out;
  std::string* current = nullptr;
  bool in_code = false;
  for (const std::string& line : Lines(markdown)) {
    if (line.starts_with("```")) in_code = !in_code;
    if (!in_code && line.starts_with("#")) {
      const size_t text = line.find_first_not_of("# ");
      current = &out[text == std::string::npos ? "" : line.substr(text)];
    } else if (current != nullptr) {
      *current += line + "\n";
    }
  }
  return out;
}

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= list.size();) {
    const size_t comma = list.find(", ", at);
    out.push_back(list.substr(at, comma - at));
    if (comma == std::string::npos) break;
    at = comma + 2;
  }
  return out;
}

TEST(DocsTest, ConfigurationReferenceListsEveryAcceptedKey) {
  std::ifstream in(INGESTD_DOCS_DIR "/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md not found";
  std::stringstream markdown;
  markdown << in.rdbuf();
  const std::map<std::string, std::string> docs = Sections(markdown.str());

  const std::vector<std::string> probe_lines = Lines(kProbes);
  std::set<std::string> expected;
  for (const std::string& line : probe_lines) {
    if (line.find(kProbe) != std::string::npos) expected.insert(line.substr(line.rfind("# ") + 2));
  }

  std::set<std::string> seen;
  const std::string unknown = std::string("unknown key '") + kProbe + "'";
  for (const ConfigError& e : ErrorsOf(kProbes)) {
    if (!e.message().starts_with(unknown)) continue;
    ASSERT_GE(e.line(), 1);
    const std::string& line = probe_lines.at(static_cast<size_t>(e.line() - 1));
    const std::string section = line.substr(line.rfind("# ") + 2);
    seen.insert(section);
    ASSERT_TRUE(e.hint().starts_with("known keys: ")) << e.what();
    const auto doc = docs.find(section);
    ASSERT_NE(doc, docs.end()) << "docs/configuration.md has no heading '" << section << "'";
    for (const std::string& key : Split(e.hint().substr(12))) {
      EXPECT_NE(doc->second.find("| `" + key + "` |"), std::string::npos)
          << "docs/configuration.md, section '" << section << "', lacks a row for key '" << key << "'";
    }
  }
  // Every probe was reached: a mapping that stopped reporting unknown keys fails here.
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace ingestd::config::testing
