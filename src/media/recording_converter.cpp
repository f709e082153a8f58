#include "media/recording_converter.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "common/crypto.hpp"
#include "core/media/media_error.hpp"
#include "core/media/payload_types.hpp"
#include "core/media/rtpengine_metadata.hpp"
#include "core/media/wav.hpp"
#include "media/child_process.hpp"
#include "media/durable_file.hpp"

namespace callsight::media {

namespace {

std::string read_whole_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MediaError(std::string(what) + ": cannot be opened");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw MediaError(std::string(what) + ": read failed");
  return bytes;
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

struct CallerFacts {
  PayloadMap payload_types = PayloadMap::static_types();
  CallerIdentification caller;
};

// The SDPs rtpengine logged name the payload types and its socket for the caller's media; an
// address given by the caller of this function comes second (call_mix.hpp).
CallerFacts caller_facts(const ConvertRequest& request) {
  CallerFacts facts;
  facts.caller.caller_address = request.caller_address;
  if (!request.metadata) return facts;
  const auto metadata =
      parse_rtpengine_metadata(read_whole_file(*request.metadata, "metadata file"));
  for (const auto& sdp : metadata.sdps) facts.payload_types.apply_sdp(sdp.body);
  facts.caller.caller_facing_endpoint = caller_facing_endpoint(metadata);
  return facts;
}

// In pieces of 64 Ki samples: the whole call is never held twice.
void write_wav(const std::filesystem::path& path, std::span<const std::int16_t> interleaved) {
  constexpr std::size_t kPieceSamples = 1 << 16;
  bool header_written = false;
  std::size_t next = 0;
  write_file_in_pieces(path, [&]() -> std::string {
    if (!header_written) {
      header_written = true;
      return wav_header(interleaved.size(), StereoAudio::kChannels, StereoAudio::kSampleRate);
    }
    const auto count = std::min(kPieceSamples, interleaved.size() - next);
    const auto first = next;
    next += count;
    return wav_sample_bytes(interleaved.subspan(first, count));
  });
}

// A relative path that starts with '-' would be read as an option.
std::string file_argument(const std::filesystem::path& path) {
  const auto text = path.string();
  return text.starts_with('-') ? "./" + text : text;
}

void encode_mp3(const ConvertRequest& request, const std::filesystem::path& wav,
                const std::filesystem::path& mp3) {
  std::vector<std::string> argv{request.lame};
  argv.insert(argv.end(), kLameArguments.begin(), kLameArguments.end());
  argv.push_back(file_argument(wav));
  argv.push_back(file_argument(mp3));
  const auto result = run_child(argv, request.lame_timeout);
  if (!result.started) throw MediaError("lame: could not be started: " + result.error);
  if (result.timed_out) throw MediaError("lame: killed after its timeout");
  if (result.exit_code != 0) {
    // Not its standard error: the message goes to the log (failure_kind).
    throw MediaError("lame: exit status " + std::to_string(result.exit_code));
  }
}

}  // namespace

ConvertedRecording convert_recording(const ConvertRequest& request) {
  const auto pcap_bytes = read_whole_file(request.pcap, "pcap file");
  const auto capture = read_pcap(as_bytes(pcap_bytes));
  const auto facts = caller_facts(request);
  auto call = mix_call(capture.packets, facts.payload_types, facts.caller, request.limits);

  TemporaryFile wav(request.output, "wav");
  write_wav(wav.path(), call.audio.interleaved);
  const auto duration_ms = call.audio.duration_ms();
  call.audio.interleaved = {};  // the WAV holds it now; lame's run need not share the memory

  TemporaryFile mp3(request.output, "mp3");
  encode_mp3(request, wav.path(), mp3.path());
  mp3.commit(request.output);

  const auto mp3_bytes = read_whole_file(request.output, "output file");
  ConvertedRecording converted;
  converted.path = request.output;
  converted.size_bytes = mp3_bytes.size();
  converted.duration_ms = duration_ms;
  converted.sha256_hex = crypto::sha256_hex(mp3_bytes);
  converted.stats = std::move(call.stats);
  converted.capture = capture.counts;
  return converted;
}

}  // namespace callsight::media
