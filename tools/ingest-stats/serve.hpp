// SPDX-License-Identifier: BSD-3-Clause
// ingest-stats --serve ADDR:PORT: the Prometheus scrape endpoint (GET /metrics).
#pragma once

#include <string>
#include <string_view>

namespace ingestd::ingest_stats {

/// Exit statuses of Serve.
constexpr int kServeStopped = 0;    // SIGTERM or SIGINT
constexpr int kServeFailed = 1;     // the server stopped by itself
constexpr int kServeBadListen = 2;  // bad ADDR:PORT, or it cannot be bound (in use, not ours)

/// A numeric listen address: "127.0.0.1:9469" or "[::1]:9469". No host names: the
/// server binds exactly the address given, never what a resolver makes of it.
struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
  bool v6 = false;
  std::string Url() const;  // "http://[::1]:9469"
};
/// @return false, with why in `error`, for anything but ADDR:PORT with a numeric address and port 1-65535.
bool ParseListenAddress(std::string_view text, ListenAddress* out, std::string* error);

struct ServeOptions {
  ListenAddress listen;
  std::string instance;  // /dev/shm/ingestd.<instance>; also the instance label while it is absent
  std::string path;      // or this segment file
};

/// Binds `o.listen` and answers scrapes until SIGTERM or SIGINT, reading the segment
/// afresh at each one. Threading: call from main before any other thread starts (it
/// blocks SIGTERM and SIGINT for the whole process and waits for them on a thread).
/// @return kServeStopped, kServeFailed or kServeBadListen (with the reason on stderr).
int Serve(const ServeOptions& o);

}  // namespace ingestd::ingest_stats
