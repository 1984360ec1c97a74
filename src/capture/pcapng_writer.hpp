// SPDX-License-Identifier: BSD-3-Clause
// A small pcapng writer (SHB, IDB, EPB with a comment): DPDK 22.11's rte_pcapng has no per-packet comments.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingestd/status.hpp"

namespace ingestd::capture {

/// Writes one pcapng section: a Section Header Block, one Interface Description
/// Block per interface (Ethernet, nanosecond timestamps), then Enhanced Packet
/// Blocks, each with an opt_comment. Blocks follow draft-ietf-opsawg-pcapng:
///
/// | block | body                                                                 |
/// |-------|----------------------------------------------------------------------|
/// | SHB   | 0x1A2B3C4D, version 1.0, section length -1, shb_userappl             |
/// | IDB   | linktype 1, reserved, snaplen, if_name, if_tsresol = 9               |
/// | EPB   | interface, timestamp (ns, high, low), captured, original, data, opt_comment |
///
/// Every block is `type, total length, body, total length`, the body padded to
/// 32 bits; options are `code, length, value padded to 32 bits`, ended by opt_endofopt.
/// Host byte order (the byte-order magic tells readers which).
/// Threading: one thread (the control thread). Not on the data path.
class PcapngWriter {
 public:
  PcapngWriter() = default;
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;
  ~PcapngWriter() { Close(); }

  /// Creates (or truncates) `path` with mode 0640 and writes the section header
  /// and one interface block per name.
  Status Open(const std::string& path, const std::vector<std::string>& interfaces, uint32_t snaplen,
              std::string_view application);

  /// Appends a packet: `data` is what was captured (at most snaplen bytes),
  /// `original_len` the frame's length, `unix_ns` its time. False on a write error.
  bool WritePacket(uint32_t interface, uint64_t unix_ns, std::span<const uint8_t> data, uint32_t original_len,
                   std::string_view comment);

  /// Pushes buffered blocks to the file, so a reader sees whole blocks. False on error.
  bool Flush();
  void Close();
  bool is_open() const noexcept { return file_ != nullptr; }

  /// The bytes of the blocks (exposed for tests of the format).
  static void AppendSectionHeader(std::vector<uint8_t>& out, std::string_view application);
  static void AppendInterface(std::vector<uint8_t>& out, std::string_view name, uint32_t snaplen);
  static void AppendPacket(std::vector<uint8_t>& out, uint32_t interface, uint64_t unix_ns,
                           std::span<const uint8_t> data, uint32_t original_len, std::string_view comment);

 private:
  bool WriteBuffer();

  std::FILE* file_ = nullptr;
  std::vector<uint8_t> block_;  // reused for every block
};

}  // namespace ingestd::capture
