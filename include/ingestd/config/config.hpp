// SPDX-License-Identifier: BSD-3-Clause
// Typed, validated configuration: what `ingestd -c FILE` runs. Built once at startup.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ingestd/config/rules.hpp"
#include "ingestd/config/stage.hpp"
#include "ingestd/packet/parse.hpp"

namespace ingestd::config {

/// A configuration error, located in its file. what() reads
/// "file:line:col: message" (line and column 1-based), followed by
/// "\n  hint: ..." when there is a hint. Line 0 means no position (e.g. an
/// unreadable file): what() is then "file: message".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string message,
              std::string hint = {});

  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }
  int column() const noexcept { return column_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string message_;
  std::string hint_;
};

/// All errors of one file, in file order. Loading collects every error it can
/// before giving up, so an operator fixes a file in one pass.
class ConfigErrors : public std::runtime_error {
 public:
  explicit ConfigErrors(std::vector<ConfigError> errors);
  const std::vector<ConfigError>& errors() const noexcept { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

/// Where a value came from, for errors found after parsing (e.g. by the
/// dataplane when a device refuses a setting).
struct Mark {
  int line = 0;    // 1-based, 0 = unknown
  int column = 0;  // 1-based
};

enum class HugepageMode : uint8_t { kAuto, kRequire, kOff };

struct EalConfig {
  /// Control (main) lcore: signals, lifecycle, stats. Never runs a stage.
  unsigned main_lcore = 0;
  /// CPU the main lcore is pinned to.
  unsigned main_cpu = 0;
  /// Memory for EAL, in MiB (`-m`). Must hold every mempool.
  unsigned memory_mb = 256;
  /// `--file-prefix`: separates instances' runtime files and shared memory.
  std::string file_prefix = "ingestd";
  HugepageMode hugepages = HugepageMode::kAuto;
  /// EAL log level name: emerg, alert, crit, error, warning, notice, info, debug.
  std::string log_level = "notice";
  /// `--base-virtaddr`: where EAL reserves its memory's address space; 0 leaves it to EAL.
  /// A secondary process (dpdk-dumpcap, dpdk-proc-info) maps that memory at the same
  /// addresses, so they must be free in it too.
  uint64_t base_virtaddr = 0;
};

/// A device argument given as its own YAML key, e.g. `rx_pcap: in.pcap`. A
/// list (`tx_pcap: [q0.pcap, q1.pcap]`) gives the key once per item, in order.
/// Values never contain ',' or '=' (validated), so they cannot add arguments.
struct DeviceArg {
  std::string key;
  std::string value;
};

struct MacAddress {
  uint8_t bytes[6] = {};
  bool operator==(const MacAddress&) const = default;
};

/// Outer headers put in front of every frame leaving a port: Ethernet, IPv4, then
/// UDP + VXLAN (RFC 7348) or GRE (RFC 2890, transparent Ethernet bridging).
struct EncapConfig {
  enum class Type : uint8_t { kNone, kVxlan, kGre };
  Type type = Type::kNone;
  uint32_t id = 0;           // VXLAN VNI (24 bits) or GRE key
  bool gre_key = false;      // GRE: carry the key
  uint8_t src_ip[4] = {};
  uint8_t dst_ip[4] = {};
  MacAddress src_mac;
  MacAddress dst_mac;
  uint16_t udp_port = 4789;  // VXLAN destination port
  uint8_t ttl = 64;
};

/// Encode-stage rewrites of frames leaving a port, applied in this order: MAC
/// addresses, VLAN, truncation, encapsulation.
struct EncodeConfig {
  enum class Vlan : uint8_t { kKeep, kPush, kPop, kSet };
  Vlan vlan = Vlan::kKeep;
  uint16_t vlan_tci = 0;  // push: the new tag's TCI; set: the VLAN id written into the outer tag
  uint32_t truncate = 0;  // snap length in bytes, 0 = whole frames
  EncapConfig encap;
  bool Any() const { return vlan != Vlan::kKeep || truncate != 0 || encap.type != EncapConfig::Type::kNone; }
};

struct PortConfig {
  std::string name;
  /// Either a PCI address ("0000:01:00.0"; written "01:00.0" it is stored with
  /// its domain, lowercase, as DPDK names the port) or a DPDK virtual device
  /// name ("net_pcap0", "net_ring1", "net_null0", ...).
  std::string device;
  bool is_pci = false;
  /// Device arguments, in file order: a vdev's, or a PCI device's devargs (mlx5's
  /// e.g.), passed to EAL as "-a BDF,key=value,...".
  /// Relative file paths (keys in kPathDeviceArgs) are resolved against the
  /// directory of the config file.
  std::vector<DeviceArg> args;
  uint16_t rx_queues = 1;
  uint16_t tx_queues = 1;
  uint16_t rx_desc = 1024;  // power of two
  uint16_t tx_desc = 1024;  // power of two
  std::optional<uint16_t> mtu;  // unset: leave the device default
  bool promiscuous = true;
  /// Encode stage: rewrite Ethernet addresses of frames leaving this port.
  std::optional<MacAddress> set_src_mac;
  std::optional<MacAddress> set_dst_mac;
  EncodeConfig encode;
  Mark mark;
};

/// Device argument keys whose values are file system paths.
inline constexpr const char* kPathDeviceArgs[] = {"rx_pcap", "tx_pcap", "socket"};

enum class RingPolicy : uint8_t { kDrop, kBackpressure };

/// A run of consecutive stages on one lcore. A segment fanned out over N lcores is
/// N of these in a row with the same stages (replica 0..N-1): the segment before
/// spreads packets over them by symmetric flow hash, each lcore getting a share of the
/// flows in proportion to its weight. A fan-out's first lcore may be the lcore of the
/// segment before: that lcore keeps its share and runs the fan-out's stages on it itself.
struct SegmentConfig {
  unsigned lcore = 0;
  unsigned cpu = 0;      // CPU the lcore is pinned to (defaults to the lcore id)
  Stage first = Stage::kRx;
  Stage last = Stage::kTx;
  uint8_t replica = 0;   // this lcore's place in its fan-out
  uint8_t replicas = 1;  // lcores the segment runs on
  uint8_t weight = 1;    // this lcore's share of the fan-out's flows, relative to the others'
  Mark mark;

  /// The lcore before the fan-out runs this replica itself (the first of a fan-out, on
  /// the lcore of `before`, the segment ahead of it).
  bool SharesLcoreWith(const SegmentConfig& before) const noexcept {
    return replica == 0 && replicas > 1 && before.replicas == 1 && before.lcore == lcore;
  }
};

/// An RX queue polled by a chain.
struct RxQueueRef {
  uint16_t port = 0;   // index into RuntimeConfig::ports
  uint16_t queue = 0;
};

/// One chain: rx -> parse -> process -> encode -> tx, split into segments.
/// Segment i+1 starts at the stage after segment i's last; a ring links them.
struct ChainConfig {
  std::vector<RxQueueRef> rx;          // queues this chain receives from
  std::vector<SegmentConfig> segments; // in stage order, together rx..tx
  uint32_t ring_size = 1024;           // power of two
  RingPolicy ring_policy = RingPolicy::kDrop;
  Mark mark;

  /// Segment `s` runs on an lcore of its own, fed by a ring when s > 0: every segment
  /// but a fan-out's first replica on the lcore before it.
  bool OwnsLcore(size_t s) const noexcept { return s == 0 || !segments[s].SharesLcoreWith(segments[s - 1]); }
};

/// Where a pool keeps the mbufs no lcore cache holds. kDefault is DPDK's choice
/// (ring_mp_mc, a FIFO: it hands out the mbuf freed longest ago, unless the platform
/// has a hardware pool); kStack (LIFO) hands out the one freed last, so a pipeline's
/// RX lcore reuses buffers whose bytes are still in its caches.
enum class MempoolHandler : uint8_t { kDefault, kStack };

struct MempoolConfig {
  uint32_t mbufs = 8191;      // per NUMA socket; best as 2^n - 1
  uint32_t cache = 256;       // per-lcore cache, <= RTE_MEMPOOL_CACHE_MAX_SIZE
  MempoolHandler handler = MempoolHandler::kDefault;
  uint16_t data_room = 2176;  // RTE_MBUF_DEFAULT_BUF_SIZE: 2048 + headroom
  uint32_t clones = 4095;     // indirect mbufs for mirror copies (made only when a rule mirrors)
  Mark mark;
};

inline constexpr uint16_t kDropRoute = 0xffff;

/// Port map entry: frames from `in_port` (and `in_queue`, if set) go to
/// `out_port`, or are dropped (counted as route_drop) when out_port == kDropRoute.
struct RouteConfig {
  uint16_t in_port = 0;
  std::optional<uint16_t> in_queue;
  uint16_t out_port = kDropRoute;
  Mark mark;
};

struct PipelineConfig {
  std::vector<ChainConfig> chains;
  MempoolConfig mempool;
  uint16_t burst = 32;       // 1..64
  uint16_t tx_retries = 4;   // extra tx_burst attempts before counting tx_full
};

/// Flow tracking in the process stage and export of expired flows (IPFIX, JSON Lines).
struct FlowsConfig {
  bool enabled = false;               // a flows: section is present
  uint32_t capacity = 65536;          // flows per process lcore, preallocated
  uint32_t idle_timeout_ms = 15000;   // no packet for this long: exported as idle
  uint32_t active_timeout_ms = 60000; // older than this: exported as active (a new record follows)
  uint8_t ipfix_address[16] = {};     // IPFIX collector (UDP): 4 bytes IPv4, or 16 bytes IPv6
  bool ipfix_ipv6 = false;            // the collector's address is IPv6 ("[::1]:4739")
  uint16_t ipfix_port = 0;            // 0: no IPFIX export
  uint32_t domain_id = 1;             // IPFIX observation domain
  // Templates resent over UDP (RFC 7011 section 8.4) when either is reached; 0 turns one off.
  uint32_t template_refresh_s = 10;        // seconds since the templates were last sent
  uint32_t template_refresh_messages = 20; // data messages since the templates were last sent
  std::string jsonl;                  // JSON Lines file, appended; empty: none
};

/// A capture of dropped packets, each with its reason (capture.drops, or started at run time).
struct DropCaptureConfig {
  std::string file;          // pcapng, created or truncated when the capture starts
  std::string filter;        // libpcap filter syntax (as tcpdump's); empty: every drop
  uint32_t snaplen = 65535;  // bytes kept of each packet, 64..65535
  uint64_t packets = 10000;  // the capture stops after writing this many, 1..1e9
};

/// The capture: section.
struct CaptureConfig {
  /// Dropped packets one lcore may have in flight to the writer (a power of two,
  /// 16..65536): a burst of drops beyond it is freed at once and counted as missed.
  uint32_t ring_size = 512;
  std::optional<DropCaptureConfig> drops;  // present: the capture starts with the run
};

struct StatsConfig {
  /// How often the stats segment is published.
  uint32_t period_ms = 100;
  /// Stages are timed on 1 burst in this many (a power of two): a TSC read per
  /// stage costs ~1 cycle per packet per stage when every burst is timed.
  uint32_t stage_timing_every = 8;
  /// Segment name: /dev/shm/ingestd.<instance>. Unset: eal.file_prefix.
  std::optional<std::string> instance;
  /// Group owning the segment (mode 0640), so its members can run
  /// ingest-stats without root. Unset: the process's group.
  std::optional<std::string> group;
  std::optional<unsigned> group_id;  // resolved when the file is loaded
};

struct RuntimeConfig {
  std::string source;  // path of the file it came from
  EalConfig eal;
  std::vector<PortConfig> ports;
  PipelineConfig pipeline;
  std::vector<RouteConfig> routes;
  /// The process stage's rules, in file order; a packet no rule matches follows `routes`.
  std::vector<RuleConfig> rules;
  FlowsConfig flows;
  CaptureConfig capture;
  StatsConfig stats;
  /// What parse decodes: VLAN depth, tunnels to look through, checksum check.
  packet::ParseOptions parse;

  /// Index of the port named `name`, if any.
  std::optional<uint16_t> FindPort(const std::string& name) const;
};

/// Facts about the host that validation checks against. Tests inject them so
/// results do not depend on the machine; the default reads this host.
struct LoadOptions {
  /// CPUs an lcore may be pinned to. Unset: HostCpus().
  std::optional<std::vector<unsigned>> cpus;
};

/// CPUs this process may run on (sched_getaffinity, else the online list
/// in sysfs), ascending. Never empty: falls back to {0}.
std::vector<unsigned> HostCpus();

/// Loads and validates `path` completely. Throws ConfigErrors (every error
/// found, each "file:line:col: message", in file order) or ConfigError for an
/// unreadable file. Touches nothing but the file (device-arg paths are
/// resolved, never opened): safe before EAL starts.
/// Threading: any thread; no shared state.
RuntimeConfig LoadConfig(const std::string& path);

/// Same, from text (tests, --check-config on stdin). `source` names it in
/// errors; relative device-arg paths resolve against `base_dir` (itself made
/// absolute against the working directory).
RuntimeConfig LoadConfigFromString(const std::string& text, const std::string& source,
                                   const std::string& base_dir = ".");

/// As above, checking CPUs against `options` instead of this host.
RuntimeConfig LoadConfig(const std::string& path, const LoadOptions& options);
RuntimeConfig LoadConfigFromString(const std::string& text, const std::string& source,
                                   const std::string& base_dir, const LoadOptions& options);

}  // namespace ingestd::config
