#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace callsight::media {

enum class PayloadKind : std::uint8_t {
  pcmu,         // G.711 µ-law
  pcma,         // G.711 A-law
  auxiliary,    // not audio of its own: telephone-event (DTMF), comfort noise
  other_audio,  // audio this program does not decode (G.729, Opus, ...)
};

// What each RTP payload type (0-127) carries in one call.
class PayloadMap {
 public:
  // The static types of RFC 3551 (0 PCMU, 8 PCMA, 13 CN); other static numbers are audio that is
  // not decoded. Dynamic types (96-127) count as auxiliary: without the SDP the usual one is
  // telephone-event, and guessing a codec would turn noise into the recording.
  static PayloadMap static_types();

  PayloadKind kind(std::uint8_t payload_type) const { return kinds_[payload_type & 0x7f]; }
  void set(std::uint8_t payload_type, PayloadKind kind) { kinds_[payload_type & 0x7f] = kind; }

  // Applies every "a=rtpmap:<type> <name>/<rate>" line of an SDP body: PCMU/8000 and PCMA/8000
  // are decoded, telephone-event and CN are auxiliary, any other name is audio not decoded.
  void apply_sdp(std::string_view sdp);

 private:
  std::array<PayloadKind, 128> kinds_{};
};

}  // namespace callsight::media
