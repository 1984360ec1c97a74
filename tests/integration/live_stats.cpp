// SPDX-License-Identifier: BSD-3-Clause
// Live segment reads for tests: the reader library, in this process, exactly as ingest-stats reads.
#include "live_stats.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ingestd/stats/report.hpp"
#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::testing {

uint64_t MonoNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

bool ReadLive(const std::string& instance, LiveReport& out) {
  stats::Snapshot snap;
  if (stats::ReadSnapshotOfInstance(instance, snap)) return false;
  if (snap.publishes == 0) return false;
  out.json = stats::ReportJson(snap);
  out.published_mono_ns = snap.heartbeat_ns;
  out.state = std::string(stats::LivenessName(snap.liveness));
  return true;
}

bool LiveSegment::Next(LiveReport& out) {
  if (!reader_.open() && reader_.OpenInstance(instance_)) return false;
  stats::Snapshot snap;
  if (reader_.Read(snap) || snap.publishes == 0 || snap.publishes == last_publishes_) return false;
  last_publishes_ = snap.publishes;
  out.json = stats::ReportJson(snap);
  out.published_mono_ns = snap.heartbeat_ns;
  out.state = std::string(stats::LivenessName(snap.liveness));
  return true;
}

bool Exited(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (!(in >> pid_field >> comm >> state)) return true;
  return state == "Z" || state == "X";
}

bool PollLive(const std::string& instance, const std::function<bool(const LiveReport&)>& done,
              std::chrono::milliseconds limit, LiveReport* last, std::chrono::microseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  LiveReport r;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadLive(instance, r)) {
      if (last != nullptr) *last = r;
      if (done(r)) return true;
    }
    const timespec ts{0, static_cast<long>(std::chrono::nanoseconds(every).count())};
    nanosleep(&ts, nullptr);  // the poll interval, not a synchronisation
  }
  return false;
}

uint64_t SumLcoreCounter(const nlohmann::json& report, const std::string& counter) {
  uint64_t n = 0;
  for (const auto& l : report.at("lcores")) n += l.at("counters").value(counter, uint64_t{0});
  return n;
}

uint64_t PortCounter(const nlohmann::json& report, const std::string& port, const std::string& field) {
  for (const auto& p : report.at("ports"))
    if (p.at("name") == port) return p.at(field).get<uint64_t>();
  throw std::runtime_error("no port " + port + " in the report");
}

uint64_t Drops(const nlohmann::json& report, const std::string& reason) {
  return report.at("totals").at("drops").value(reason, uint64_t{0});
}

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) {
  setenv(name, value.c_str(), 1);
}
ScopedEnv::~ScopedEnv() { unsetenv(name_); }

size_t CountFds(const std::string& pid) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/" + pid + "/fd")) ++n;
  return n;
}

size_t CountMaps(const std::string& pid, const std::string& path_part) {
  std::ifstream in("/proc/" + pid + "/maps");
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(path_part) != std::string::npos) ++n;
  return n;
}

nlohmann::json TelemetryCommand(const std::string& prefix, const std::string& command) {
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "/var/run/dpdk/%s/dpdk_telemetry.v2", prefix.c_str());
  char buf[16384];
  pollfd p{fd, POLLIN, 0};
  nlohmann::json reply;
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && poll(&p, 1, 5000) == 1 &&
      read(fd, buf, sizeof buf) > 0 && write(fd, command.data(), command.size()) > 0 && poll(&p, 1, 5000) == 1) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) reply = nlohmann::json::parse(std::string(buf, static_cast<size_t>(n)), nullptr, false);
  }
  if (fd >= 0) close(fd);
  return reply;
}

}  // namespace ingestd::testing
