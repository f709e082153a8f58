// The call router behind the switch API, on a real SQLite store seeded with a partner, a
// customer, sources (one with alt_numbers rules and a campaign, one expired), a blacklist
// and a due callback.
// Input: one request per line, as the switch endpoint receives them:
//   route {"call_id":..,"caller":..,"dialled":..}
//   event {"call_id":..,"event":..,"at":..}
//   claim {"limit":..}
//   clock <seconds to advance>
// The store lives on tmpfs (every write is fsynced) and is made afresh every kInputsPerStore
// inputs, so it stays small; within that span inputs share it, as calls on one server do.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <charconv>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>

#include "common/metrics.hpp"
#include "core/alt_number_rules.hpp"
#include "core/callback.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "fuzz_target.hpp"
#include "store/blacklist_store.hpp"
#include "store/callback_store.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/number_store.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"
#include "store/store.hpp"
#include "switch/call_router.hpp"
#include "switch/switch_wire.hpp"

namespace {

using namespace callsight;
using namespace callsight::switching;

constexpr int kInputsPerStore = 2000;
constexpr int kMaxLines = 16;                          // keeps each input fast
constexpr const char* kStart = "2024-01-15 12:00:00";  // Monday, 13:00 in Stockholm

std::filesystem::path scratch_directory() {
  const std::filesystem::path shm = "/dev/shm";
  std::string pattern =
      ((std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path()) /
       "callsight-fuzz-XXXXXX")
          .string();
  return ::mkdtemp(pattern.data());
}

std::vector<AltNumberRule> alt_rules() {
  const auto parsed = parse_alt_number_rules(
      R"([{"phonenr":"08-123 456","weekdays":"mon,tue,wed,thu,fri","from_time":"08:00","to_time":"17:00"},
          {"phonenr":"voicemail","weekdays":"sat,sun","from_time":"00:00","to_time":"24:00"},
          {"phonenr":"+46701234500","weekdays":"mon","from_time":"17:00","to_time":"24:00"}])",
      "SE");
  return std::get<std::vector<AltNumberRule>>(parsed);
}

class World {
 public:
  World() : directory_(scratch_directory()), clock_(parse_utc(kStart).value()) {
    spdlog::set_level(spdlog::level::off);  // a line per routed call would drown the fuzzer
    store_ = open_store((directory_ / "callsight.db").string(), clock_);
    seed();
    router_ = std::make_unique<CallRouter>(*store_, clock_, metrics_);
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World() {
    router_.reset();
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  void run(std::string_view input) {
    clock_.set(parse_utc(kStart).value());
    for (int line = 0; line < kMaxLines && !input.empty(); ++line) {
      const auto [request, rest] = fuzz::split_line(input);
      input = rest;
      const auto space = request.find(' ');
      const auto verb = request.substr(0, space);
      const auto body =
          space == std::string_view::npos ? std::string_view{} : request.substr(space + 1);
      if (verb == "route") {
        route(body);
      } else if (verb == "event") {
        event(body);
      } else if (verb == "claim") {
        claim(body);
      } else if (verb == "clock") {
        advance(body);
      }
    }
  }

 private:
  void seed() {
    Partner partner;
    partner.name = partner.username = "acme";
    partner.password_hash = partner.digest_ha1_md5 = partner.digest_ha1_sha256 = "x";
    partner.country = "SE";
    partner.timezone = "Europe/Stockholm";
    partner.quarantine_days = 30;
    const auto partner_id = store_->partners().create_partner(partner).id;
    Customer customer;
    customer.partner_id = partner_id;
    customer.name = customer.custnr = "K-1";
    customer.uuid = "uuid-K-1";
    customer.freespee_caller_id = 1;
    const auto customer_id = store_->customers().create_customer(customer).id;
    store_->numbers().add_numbers({"+46812345678", "+46812345679", "+46812345670"}, std::nullopt);

    Campaign campaign;
    campaign.customer_id = customer_id;
    campaign.name = "spring";
    campaign.timestamp = clock_.now();
    campaign.call_recording = 1;
    campaign.vm_divert_busy = 1;
    const auto campaign_id = store_->campaigns().create_campaign(partner_id, campaign).id;

    add_source(partner_id, customer_id, "+46812345678", alt_rules(), campaign_id, {});
    add_source(partner_id, customer_id, "+46812345679", {}, std::nullopt, {});
    add_source(partner_id, customer_id, "+46812345670", {}, std::nullopt,
               clock_.now() - std::chrono::hours(24));
    store_->blacklists().replace_blacklist(partner_id, customer_id, {"+46701111111"});
    auto callback = new_callback(customer_id, "+46890510", "+46701234567", clock_.now());
    callback.caller_id = "+46812345678";
    store_->callbacks().create_callback(partner_id, callback);
  }

  void add_source(Id partner_id, Id customer_id, const std::string& tracking_number,
                  std::vector<AltNumberRule> rules, std::optional<Id> campaign_id,
                  std::optional<TimePoint> expired) {
    Source source;
    source.partner_id = partner_id;
    source.customer_id = customer_id;
    source.campaign_id = campaign_id;
    source.name = "web";
    source.media = "google";
    source.answering_number = "+46890510";
    source.alt_numbers = std::move(rules);
    source.lifecycle.activation = clock_.now() - std::chrono::hours(48);
    if (expired) source.lifecycle.expire = source.lifecycle.expires_at = *expired;
    NumberRequest request;
    request.tracking_number = tracking_number;
    store_->sources().create_source(source, request);
  }

  void route(std::string_view body) {
    const auto parsed = parse_route_request(body);
    if (const auto* request = std::get_if<RouteRequest>(&parsed)) {
      render_decision(router_->route(*request));
    }
  }

  void event(std::string_view body) {
    const auto parsed = parse_event_request(body);
    const auto* request = std::get_if<EventRequest>(&parsed);
    if (!request) return;
    try {
      render_event_result(router_->report(request->switch_call_id, request->event));
    } catch (const NotFoundError&) {
    }
  }

  void claim(std::string_view body) {
    const auto parsed = parse_claim_request(body);
    if (const auto* limit = std::get_if<int>(&parsed)) {
      render_callback_dials(router_->claim_callbacks(*limit));
    }
  }

  // Up to a year ahead, so rules, expiry and callback schedules come into play.
  void advance(std::string_view seconds_text) {
    long long seconds = 0;
    const auto* end = seconds_text.data() + seconds_text.size();
    if (std::from_chars(seconds_text.data(), end, seconds).ec != std::errc()) return;
    if (seconds < 0 || seconds > 366LL * 24 * 3600) return;
    clock_.advance(std::chrono::seconds(seconds));
  }

  std::filesystem::path directory_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CallRouter> router_;
};

}  // namespace

CALLSIGHT_FUZZ_TARGET(call_router) {
  static std::unique_ptr<World> world;
  static int inputs = 0;
  if (!world || ++inputs % kInputsPerStore == 0) {
    world.reset();
    world = std::make_unique<World>();
  }
  world->run(input);
}
