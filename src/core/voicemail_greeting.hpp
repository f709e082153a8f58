#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/base64.hpp"
#include "core/types.hpp"

namespace callsight {

// A voicemail greeting: a customer's own, or a system greeting (no customer, locked) that
// every customer may use and nobody may change.
struct VoicemailGreeting {
  Id id = 0;
  std::optional<Id> customer_id;  // null for system greetings
  std::string name;
  std::string timestamp;        // creation time, wire text
  std::int64_t datalength = 0;  // bytes of recorded audio; 0 until recorded
  bool locked = false;
  std::optional<std::string> sounddata_base64;  // only filled when asked for
  std::vector<Id> used_by;  // sources of the asking customer that use it; filled on read
};

// Reference §2.4: greetings are recorded by dialling this number and entering the PIN.
// One platform-wide number until the recording service is configurable.
inline constexpr std::string_view kGreetingRecordNumber = "+46850000000";

// Our extension: audio uploaded directly (POST sounddata) is at most this long, decoded.
inline constexpr std::size_t kMaxGreetingAudioBytes = std::size_t{2} * 1024 * 1024;

// A one-time PIN for the recording call: 6 decimal digits from the CSPRNG.
std::string new_record_pin();
// The PIN for 64 random bits given as 16 hex digits (the pure half of new_record_pin).
std::string record_pin_from_hex(std::string_view hex);

// WAV ("RIFF....WAVE") or MP3 (an ID3 tag or an MPEG frame sync, 11 set bits).
bool looks_like_audio(std::string_view bytes);

// What looks_like_audio recognised: the decoder a greeting's audio needs.
enum class GreetingAudioFormat { none, wav, mp3 };
GreetingAudioFormat greeting_audio_format(std::string_view bytes);

// The edge plays an uploaded greeting (docs/recordings.md, "Greetings") at most this long:
// callsightd cuts it there. The caller hears it as early media, before the voicemail platform
// answers, so it bounds how long a call waits unanswered (the edge waits 120 s at most).
inline constexpr int kMaxPlayedGreetingSeconds = 60;

// What a greeting's audio is, as far as the edge's copy of it goes: its length and creation
// time (audio is only ever set when a greeting is created). The prompts job renders a greeting
// again when this changes; empty for a greeting without audio (nothing to play).
std::string greeting_audio_marker(const VoicemailGreeting& greeting);

struct AudioError {
  std::string message;
};
// Base64 audio as POSTed: decoded, at most kMaxGreetingAudioBytes, recognisably audio.
std::variant<std::string, AudioError> decode_greeting_audio(std::string_view base64);

}  // namespace callsight
