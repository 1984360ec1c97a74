// SPDX-License-Identifier: BSD-3-Clause
// Test harness: child processes are waited on through a pidfd, never by sleeping.
#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest.h>

extern char** environ;

namespace ingestd::testing {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "ingestd-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  for (const auto& p : owned_) std::filesystem::remove(p, ec);
}

Child::Child(const std::vector<std::string>& argv, const TempDir& dir, const std::string& tag, Stdin in)
    : out_path_(dir.File(tag + ".stdout")), err_path_(dir.File(tag + ".stderr")) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int pipe_fds[2] = {-1, -1};
  if (in == Stdin::kPipe) {
    signal(SIGPIPE, SIG_IGN);  // a child that exits early makes write() fail, not kill the test
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);  // dup2 clears O_CLOEXEC
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_fds[0] >= 0) close(pipe_fds[0]);
  stdin_fd_ = pipe_fds[1];
  if (rc != 0) {
    CloseStdin();
    throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], strerror(rc)));
  }
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) throw std::runtime_error("pidfd_open failed");
}

Child::~Child() {
  CloseStdin();
  if (!reaped_) Wait(std::chrono::seconds(10));
  if (pidfd_ >= 0) close(pidfd_);
}

bool Child::WriteStdin(const std::string& text) {
  if (stdin_fd_ < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    // Bounded: a child that stops reading cannot block the test.
    pollfd p{stdin_fd_, POLLOUT, 0};
    if (poll(&p, 1, 5000) != 1 || (p.revents & (POLLERR | POLLHUP)) != 0) return false;
    const ssize_t n = write(stdin_fd_, text.data() + done, text.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void Child::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

int Child::Wait(std::chrono::milliseconds limit) {
  if (reaped_) return status_;
  pollfd p{pidfd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(limit.count())) != 1) {
    kill(pid_, SIGKILL);  // our own child, by pid
    int ignored = 0;
    waitpid(pid_, &ignored, 0);
    reaped_ = true;
    status_ = -1;
    return status_;
  }
  int wstatus = 0;
  waitpid(pid_, &wstatus, 0);
  reaped_ = true;
  status_ = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return status_;
}

void Child::Signal(int sig) const {
  if (!reaped_) kill(pid_, sig);
}

static std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Child::Stdout() const { return Slurp(out_path_); }
std::string Child::Stderr() const { return Slurp(err_path_); }

std::string IngestdBinary() {
  const char* bin = std::getenv("INGESTD_BIN");
  if (bin == nullptr) throw std::runtime_error("INGESTD_BIN is not set (run through meson test)");
  return bin;
}

std::string CurrentTestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

std::vector<framegen::Bytes> WellFormed(const std::vector<framegen::LabeledFrame>& frames) {
  std::vector<framegen::Bytes> out;
  for (const auto& f : frames)
    if (f.expected == packet::ParseVerdict::kOk) out.push_back(f.bytes);
  return out;
}

std::string UniquePrefix(const std::string& test_name) {
  // eal.file_prefix allows 64 characters: a readable head of the name, then pid and a counter.
  static unsigned counter = 0;
  return fmt::format("ingestd-t-{}-{}-{}", test_name.substr(0, 32), getpid(), counter++);
}

RunResult RunIngestd(const std::vector<std::string>& args, const TempDir& dir,
                     std::chrono::milliseconds limit) {
  std::vector<std::string> argv{IngestdBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child(argv, dir, "ingestd");
  RunResult r;
  r.exit_code = child.Wait(limit);
  r.out = child.Stdout();
  r.err = child.Stderr();
  return r;
}

std::optional<uint64_t> NumberAfter(const std::string& text, const std::string& label) {
  size_t at = text.find(label + ":");
  if (at == std::string::npos) return std::nullopt;
  at += label.size() + 1;
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + text.size(), v);
  if (ec != std::errc() || ptr == text.data() + at) return std::nullopt;
  return v;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return nlohmann::json::parse(in);
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string Scenario::Yaml() const {
  ConfigBuilder c(prefix);
  PortYaml& in = c.Port("in", "net_pcap0").Arg("rx_pcap", rx_pcap);
  if (infinite_rx) in.Arg("infinite_rx", "1");
  in.Queues(1, 1);
  // A fan-out's two lcores transmit on two queues: net_pcap writes one file per queue.
  const bool fanout = TransmitsOnTwoQueues(layout);
  const std::string tx_files = fanout ? fmt::format("[{}, {}.q1]", tx_pcap, tx_pcap) : tx_pcap;
  PortYaml& out = null_output ? c.Port("out", "net_null1") : c.Port("out", "net_pcap1").Arg("tx_pcap", tx_files);
  out.Queues(0, fanout ? 2 : 1);
  for (const auto& [key, value] : out_port_fields) out.Field(key, value);
  // One stage per lcore: four rings of 1024 on top of the descriptors.
  c.Burst(32).Mempool(layout == Layout::kStagePerLcore ? 16383 : 8191, 256, mempool_handler);
  c.Chain({"in"}).RingSize(1024).RingPolicy(ring_policy).Segments(layout);
  return c.Route("in", "out").Raw(extra_yaml).Yaml();
}

ScenarioFiles WriteScenario(Scenario& s, const std::vector<framegen::Bytes>& frames, TempDir& dir) {
  dir.OwnSegment(s.prefix);
  s.rx_pcap = dir.File(s.prefix + "-in.pcap");
  s.tx_pcap = dir.File(s.prefix + "-out.pcap");
  framegen::WritePcap(s.rx_pcap, frames);
  ScenarioFiles files{dir.File(s.prefix + ".yaml"), dir.File(s.prefix + "-stats.json")};
  WriteText(files.config, s.Yaml());
  return files;
}

Outcome RunScenario(Scenario scenario, const std::vector<framegen::Bytes>& frames, TempDir& dir,
                    const RunOptions& options) {
  using namespace std::chrono_literals;
  const auto [config, stats] = WriteScenario(scenario, frames, dir);
  const uint64_t packets = options.packets ? options.packets : frames.size();
  std::vector<std::string> argv{options.binary.empty() ? IngestdBinary() : options.binary,
                                "-c", config, "--packets", std::to_string(packets),
                                "--duration", "60", "--final-stats", stats};
  Child child(argv, dir, scenario.prefix);
  Outcome o;
  o.run.exit_code = child.Wait(90s);
  o.run.out = child.Stdout();
  o.run.err = child.Stderr();
  if (o.run.exit_code == 0) {
    o.stats = ReadJson(stats);
    if (!scenario.null_output) o.output = framegen::ReadPcap(scenario.tx_pcap);
    if (!scenario.null_output && TransmitsOnTwoQueues(scenario.layout))
      o.output_by_queue = {o.output, framegen::ReadPcap(scenario.tx_pcap + ".q1")};
  }
  return o;
}

void ExpectConserved(const nlohmann::json& stats) {
  const auto& t = stats.at("totals");
  uint64_t drops = 0;
  for (const auto& [reason, n] : t.at("drops").items()) drops += n.get<uint64_t>();
  EXPECT_EQ(t.at("dropped").get<uint64_t>(), drops);
  EXPECT_EQ(t.at("rx_packets").get<uint64_t>() + t.at("clones").get<uint64_t>(),
            t.at("tx_packets").get<uint64_t>() + drops);
  // Zero, but for buffers a device keeps past its close (net_af_xdp's fill ring).
  EXPECT_EQ(t.at("mbufs_in_use").get<uint64_t>(), t.at("mbufs_kept_by_devices").get<uint64_t>());
}

}  // namespace ingestd::testing
