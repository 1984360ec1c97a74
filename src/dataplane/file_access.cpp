// SPDX-License-Identifier: BSD-3-Clause
// File modes and groups of the runtime dir, telemetry socket, captures and memif sockets.
#include "ingestd/dataplane/file_access.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

namespace ingestd::dataplane {
namespace {

constexpr mode_t kModeBits = 07777;

std::optional<std::string> ArgOf(const config::PortConfig& p, std::string_view key) {
  for (const auto& a : p.args)
    if (a.key == key) return a.value;
  return std::nullopt;
}

Status Failed(const char* what, const std::string& path) {
  const int err = errno;
  return Status::Error(err, fmt::format("cannot {} {}: {}", what, path, strerror(err)));
}

/// chmod, then chown to `gid` (if >= 0) of a path already checked with lstat.
/// Used inside EAL's own 0700 directory, where nobody else can swap the entry.
Status SetModeAndGroup(const std::string& path, mode_t mode, int gid) {
  if (gid >= 0 && lchown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0)
    return Failed("chown", path);
  if (chmod(path.c_str(), mode) != 0) return Failed("chmod", path);
  return Status::Ok();
}

/// A capture the operator named: opened without following a symlink and changed
/// only if it is a regular file.
Status RestrictCapture(const std::string& path, int gid) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : Failed("open", path);
  struct stat st {};
  Status s = Status::Ok();
  if (fstat(fd, &st) != 0) {
    s = Failed("stat", path);
  } else if (S_ISREG(st.st_mode)) {
    if (gid >= 0 && fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0) s = Failed("chown", path);
    else if (fchmod(fd, gid >= 0 ? 0640 : 0600) != 0) s = Failed("chmod", path);
  }
  close(fd);
  return s;
}

Status RestrictRuntimeDir(const std::string& runtime_dir, int gid) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(runtime_dir, ec)) {
    const std::string path = entry.path().string();
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
    if (S_ISLNK(st.st_mode)) continue;
    const bool telemetry = S_ISSOCK(st.st_mode) && entry.path().filename().string().starts_with("dpdk_telemetry");
    if (telemetry) {
      if (Status s = SetModeAndGroup(path, gid >= 0 ? 0660 : 0600, gid); !s.ok()) return s;
    } else if ((st.st_mode & 0077) != 0) {
      if (chmod(path.c_str(), st.st_mode & kModeBits & ~mode_t{0077}) != 0) return Failed("chmod", path);
    }
  }
  if (ec) return Status::Error(ec.value(), fmt::format("cannot list {}: {}", runtime_dir, ec.message()));
  if (Status s = SetModeAndGroup(runtime_dir, gid >= 0 ? 0750 : 0700, gid); !s.ok()) return s;

  if (gid >= 0) {
    const std::string parent = fs::path(runtime_dir).parent_path().string();
    struct stat st {};
    if (lstat(parent.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_mode & S_IXOTH) == 0 && chmod(parent.c_str(), (st.st_mode & kModeBits) | S_IXOTH) != 0)
      return Failed("chmod", parent);
  }
  return Status::Ok();
}

}  // namespace

Status RestrictCreatedFiles(const config::RuntimeConfig& cfg, const std::string& runtime_dir, int gid,
                            std::vector<std::string>& notes) {
  if (!runtime_dir.empty()) {
    if (Status s = RestrictRuntimeDir(runtime_dir, gid); !s.ok()) return s;
  }
  for (const config::PortConfig& p : cfg.ports) {
    if (p.is_pci) continue;
    if (p.device.starts_with("net_pcap")) {
      if (auto path = ArgOf(p, "tx_pcap")) {
        if (Status s = RestrictCapture(*path, gid); !s.ok()) return s;
      }
    } else if (p.device.starts_with("net_memif") && ArgOf(p, "role").value_or("server") == "server") {
      if (ArgOf(p, "socket-abstract").value_or("yes") != "no") {
        notes.push_back(fmt::format("port '{}': net_memif listens on an abstract socket, which no file "
                                    "mode protects (any process in this network namespace may connect); "
                                    "set socket-abstract: \"no\" to make it a file only ingestd's user can use",
                                    p.name));
        continue;
      }
      const std::string path = ArgOf(p, "socket").value_or("/run/memif.sock");
      struct stat st {};
      if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && chmod(path.c_str(), 0600) != 0)
        return Failed("chmod", path);
    }
  }
  return Status::Ok();
}

}  // namespace ingestd::dataplane
