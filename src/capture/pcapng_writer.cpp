// SPDX-License-Identifier: BSD-3-Clause
// pcapng blocks, built in a reused buffer and appended to a buffered file.
#include "pcapng_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ingestd::capture {
namespace {

constexpr uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kInterfaceDescription = 0x00000001;
constexpr uint32_t kEnhancedPacket = 0x00000006;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kLinkTypeEthernet = 1;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptComment = 1;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfTsresol = 9;
constexpr uint8_t kNanoseconds = 9;  // if_tsresol: 10^-9 s per unit

size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }

void Put(std::vector<uint8_t>& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}
void Put16(std::vector<uint8_t>& out, uint16_t v) { Put(out, &v, 2); }
void Put32(std::vector<uint8_t>& out, uint32_t v) { Put(out, &v, 4); }
void PadTo4(std::vector<uint8_t>& out) { out.resize(Pad4(out.size()), 0); }

/// An option: code, length, value padded to 32 bits. Values longer than an
/// option can say (65535) are cut.
void PutOption(std::vector<uint8_t>& out, uint16_t code, const void* value, size_t len) {
  if (len > 0xffff) len = 0xffff;
  Put16(out, code);
  Put16(out, static_cast<uint16_t>(len));
  Put(out, value, len);
  PadTo4(out);
}

/// Starts a block at the end of `out`; returns where it starts.
size_t BeginBlock(std::vector<uint8_t>& out, uint32_t type) {
  const size_t start = out.size();
  Put32(out, type);
  Put32(out, 0);  // total length, filled by EndBlock
  return start;
}

/// Ends the options with opt_endofopt, then writes the total length at both ends.
void EndBlock(std::vector<uint8_t>& out, size_t start) {
  Put16(out, kOptEnd);
  Put16(out, 0);
  const auto total = static_cast<uint32_t>(out.size() - start + 4);
  Put32(out, total);
  std::memcpy(out.data() + start + 4, &total, 4);
}

}  // namespace

void PcapngWriter::AppendSectionHeader(std::vector<uint8_t>& out, std::string_view application) {
  const size_t start = BeginBlock(out, kSectionHeader);
  Put32(out, kByteOrderMagic);
  Put16(out, 1);  // major
  Put16(out, 0);  // minor
  const int64_t unknown_length = -1;
  Put(out, &unknown_length, 8);
  PutOption(out, kShbUserAppl, application.data(), application.size());
  EndBlock(out, start);
}

void PcapngWriter::AppendInterface(std::vector<uint8_t>& out, std::string_view name, uint32_t snaplen) {
  const size_t start = BeginBlock(out, kInterfaceDescription);
  Put16(out, kLinkTypeEthernet);
  Put16(out, 0);
  Put32(out, snaplen);
  PutOption(out, kIfName, name.data(), name.size());
  PutOption(out, kIfTsresol, &kNanoseconds, 1);
  EndBlock(out, start);
}

void PcapngWriter::AppendPacket(std::vector<uint8_t>& out, uint32_t interface, uint64_t unix_ns,
                                std::span<const uint8_t> data, uint32_t original_len, std::string_view comment) {
  const size_t start = BeginBlock(out, kEnhancedPacket);
  Put32(out, interface);
  Put32(out, static_cast<uint32_t>(unix_ns >> 32));
  Put32(out, static_cast<uint32_t>(unix_ns));
  Put32(out, static_cast<uint32_t>(data.size()));
  Put32(out, original_len);
  Put(out, data.data(), data.size());
  PadTo4(out);
  if (!comment.empty()) PutOption(out, kOptComment, comment.data(), comment.size());
  EndBlock(out, start);
}

Status PcapngWriter::Open(const std::string& path, const std::vector<std::string>& interfaces, uint32_t snaplen,
                          std::string_view application) {
  Close();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Error(errno, fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  file_ = fdopen(fd, "wb");
  if (file_ == nullptr) {
    const int code = errno;
    close(fd);
    return Status::Error(code, fmt::format("cannot write {}: {}", path, std::strerror(code)));
  }
  block_.clear();
  AppendSectionHeader(block_, application);
  for (const std::string& name : interfaces) AppendInterface(block_, name, snaplen);
  if (!WriteBuffer() || !Flush()) {
    const int code = errno;
    Close();
    return Status::Error(code, fmt::format("cannot write {}: {}", path, std::strerror(code)));
  }
  return Status::Ok();
}

bool PcapngWriter::WritePacket(uint32_t interface, uint64_t unix_ns, std::span<const uint8_t> data,
                               uint32_t original_len, std::string_view comment) {
  if (file_ == nullptr) return false;
  block_.clear();
  AppendPacket(block_, interface, unix_ns, data, original_len, comment);
  return WriteBuffer();
}

bool PcapngWriter::WriteBuffer() {
  return std::fwrite(block_.data(), 1, block_.size(), file_) == block_.size();
}

bool PcapngWriter::Flush() { return file_ != nullptr && std::fflush(file_) == 0; }

void PcapngWriter::Close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

}  // namespace ingestd::capture
