// SPDX-License-Identifier: BSD-3-Clause
// The five filter bodies. Each allocates its result, copies what it needs from its input,
// and frees its input: objects cross stages by owning pointer, never by reference into
// another stage's buffer.
#include "pipeline.hpp"

#include <oneapi/tbb/parallel_pipeline.h>
#include <x86intrin.h>

#include <algorithm>
#include <memory>

#include "ingestd/packet/parse.hpp"
#include "tally.hpp"

namespace ingestd::bench::owned {

namespace {

/// Runs one filter body, counting the call and timing a sample of calls. Sampling keeps the
/// two TSC reads per stage from inflating the total the way timing every call would (ingestd
/// times a sample of bursts for the same reason).
template <Stage S, typename Body>
auto Timed(unsigned sample, Body&& body) {
  constexpr auto s = static_cast<unsigned>(S);
  ThreadTally& t = ThisThreadTally();
  const uint64_t call = t.filter_calls[s].Get();
  t.filter_calls[s].Add(1);
  if (call < t.next_timed_call[s]) return body(t);
  t.next_timed_call[s] = call + sample;
  const uint64_t start = __rdtsc();
  auto result = body(t);
  t.stage_cycles[s].Add(__rdtsc() - start);
  t.timed_calls[s].Add(1);
  return result;
}

/// receive (serial, in order): the next frame of the capture, copied into a fresh buffer as a
/// socket read would leave it. Cache-line aligned, as is Transmitter: the two run at the same
/// time on different threads, and their counters must not share a line.
class alignas(64) Receiver {
 public:
  explicit Receiver(const RunSpec& spec) : spec_(spec) {}

  RawFrame* operator()(tbb::flow_control& fc) {
    return Timed<Stage::kReceive>(spec_.stage_sample, [&](ThreadTally& t) -> RawFrame* {
      const uint64_t now = __rdtsc();
      if (now >= spec_.stop_tsc || counts_.rx_packets >= spec_.max_packets) {
        fc.stop();
        return nullptr;
      }
      const framegen::Bytes& src = spec_.frames[next_];
      next_ = next_ + 1 == spec_.frames.size() ? 0 : next_ + 1;
      auto raw = std::make_unique<RawFrame>();
      raw->seq = counts_.rx_packets++;
      raw->rx_tsc = now;
      raw->in_port = spec_.in_port;
      raw->bytes.assign(src.begin(), src.end());
      counts_.rx_bytes += src.size();
      t.bytes_copied[static_cast<unsigned>(Stage::kReceive)].Add(src.size());
      return raw.release();
    });
  }

  const RunCounts& counts() const noexcept { return counts_; }

 private:
  const RunSpec& spec_;
  size_t next_ = 0;
  RunCounts counts_;
};

/// parse (parallel): ingestd's parser, then one owned object per layer. Rejected frames are
/// counted by verdict and dropped here.
ParsedPacket* Parse(RawFrame* in, unsigned sample) {
  return Timed<Stage::kParse>(sample, [&](ThreadTally& t) -> ParsedPacket* {
    const std::unique_ptr<RawFrame> raw(in);
    if (!raw) return nullptr;
    packet::PktMeta meta{};
    const auto len = static_cast<uint32_t>(raw->bytes.size());
    const packet::ParseVerdict v =
        packet::ParseFrame(raw->bytes.data(), len, len, meta, packet::ParseOptions{});
    if (v != packet::ParseVerdict::kOk) {
      t.drops[static_cast<unsigned>(v)].Add(1);
      return nullptr;
    }
    uint64_t copied = 0;
    std::unique_ptr<ParsedPacket> pkt = ParsedPacket::Decode(*raw, meta, copied);
    t.bytes_copied[static_cast<unsigned>(Stage::kParse)].Add(copied);
    return pkt.release();
  });
}

/// process (parallel): the route decision. The message is immutable, so the routed one is a
/// deep copy carrying the output's Ethernet addresses.
RoutedPacket* Process(ParsedPacket* in, const RouteTable& routes, unsigned sample) {
  return Timed<Stage::kProcess>(sample, [&](ThreadTally& t) -> RoutedPacket* {
    const std::unique_ptr<ParsedPacket> pkt(in);
    if (!pkt) return nullptr;
    const auto route = routes.find(pkt->in_port);
    if (route == routes.end()) [[unlikely]] {
      t.route_drops.Add(1);
      return nullptr;
    }
    uint64_t copied = 0;
    auto routed = std::make_unique<RoutedPacket>();
    routed->out_port = route->second.name;
    routed->packet = pkt->Clone(copied);
    routed->packet->ethernet->src = route->second.src;
    routed->packet->ethernet->dst = route->second.dst;
    t.bytes_copied[static_cast<unsigned>(Stage::kProcess)].Add(copied);
    return routed.release();
  });
}

/// encode (parallel): serialises the routed packet into a new buffer sized once.
OutFrame* Encode(RoutedPacket* in, unsigned sample) {
  return Timed<Stage::kEncode>(sample, [&](ThreadTally& t) -> OutFrame* {
    const std::unique_ptr<RoutedPacket> routed(in);
    if (!routed) return nullptr;
    const ParsedPacket& pkt = *routed->packet;
    auto out = std::make_unique<OutFrame>();
    out->seq = pkt.seq;
    out->rx_tsc = pkt.rx_tsc;
    out->out_port = routed->out_port;
    out->bytes.reserve(pkt.EncodedLength());
    ByteWriter w(out->bytes);
    pkt.EncodeTo(w);
    t.bytes_copied[static_cast<unsigned>(Stage::kEncode)].Add(out->bytes.size());
    return out.release();
  });
}

/// transmit (serial, in order): counts the frame and its latency, then frees it.
class alignas(64) Transmitter {
 public:
  Transmitter(const RunSpec& spec, LatencyHistogram& latency) : spec_(spec), latency_(latency) {
    const OutputPort& port = spec.routes->at(spec.in_port);
    expected_src_ = port.src;
    expected_dst_ = port.dst;
  }

  void operator()(OutFrame* in) {
    Timed<Stage::kTransmit>(spec_.stage_sample, [&](ThreadTally&) {
      const std::unique_ptr<OutFrame> out(in);
      if (!out) return 0;
      const uint64_t now = __rdtsc();
      latency_.tsc.Record(now > out->rx_tsc ? now - out->rx_tsc : 0);
      ++counts_.tx_packets;
      counts_.tx_bytes += out->bytes.size();
      if (spec_.verify && !Matches(*out)) ++counts_.mismatches;
      return 0;
    });
  }

  const RunCounts& counts() const noexcept { return counts_; }

 private:
  // The input frame with the output's addresses written over the first 12 bytes.
  bool Matches(const OutFrame& out) const {
    const framegen::Bytes& in = spec_.frames[out.seq % spec_.frames.size()];
    if (out.bytes.size() != in.size() || in.size() < 12) return false;
    return std::equal(out.bytes.begin(), out.bytes.begin() + 6, expected_dst_.octets.begin()) &&
           std::equal(out.bytes.begin() + 6, out.bytes.begin() + 12,
                      expected_src_.octets.begin()) &&
           std::equal(out.bytes.begin() + 12, out.bytes.end(), in.begin() + 12);
  }

  const RunSpec& spec_;
  LatencyHistogram& latency_;
  MacAddress expected_src_;
  MacAddress expected_dst_;
  RunCounts counts_;
};

}  // namespace

RunCounts RunPipeline(const RunSpec& spec, LatencyHistogram& latency) {
  Receiver receiver(spec);
  Transmitter transmitter(spec, latency);
  const unsigned sample = spec.stage_sample;
  const RouteTable& routes = *spec.routes;
  tbb::parallel_pipeline(
      spec.tokens,
      tbb::make_filter<void, RawFrame*>(tbb::filter_mode::serial_in_order,
                                        [&](tbb::flow_control& fc) { return receiver(fc); }) &
          tbb::make_filter<RawFrame*, ParsedPacket*>(
              tbb::filter_mode::parallel, [sample](RawFrame* f) { return Parse(f, sample); }) &
          tbb::make_filter<ParsedPacket*, RoutedPacket*>(
              tbb::filter_mode::parallel,
              [&routes, sample](ParsedPacket* p) { return Process(p, routes, sample); }) &
          tbb::make_filter<RoutedPacket*, OutFrame*>(
              tbb::filter_mode::parallel, [sample](RoutedPacket* p) { return Encode(p, sample); }) &
          tbb::make_filter<OutFrame*, void>(tbb::filter_mode::serial_in_order,
                                            [&](OutFrame* f) { transmitter(f); }));
  RunCounts c = receiver.counts();
  c.tx_packets = transmitter.counts().tx_packets;
  c.tx_bytes = transmitter.counts().tx_bytes;
  c.mismatches = transmitter.counts().mismatches;
  return c;
}

}  // namespace ingestd::bench::owned
