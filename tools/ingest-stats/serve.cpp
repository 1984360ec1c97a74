// SPDX-License-Identifier: BSD-3-Clause
// The Prometheus scrape endpoint of ingest-stats: cpp-httplib, the segment read at every scrape.
//
// Why here and not in ingestd: the dataplane process gets no HTTP parser and no server
// thread; the exporter runs unprivileged (any member of stats.group can read the segment);
// and it keeps answering while ingestd is down or restarting (ingestd_up 0), so Prometheus
// records the outage instead of a failed scrape.
#include "serve.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "ingestd/stats/prometheus.hpp"
#include "ingestd/stats/segment_reader.hpp"

namespace ingestd::ingest_stats {
namespace {

using stats::ExpositionFormat;
using stats::ReadError;
using stats::Snapshot;

// Bounds on what one client can hold: scrapes are small GETs, answered from memory.
constexpr size_t kThreads = 4;
constexpr time_t kIoTimeoutS = 5;
constexpr size_t kMaxRequestBody = 4096;

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

/// Why binding failed, asked of the kernel with a socket like httplib's (it keeps no errno).
std::string BindFailure(const ListenAddress& a) {
  const int fd = socket(a.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fmt::format("socket: {}", std::strerror(errno));
  const int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  int rc = 0;
  if (a.v6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(a.port));
    inet_pton(AF_INET6, a.host.c_str(), &sa.sin6_addr);
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(a.port));
    inet_pton(AF_INET, a.host.c_str(), &sa.sin_addr);
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
  }
  const int err = errno;
  close(fd);
  if (rc == 0) return "the server could not bind it (it was free a moment later: try again)";
  switch (err) {
    case EADDRINUSE: return "the port is in use (another exporter of this instance? pick another port)";
    case EADDRNOTAVAIL: return "the address is not one of this host's";
    case EACCES: return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE: pick a higher one)";
    default: return std::strerror(err);
  }
}

/// Logs the instance's state when it changes between scrapes: one line per outage and recovery.
class StateLog {
 public:
  explicit StateLog(std::string what) : what_(std::move(what)) {}
  /// `why`: the read error's message, when the segment could not be read.
  void Saw(std::string_view state, std::string_view why) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (state == last_) return;
    fmt::print(stderr, "ingest-stats: {} is {}{}{}{}\n", what_, state, last_.empty() ? "" : fmt::format(" (was {})", last_),
               why.empty() ? "" : ": ", why);
    last_ = state;
  }

 private:
  std::string what_;
  std::mutex mutex_;
  std::string last_;
};

}  // namespace

std::string ListenAddress::Url() const {
  return v6 ? fmt::format("http://[{}]:{}", host, port) : fmt::format("http://{}:{}", host, port);
}

bool ParseListenAddress(std::string_view text, ListenAddress* out, std::string* error) {
  constexpr const char* kForm = "expected ADDR:PORT with a numeric address, e.g. 127.0.0.1:9469 or [::1]:9469";
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t bracket = text.find(']');
    if (bracket == std::string_view::npos || bracket + 1 >= text.size() || text[bracket + 1] != ':') {
      *error = fmt::format("'{}': {}", text, kForm);
      return false;
    }
    a.host = std::string(text.substr(1, bracket - 1));
    a.v6 = true;
    port = text.substr(bracket + 2);
    in6_addr ignored{};
    if (inet_pton(AF_INET6, a.host.c_str(), &ignored) != 1) {
      *error = fmt::format("'{}' is not a numeric IPv6 address ({})", a.host, kForm);
      return false;
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *error = fmt::format("'{}' has no port: {}", text, kForm);
      return false;
    }
    if (text.find(':') != colon) {
      *error = fmt::format("'{}': an IPv6 address goes in brackets, e.g. [::1]:9469", text);
      return false;
    }
    a.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    in_addr ignored{};
    if (inet_pton(AF_INET, a.host.c_str(), &ignored) != 1) {
      *error = a.host.empty() ? fmt::format("'{}' has no address (0.0.0.0 would mean every IPv4 address): {}",
                                            text, kForm)
                              : fmt::format("'{}' is not a numeric IPv4 address: {}", a.host, kForm);
      return false;
    }
  }
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value < 1 || value > 65535) {
    *error = fmt::format("'{}': the port must be a number from 1 to 65535", text);
    return false;
  }
  a.port = static_cast<int>(value);
  *out = std::move(a);
  return true;
}

int Serve(const ServeOptions& o) {
  // Signals wait on a thread of their own (httplib's stop() is not async-signal-safe); every
  // thread started from here on inherits the mask. SIGUSR1 wakes that thread if the server
  // stops by itself.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a scraper hanging up mid-answer is not our death

  const std::string label = o.path.empty() ? o.instance : o.path;
  const std::string what = o.path.empty() ? fmt::format("instance '{}'", o.instance) : o.path;
  StateLog state_log(what);

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  // httplib's default is SO_REUSEPORT, which would let a second exporter share the port
  // silently; SO_REUSEADDR only lets a restart bind past TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_read_timeout(kIoTimeoutS, 0);
  server.set_write_timeout(kIoTimeoutS, 0);
  server.set_keep_alive_timeout(kIoTimeoutS);
  server.set_payload_max_length(kMaxRequestBody);

  server.Get("/metrics", [&](const httplib::Request& req, httplib::Response& res) {
    const ExpositionFormat format = stats::NegotiateExposition(req.get_header_value("Accept"));
    Snapshot s;
    const ReadError e = o.path.empty() ? stats::ReadSnapshotOfInstance(o.instance, s)
                                       : stats::ReadSnapshotFromPath(o.path, s);
    state_log.Saw(e ? stats::UnreadableState(e.kind) : stats::LivenessName(s.liveness), e.message);
    // 200 either way: an instance that is down is a fact to record, not a failed scrape.
    res.set_content(e ? stats::ReportPrometheusUnreadable(label, e, format) : stats::ReportPrometheus(s, format),
                    std::string(stats::ExpositionContentType(format)).c_str());
  });
  server.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(fmt::format("<!DOCTYPE html>\n<html><head><title>ingest-stats</title></head><body>\n"
                                "<h1>ingest-stats</h1>\n<p>Prometheus exporter of ingestd {}.</p>\n"
                                "<p><a href=\"/metrics\">/metrics</a></p>\n</body></html>\n",
                                HtmlEscape(what)),
                    "text/html; charset=utf-8");
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found: the metrics are at /metrics\n", "text/plain; charset=utf-8");
  });

  if (!server.bind_to_port(o.listen.host, o.listen.port)) {
    fmt::print(stderr, "ingest-stats: cannot listen on {}: {}\n", o.listen.Url(), BindFailure(o.listen));
    return kServeBadListen;
  }
  fmt::print(stderr, "ingest-stats: serving {} at {}/metrics (the segment is read at every scrape)\n", what,
             o.listen.Url());

  std::atomic<bool> listening{true};
  std::atomic<int> stopped_by{0};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGUSR1) stopped_by = sig;
    // stop() acts only once listening has begun: retry until it has (or it ended by itself).
    while (listening.load()) {
      if (server.is_running()) {
        server.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const bool clean = server.listen_after_bind();
  listening = false;
  if (stopped_by.load() == 0) pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  if (const int sig = stopped_by.load(); sig != 0) {
    fmt::print(stderr, "ingest-stats: {}: stopped serving {}\n", sig == SIGTERM ? "SIGTERM" : "SIGINT", o.listen.Url());
    return kServeStopped;
  }
  fmt::print(stderr, "ingest-stats: the server at {} stopped by itself{}\n", o.listen.Url(),
             clean ? "" : " (accept failed)");
  return kServeFailed;
}

}  // namespace ingestd::ingest_stats
