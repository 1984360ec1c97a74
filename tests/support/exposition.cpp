// SPDX-License-Identifier: BSD-3-Clause
// A strict reader of Prometheus text 0.0.4 and OpenMetrics 1.0.0 expositions (no std::regex: GCC 12 + sanitizers).
#include "exposition.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

namespace ingestd::testing {
namespace {

bool IsNameChar(char c, bool first, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

std::string ReadName(const std::string& line, size_t& at, bool colon) {
  const size_t start = at;
  while (at < line.size() && IsNameChar(line[at], at == start, colon)) ++at;
  return line.substr(start, at - start);
}

/// A number as both formats write one (integers, decimals, exponents, +Inf, -Inf, NaN).
bool ParseNumber(const std::string& v, double* out) {
  if (v == "+Inf" || v == "Inf") return *out = INFINITY, true;
  if (v == "-Inf") return *out = -INFINITY, true;
  if (v == "NaN") return *out = NAN, true;
  if (v.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(v.c_str(), &end);
  return end == v.c_str() + v.size();
}

/// `name{k="v",...} value`; false if it is not one.
bool ParseSample(const std::string& line, ExposedSample* s) {
  size_t at = 0;
  s->name = ReadName(line, at, true);
  if (s->name.empty() || at >= line.size()) return false;
  if (line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const std::string key = ReadName(line, at, false);
      if (key.empty() || line.compare(at, 2, "=\"") != 0) return false;
      at += 2;
      std::string value;
      for (;; ++at) {
        if (at >= line.size()) return false;
        if (line[at] == '"') break;
        if (line[at] == '\\') {
          if (++at >= line.size() || (line[at] != '\\' && line[at] != '"' && line[at] != 'n')) return false;
          value += line[at] == 'n' ? '\n' : line[at];
        } else {
          value += line[at];
        }
      }
      ++at;
      if (!s->labels.emplace(key, value).second) return false;  // a label twice
      if (at < line.size() && line[at] == ',') ++at;
    }
    if (at >= line.size()) return false;
    ++at;
  }
  if (at >= line.size() || line[at++] != ' ') return false;
  s->value = line.substr(at);
  return s->value.find(' ') == std::string::npos && ParseNumber(s->value, &s->number);  // no timestamps served
}

std::string SeriesKey(const ExposedSample& s) {
  std::string key;
  for (const auto& [k, v] : s.labels)
    if (k != "le") key += k + "=" + v + ",";
  return key;
}

void CheckHistogram(const ExposedFamily& f, std::vector<std::string>& problems) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // le, count
    bool has_count = false;
    double count = 0;
  };
  std::map<std::string, Series> series;
  for (const ExposedSample& s : f.samples) {
    const double v = s.number;
    Series& x = series[SeriesKey(s)];
    if (s.name == f.name + "_bucket") {
      double le = 0;
      const auto it = s.labels.find("le");
      if (it == s.labels.end() || !ParseNumber(it->second, &le)) {
        problems.push_back(fmt::format("{}: a bucket without a numeric le", f.name));
        continue;
      }
      x.buckets.emplace_back(le, v);
    } else if (s.name == f.name + "_count") {
      x.has_count = true;
      x.count = v;
    }
  }
  for (const auto& [key, x] : series) {
    const std::string where = fmt::format("{}{{{}}}", f.name, key);
    if (x.buckets.empty() || !std::isinf(x.buckets.back().first)) {
      problems.push_back(where + ": the last bucket is not le=\"+Inf\"");
      continue;
    }
    for (size_t i = 1; i < x.buckets.size(); ++i) {
      if (!(x.buckets[i].first > x.buckets[i - 1].first)) problems.push_back(where + ": le not ascending");
      if (x.buckets[i].second < x.buckets[i - 1].second)
        problems.push_back(fmt::format("{}: bucket le={} holds {} < {} below it", where, x.buckets[i].first,
                                       x.buckets[i].second, x.buckets[i - 1].second));
    }
    if (!x.has_count || x.count != x.buckets.back().second)
      problems.push_back(fmt::format("{}: +Inf bucket {} but _count {}", where, x.buckets.back().second,
                                     x.has_count ? fmt::format("{}", x.count) : "missing"));
  }
}

}  // namespace

std::set<std::string> ExposedFamily::LabelNames() const {
  std::set<std::string> out;
  for (const ExposedSample& s : samples)
    for (const auto& [k, v] : s.labels)
      if (k != "le") out.insert(k);
  return out;
}

const ExposedFamily* Exposition::Find(const std::string& name) const {
  for (const ExposedFamily& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

Exposition ParseExposition(const std::string& text, bool openmetrics) {
  Exposition e;
  auto problem = [&](const std::string& what, const std::string& line) {
    e.problems.push_back(fmt::format("{}: '{}'", what, line));
  };
  std::set<std::string> closed;  // families whose lines have ended: never again
  ExposedFamily* current = nullptr;  // always e.families.back()
  auto open_family = [&](const std::string& name) -> ExposedFamily* {
    if (current != nullptr && current->name == name) return current;
    if (current != nullptr) closed.insert(current->name);
    if (closed.count(name) != 0) return nullptr;
    e.families.push_back({name, "", "", std::nullopt, {}});  // may move the others: only the last is kept
    return current = &e.families.back();
  };
  if (!text.ends_with("\n")) e.problems.push_back("the exposition does not end with a newline");
  std::istringstream in(text);
  std::string line;
  bool eof = false;
  while (std::getline(in, line)) {
    if (eof) {
      problem("a line after # EOF", line);
      continue;
    }
    if (line == "# EOF") {
      if (!openmetrics) problem("# EOF in the text format", line);
      eof = true;
      continue;
    }
    if (line.starts_with("#")) {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
      size_t at = 0;
      if (hash != "#" || name.empty() || ReadName(name, at, true) != name) {
        problem("not a metadata line", line);
        continue;
      }
      ExposedFamily* f = nullptr;
      if (keyword == "TYPE" || keyword == "HELP" || (openmetrics && keyword == "UNIT")) f = open_family(name);
      else problem("an unknown # line", line);
      if (f == nullptr) {
        if (keyword == "TYPE" || keyword == "HELP" || keyword == "UNIT") problem("a family interleaved", line);
        continue;
      }
      // This server's order: text puts HELP first, OpenMetrics TYPE first.
      if (openmetrics && keyword != "TYPE" && f->type.empty()) problem(keyword + " before its TYPE", line);
      if (keyword == "HELP") {
        if (f->help) problem("HELP twice", line);
        f->help = rest;
      } else if (keyword == "TYPE") {
        if (!openmetrics && !f->help) problem("TYPE without its HELP first", line);
        if (!f->type.empty()) problem("TYPE twice", line);
        if (!f->samples.empty()) problem("TYPE after samples", line);
        if (rest != "counter" && rest != "gauge" && rest != "histogram") problem("a type this server never sends", line);
        f->type = rest;
        if (openmetrics && rest == "counter" && name.ends_with("_total")) problem("an OpenMetrics counter named _total", line);
        if (!openmetrics && rest == "counter" && !name.ends_with("_total")) problem("a counter not named _total", line);
      } else if (keyword == "UNIT") {
        f->unit = rest;
        if (!name.ends_with("_" + rest)) problem("the unit is not the suffix of the name", line);
      }
      continue;
    }
    ExposedSample s;
    if (!ParseSample(line, &s)) {
      problem("not a sample line", line);
      continue;
    }
    if (current == nullptr || current->type.empty()) {
      problem("a sample before any TYPE", line);
      continue;
    }
    const std::string& fam = current->name;
    const std::string& type = current->type;
    const bool ours = type == "histogram"
                          ? s.name == fam + "_bucket" || s.name == fam + "_sum" || s.name == fam + "_count"
                          : s.name == (openmetrics && type == "counter" ? fam + "_total" : fam);
    if (!ours) {
      problem(fmt::format("a sample outside its family {} ({})", fam, type), line);
      continue;
    }
    if (type == "histogram" && (s.name == fam + "_bucket") != (s.labels.count("le") == 1))
      problem("le on a sample that is not a bucket, or a bucket without le", line);
    current->samples.push_back(std::move(s));
  }
  if (openmetrics && !eof) e.problems.push_back("the OpenMetrics exposition does not end with # EOF");
  for (const ExposedFamily& f : e.families) {
    if (f.type.empty()) e.problems.push_back(f.name + ": no TYPE");
    if (f.type == "histogram") CheckHistogram(f, e.problems);
  }
  return e;
}

}  // namespace ingestd::testing
