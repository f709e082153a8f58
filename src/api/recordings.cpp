// /recordings (reference §2.15; docs/recordings.md): the audio of recorded calls and voicemail
// messages. The list and the audio in base64 follow Freespee's shape; each recording also
// carries a signed link that streams its MP3 with Range and ETag, for an <audio> element.
#include "api/recordings.hpp"

#include <charconv>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/base64.hpp"
#include "core/recording.hpp"
#include "core/time_format.hpp"
#include "http/byte_range.hpp"
#include "http/error.hpp"
#include "store/recording_store.hpp"

namespace callsight::api {
namespace {

constexpr std::string_view kAudioPath = kRecordingAudioPath;

bool looks_like_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash_place = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (dash_place ? c != '-' : !hex) return false;
  }
  return true;
}

Json seconds_text(std::int64_t milliseconds) { return str((milliseconds + 500) / 1000); }

Json audio_url(const Recording& recording, const ApiSettings& settings, TimePoint now) {
  if (recording.expired()) return Json();
  return recording_audio_link(settings, recording.recording_id, now + settings.audio_link_lifetime);
}

Json render(const Recording& r, const ApiSettings& settings, TimePoint now) {
  Json out = Json::object();
  out["recording_id"] = r.recording_id;
  out["cdr_id"] = str(r.cdr_id);
  out["customer_id"] = str(r.customer_id);
  out["source_id"] = str_or_null(r.source_id);
  out["type"] = std::string(to_string(r.kind));
  out["created"] = format_utc(r.created);
  out["duration"] = seconds_text(r.duration_ms);
  out["duration_ms"] = str(r.duration_ms);
  out["bytes"] = r.expired() ? str(0) : str(r.bytes);
  out["expired"] = r.expired() ? "1" : "0";
  out["expired_at"] = time_or_null(r.expired_at);
  out["audio_url"] = audio_url(r, settings, now);
  return out;
}

std::optional<std::string> recording_id_field(Fields& fields, Presence presence) {
  auto id = fields.text("recording_id", 36, presence);
  if (id && !looks_like_uuid(*id)) {
    fields.add_error("invalid", "recording_id", "'recording_id' must be a recording's UUID");
    id.reset();
  }
  return id;
}

// The audio of an unexpired recording; a file gone missing is the operator's to know about,
// the partner hears 404 as for an expired one.
std::optional<std::string> read_audio(const Context& ctx, const Recording& recording) {
  if (recording.expired() || !ctx.settings.recording_audio) return std::nullopt;
  return ctx.settings.recording_audio->read(recording.file_name);
}

// Read twice at most: the retention job may expire the recording and remove its file between
// the row's read and the file's (CI caught a partner polling for the expiry answered 404); the
// row read again is then expired, and answered as such.
http::Response get_one(Context& ctx, const std::string& recording_id) {
  for (int read = 1;; ++read) {
    const auto recording = ctx.store.recordings().find_recording(ctx.partner.id, recording_id);
    if (!recording) throw_not_found("recording_id", "recording");
    Json out = render(*recording, ctx.settings, ctx.clock.now());
    if (recording->expired()) {
      out["sounddata"] = "";
      return one("recordings", std::move(out));
    }
    if (const auto audio = read_audio(ctx, *recording)) {
      out["sounddata"] = encode_base64(*audio);
      return one("recordings", std::move(out));
    }
    if (read == 2) throw_not_found("recording_id", "recording's audio");
  }
}

http::Response get_recordings(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "recording_id", "page", "pagesize"});
  const auto recording_id = recording_id_field(fields, Presence::optional);
  const auto customer_id = fields.id("customer_id");
  const auto page = read_page(fields);
  if (!recording_id && !customer_id && !fields.has_errors()) {
    fields.add_error("missing", "customer_id", "give 'customer_id' or 'recording_id'");
  }
  fields.throw_if_errors();
  if (recording_id) return get_one(ctx, *recording_id);
  require_own_customer(ctx, *customer_id);
  const auto found = ctx.store.recordings().list_recordings(ctx.partner.id, *customer_id, page);
  Json items = Json::array();
  const auto now = ctx.clock.now();
  for (const auto& recording : found.items) items.push_back(render(recording, ctx.settings, now));
  return list("recordings", std::move(items), found.total, page);
}

http::Response delete_recording(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"recording_id"});
  const auto recording_id = recording_id_field(fields, Presence::required);
  fields.throw_if_errors();
  ReleasedAudio released;
  try {
    released = ctx.store.recordings().delete_recording(ctx.partner.id, *recording_id);
  } catch (const NotFoundError&) {
    throw_not_found("recording_id", "recording");
  }
  if (!released.file_name.empty() && ctx.settings.recording_audio) {
    ctx.settings.recording_audio->remove(released.file_name);
  }
  return one("recordings", Json{{"recording_id", *recording_id}, {"deleted", "1"}});
}

// The MP3, or the part a Range header asks for; 304 when the browser holds this version.
http::Response audio_response(const http::Request& request, const Recording& recording,
                              std::string audio) {
  http::Response response;
  response.content_type = "audio/mpeg";
  const std::string etag = "\"" + recording.sha256 + "\"";
  response.headers = {
      {"ETag", etag}, {"Accept-Ranges", "bytes"}, {"Cache-Control", "private, max-age=3600"}};
  if (request.header("if-none-match") == etag) {
    response.status = 304;
    return response;
  }
  const auto size = static_cast<std::int64_t>(audio.size());
  const auto range = http::parse_byte_range(request.header("range"), size);
  if (!range) {
    response.body = std::move(audio);
    return response;
  }
  if (std::holds_alternative<http::UnsatisfiableRange>(*range)) {
    response.status = 416;
    response.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return response;
  }
  const auto [first, last] = std::get<http::ByteRange>(*range);
  response.status = 206;
  response.headers.emplace_back(
      "Content-Range",
      "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
  response.body =
      audio.substr(static_cast<std::size_t>(first), static_cast<std::size_t>(last - first + 1));
  return response;
}

std::optional<std::int64_t> unix_seconds(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Every refusal looks the same, so a link tells nothing about recordings it does not name.
http::Response link_refused() {
  return http::error_response(
      403, {"forbidden", "signature", "this link is not valid, or no longer: ask for a new one"});
}

http::Response serve_audio_link(const http::Request& request, std::string_view recording_id,
                                Store& store, const Clock& clock, const ApiSettings& settings) {
  if (request.method != "GET" && request.method != "HEAD") {
    return http::error_response(405, {"method_not_allowed", "", "use GET"});
  }
  http::Params params;
  try {
    params = http::Params::from_request(request);
  } catch (const http::HttpError&) {
    return link_refused();
  }
  const auto expires = unix_seconds(params.get("expires").value_or(""));
  const auto signature = params.get("signature").value_or("");
  if (!looks_like_uuid(recording_id) || !expires ||
      !recording_link_valid(settings.recording_link_secret, recording_id, *expires, signature,
                            clock.now())) {
    return link_refused();
  }
  const auto recording = store.recordings().find_recording_for_link(recording_id);
  std::optional<std::string> audio;
  if (recording && !recording->expired() && settings.recording_audio) {
    audio = settings.recording_audio->read(recording->file_name);
  }
  if (!audio) {
    return http::error_response(404, {"not_found", "recording_id", "no such recording"});
  }
  auto response = audio_response(request, *recording, std::move(*audio));
  if (request.method == "HEAD") response.body.clear();
  return response;
}

}  // namespace

std::string recording_audio_link(const ApiSettings& settings, std::string_view recording_id,
                                 TimePoint expires) {
  return callsight::recording_audio_link(settings.public_url, settings.recording_link_secret,
                                         recording_id, expires.time_since_epoch().count());
}

std::optional<http::Response> handle_recording_audio(const http::Request& request, Store& store,
                                                     const Clock& clock,
                                                     const ApiSettings& settings) {
  const auto path = request.path();
  if (!path.starts_with(kAudioPath)) return std::nullopt;
  auto response = serve_audio_link(request, path.substr(kAudioPath.size()), store, clock, settings);
  response.route.assign(kAudioPath).append("{recording_id}");
  return response;
}

void register_recordings(ApiRouter& router) {
  router.add("GET", "/recordings", get_recordings);
  router.add("DELETE", "/recordings", delete_recording);
}

}  // namespace callsight::api
