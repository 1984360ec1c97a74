// SPDX-License-Identifier: BSD-3-Clause
// Network namespaces and veth pairs through iproute2, captures read back with their times.
#include "netns.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ingestd::testing {

using namespace std::chrono_literals;

std::string FindProgram(const std::string& name) {
  std::string dirs = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) continue;
    const std::string path = dir + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

namespace {

/// Runs `argv` to completion (bounded); throws with its output unless it exits 0.
std::string RunChecked(const std::vector<std::string>& argv, const TempDir& dir) {
  static unsigned counter = 0;
  Child child(argv, dir, fmt::format("cmd{}", counter++));
  const int rc = child.Wait(10s);
  if (rc != 0) {
    throw std::runtime_error(fmt::format("`{}` failed (status {}): {}{}", fmt::join(argv, " "), rc,
                                         child.Stdout(), child.Stderr()));
  }
  return child.Stdout();
}

}  // namespace

NetNamespace::NetNamespace(const std::string& tag) : ip_(FindProgram("ip")) {
  if (ip_.empty()) throw std::runtime_error("`ip` (iproute2) is not installed");
  static unsigned counter = 0;
  // Interface and namespace names are short; the pid keeps concurrent runs apart.
  name_ = fmt::format("ingestd-{}-{}-{}", tag.substr(0, 12), getpid(), counter++);
  RunChecked({ip_, "netns", "add", name_}, dir_);
  created_ = true;
  // Before any interface exists, so each one inherits "default". A kernel
  // without IPv6 has no such files, and nothing to silence.
  Run({"/bin/sh", "-c",
       "for f in /proc/sys/net/ipv6/conf/default/disable_ipv6 /proc/sys/net/ipv6/conf/all/disable_ipv6; "
       "do [ ! -e $f ] || echo 1 > $f || exit 1; done"});
}

NetNamespace::~NetNamespace() {
  if (!created_) return;
  try {
    RunChecked({ip_, "netns", "delete", name_}, dir_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netns: cannot delete %s: %s\n", name_.c_str(), e.what());
  }
}

std::vector<std::string> NetNamespace::Exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> out{ip_, "netns", "exec", name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string NetNamespace::Run(const std::vector<std::string>& argv) const { return RunChecked(Exec(argv), dir_); }

void NetNamespace::AddVethPair(const std::string& a, const std::string& b) const {
  RunChecked({ip_, "-n", name_, "link", "add", a, "type", "veth", "peer", "name", b}, dir_);
  SetLink(a, true);
  SetLink(b, true);
}

void NetNamespace::SetLink(const std::string& dev, bool up) const {
  RunChecked({ip_, "-n", name_, "link", "set", "dev", dev, up ? "up" : "down"}, dir_);
}

LinkCounters NetNamespace::Counters(const std::string& dev) const {
  const nlohmann::json j =
      nlohmann::json::parse(RunChecked({ip_, "-n", name_, "-s", "-j", "link", "show", "dev", dev}, dir_));
  const nlohmann::json& s = j.at(0).at("stats64");
  LinkCounters c;
  c.rx_packets = s.at("rx").at("packets").get<uint64_t>();
  c.rx_dropped = s.at("rx").at("dropped").get<uint64_t>();
  c.tx_packets = s.at("tx").at("packets").get<uint64_t>();
  c.tx_dropped = s.at("tx").at("dropped").get<uint64_t>();
  return c;
}

std::vector<TimedFrame> ReadTimedPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<TimedFrame> out;
  if (data.size() < 24) return out;  // not even the file header yet
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, data.data() + at, sizeof(v));
    return v;  // written by this host: native byte order
  };
  const uint32_t magic = u32(0);
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) throw std::runtime_error(path + ": not a native-order pcap");
  const bool nanoseconds = magic == 0xa1b23c4d;
  for (size_t at = 24; at + 16 <= data.size();) {
    const uint32_t sec = u32(at), frac = u32(at + 4), caplen = u32(at + 8);
    if (at + 16 + caplen > data.size()) break;  // still being written
    const auto since_epoch = std::chrono::seconds(sec) + (nanoseconds ? std::chrono::nanoseconds(frac)
                                                                      : std::chrono::nanoseconds(frac * 1000ull));
    TimedFrame f;
    f.at = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
    f.bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(at + 16),
                   data.begin() + static_cast<std::ptrdiff_t>(at + 16 + caplen));
    out.push_back(std::move(f));
    at += 16 + caplen;
  }
  return out;
}

}  // namespace ingestd::testing
