#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/media/call_mix.hpp"
#include "core/media/endpoint.hpp"

// Builds pcap files and RTP packets byte by byte for the media tests, and measures the audio
// that comes out.
namespace callsight::media::test_support {

using ByteVector = std::vector<std::uint8_t>;

inline void put_be(ByteVector& out, std::uint32_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}
inline void put_le(ByteVector& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

struct RtpFields {
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0x1234;
  ByteVector payload = ByteVector(160, 0xff);  // 20 ms of µ-law silence
};

inline ByteVector rtp_bytes(const RtpFields& fields) {
  ByteVector out{0x80, fields.payload_type};
  put_be(out, fields.sequence, 2);
  put_be(out, fields.timestamp, 4);
  put_be(out, fields.ssrc, 4);
  out.insert(out.end(), fields.payload.begin(), fields.payload.end());
  return out;
}

inline Endpoint endpoint(const char* text) { return *parse_endpoint(text); }

inline ByteVector udp_in_ipv4(const Endpoint& from, const Endpoint& to, const ByteVector& data) {
  ByteVector out{0x45, 0};
  put_be(out, static_cast<std::uint32_t>(28 + data.size()), 2);
  put_be(out, 0, 4);  // id, flags, fragment offset
  out.insert(out.end(), {64, 17, 0, 0});
  out.insert(out.end(), from.address.begin(), from.address.begin() + 4);
  out.insert(out.end(), to.address.begin(), to.address.begin() + 4);
  put_be(out, from.port, 2);
  put_be(out, to.port, 2);
  put_be(out, static_cast<std::uint32_t>(8 + data.size()), 2);
  put_be(out, 0, 2);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline ByteVector udp_in_ipv6(const Endpoint& from, const Endpoint& to, const ByteVector& data) {
  ByteVector out{0x60, 0, 0, 0};
  put_be(out, static_cast<std::uint32_t>(8 + data.size()), 2);
  out.insert(out.end(), {17, 64});
  out.insert(out.end(), from.address.begin(), from.address.end());
  out.insert(out.end(), to.address.begin(), to.address.end());
  put_be(out, from.port, 2);
  put_be(out, to.port, 2);
  put_be(out, static_cast<std::uint32_t>(8 + data.size()), 2);
  put_be(out, 0, 2);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// A classic pcap file, little-endian with microsecond times unless told otherwise.
class PcapBuilder {
 public:
  explicit PcapBuilder(std::uint32_t link_type, bool big_endian = false, bool nanoseconds = false)
      : big_endian_(big_endian), nanoseconds_(nanoseconds) {
    put(nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 4);
    put(2, 2);
    put(4, 2);
    put(0, 4);
    put(0, 4);
    put(65535, 4);
    put(link_type, 4);
  }

  PcapBuilder& frame(std::int64_t arrival_us, const ByteVector& bytes) {
    put(static_cast<std::uint32_t>(arrival_us / 1'000'000), 4);
    const auto fraction = static_cast<std::uint32_t>(arrival_us % 1'000'000);
    put(nanoseconds_ ? fraction * 1000 : fraction, 4);
    put(static_cast<std::uint32_t>(bytes.size()), 4);
    put(static_cast<std::uint32_t>(bytes.size()), 4);
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  const ByteVector& bytes() const { return bytes_; }

 private:
  void put(std::uint32_t value, int size) {
    big_endian_ ? put_be(bytes_, value, size) : put_le(bytes_, value, size);
  }
  bool big_endian_;
  bool nanoseconds_;
  ByteVector bytes_;
};

// A packet as read_pcap returns it, for the mix tests; the payload lives in `storage`.
struct PacketFactory {
  std::deque<ByteVector> storage;  // a deque: payload spans stay valid as it grows

  RtpPacket packet(const char* from, const char* to, std::int64_t arrival_ms, RtpFields fields) {
    storage.push_back(fields.payload);
    RtpPacket packet;
    packet.arrival_us = arrival_ms * 1000;
    packet.source = endpoint(from);
    packet.destination = endpoint(to);
    packet.payload_type = fields.payload_type;
    packet.sequence = fields.sequence;
    packet.timestamp = fields.timestamp;
    packet.ssrc = fields.ssrc;
    packet.payload = storage.back();
    return packet;
  }
};

inline std::vector<std::int16_t> channel_of(const StereoAudio& audio, int channel) {
  std::vector<std::int16_t> samples;
  for (std::size_t i = channel; i < audio.interleaved.size(); i += 2) {
    samples.push_back(audio.interleaved[i]);
  }
  return samples;
}

// The dominant frequency of a tone by its zero crossings, over samples [from, to).
inline double zero_crossing_hz(const std::vector<std::int16_t>& samples, std::size_t from,
                               std::size_t to, int sample_rate = 8000) {
  int crossings = 0;
  for (std::size_t i = from + 1; i < to && i < samples.size(); ++i) {
    if ((samples[i - 1] < 0) != (samples[i] < 0)) ++crossings;
  }
  return crossings / 2.0 / (static_cast<double>(to - from) / sample_rate);
}

inline double rms(const std::vector<std::int16_t>& samples, std::size_t from, std::size_t to) {
  double sum = 0;
  for (std::size_t i = from; i < to && i < samples.size(); ++i)
    sum += 1.0 * samples[i] * samples[i];
  return to > from ? std::sqrt(sum / static_cast<double>(to - from)) : 0;
}

inline ByteVector file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return ByteVector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string recording_fixture(const std::string& name) {
  return std::string(CALLSIGHT_TEST_DATA_DIR) + "/recordings/" + name;
}

}  // namespace callsight::media::test_support
