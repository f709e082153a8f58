// Text out never fails: every resource's JSON writer, the error writer and the webhook
// bodies, fed with rows whose text fields hold arbitrary bytes, as an older version, an
// import or a direct edit of the SQLite file may have left them. The rows are written
// through the store (which takes any bytes), then every GET and PUT route of the partner API
// (all of them, as api::register_partner_api puts them on the router) is answered, and every outbox
// event is rendered as a webhook in both formats. Each answer and body must be valid UTF-8 (bad
// bytes become U+FFFD), and each JSON one must parse. Input: up to kMaxTexts texts separated by
// '\n', used in turn for the rows' text fields. The store lives on tmpfs and is made afresh every
// kInputsPerStore inputs, so lists stay short; in between, inputs add orders, PINs, callbacks and
// calls to it.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "api/context.hpp"
#include "common/utf8.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "core/webhook.hpp"
#include "core/webhook_payload.hpp"
#include "fuzz_target.hpp"
#include "http/error.hpp"
#include "store/blacklist_store.hpp"
#include "store/call_record_store.hpp"
#include "store/callback_store.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/dni_store.hpp"
#include "store/greeting_store.hpp"
#include "store/number_store.hpp"
#include "store/order_store.hpp"
#include "store/partner_store.hpp"
#include "store/pincode_store.hpp"
#include "store/recording_store.hpp"
#include "store/source_store.hpp"
#include "store/store.hpp"
#include "store/user_store.hpp"
#include "store/webhook_store.hpp"
#include "webhooks/webhook_request.hpp"

namespace {

using namespace callsight;

constexpr int kInputsPerStore = 64;
constexpr std::size_t kMaxTexts = 16;
constexpr const char* kStart = "2024-01-15 12:00:00";

std::filesystem::path scratch_directory() {
  const std::filesystem::path shm = "/dev/shm";
  std::string pattern =
      ((std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path()) /
       "callsight-fuzz-XXXXXX")
          .string();
  return ::mkdtemp(pattern.data());
}

// A JSON answer must be valid UTF-8 and parse; a form body must be valid UTF-8.
void check_text(const std::string& body, bool is_json) {
  if (!utf8::is_valid(body)) __builtin_trap();
  if (is_json && !nlohmann::json::accept(body)) __builtin_trap();
}

// The input's texts, handed out in turn (an empty input gives empty texts).
class Texts {
 public:
  explicit Texts(std::string_view input) {
    while (texts_.size() < kMaxTexts) {
      const auto [text, rest] = fuzz::split_line(input);
      texts_.emplace_back(text);
      if (rest.empty()) break;
      input = rest;
    }
  }
  const std::string& next() { return texts_[next_++ % texts_.size()]; }

 private:
  std::vector<std::string> texts_;
  std::size_t next_ = 0;
};

class World {
 public:
  World() : directory_(scratch_directory()), clock_(parse_utc(kStart).value()) {
    spdlog::set_level(spdlog::level::off);
    store_ = open_store((directory_ / "callsight.db").string(), clock_);
    api::register_partner_api(router_);
    seed();
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World() {
    store_.reset();
    std::filesystem::remove_all(directory_);
  }

  void run(std::string_view input) {
    Texts texts(input);
    ++serial_;
    plant(texts);
    answer_every_read_route();
    render_webhooks(texts);
  }

 private:
  void seed() {
    Partner partner;
    partner.name = partner.username = "acme";
    partner.password_hash = partner.digest_ha1_md5 = partner.digest_ha1_sha256 = "x";
    partner.country = "SE";
    partner.timezone = "Europe/Stockholm";
    partner.quarantine_days = 30;
    partner_ = store_->partners().create_partner(partner);

    Customer customer;
    customer.partner_id = partner_.id;
    customer.name = customer.custnr = "K-1";
    customer.uuid = "uuid-K-1";
    customer_ = store_->customers().create_customer(customer);

    User user;
    user.customer_id = customer_.id;
    user.email = "u@example.com";
    user_ = store_->users().create_user(partner_.id, user);

    VoicemailGreeting greeting;
    greeting.customer_id = customer_.id;
    greeting.name = "hello";
    greeting_ = store_->greetings().create_greeting(partner_.id, greeting, std::nullopt);

    Campaign campaign;
    campaign.customer_id = customer_.id;
    campaign.name = "spring";
    campaign.timestamp = clock_.now();
    campaign_ = store_->campaigns().create_campaign(partner_.id, campaign);

    store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
    Source source;
    source.partner_id = partner_.id;
    source.customer_id = customer_.id;
    source.campaign_id = campaign_.id;
    source.name = "web";
    source.answering_number = "+46890510";
    source.lifecycle.activation = clock_.now() - std::chrono::hours(1);
    NumberRequest number;
    number.tracking_number = "+46812345678";
    source_ = store_->sources().create_source(source, number);
    store_->blacklists().replace_blacklist(partner_.id, customer_.id, {"+46701111111"});

    store_->numbers().add_numbers({"+46812345679"}, std::nullopt);
    Source pool_source = source;
    pool_source.campaign_id.reset();
    pool_source.name = "visitors";
    DniPoolSettings pool_settings;
    pool_settings.match_rules = {{.kind = dni::RuleKind::utm_exact, .value = "google"}};
    pool_settings.fallback_number = "+46890000";
    pool_settings.numbers_to_replace = {"+46 8 123 45"};
    pool_settings.allowed_origins = {"https://shop.example"};
    pool_id_ = store_->dni().create_pool(pool_source, pool_settings, {}, 1).source.id;

    Webhook webhook;
    webhook.partner_id = partner_.id;
    webhook.url = "http://example.com/hook";
    webhook.event_types = {std::string(kCallStarted), std::string(kSourceStatusChanged)};
    webhook.secret = "0123456789abcdef";
    webhook_ = store_->webhooks().create_webhook(webhook);
  }

  // Every text field of every kind of row gets one of the input's texts.
  void plant(Texts& texts) {
    customer_.name = texts.next();
    customer_.custnr = texts.next();
    customer_.corporateid = texts.next();
    customer_.email = texts.next();
    customer_.dncs_class_name = texts.next();
    customer_.custom[0] = texts.next();
    customer_ = store_->customers().update_customer(customer_);

    user_.name = texts.next();
    user_.email = texts.next();
    user_ = store_->users().update_user(partner_.id, user_);

    source_.name = texts.next();
    source_.media = texts.next();
    source_.email = texts.next();
    source_ = store_->sources().update_source(source_);

    campaign_.name = texts.next();
    campaign_.pricing_model_id = texts.next();
    campaign_.partner_campaign_id = texts.next();
    campaign_ = store_->campaigns().update_campaign(partner_.id, campaign_);

    greeting_ =
        store_->greetings().rename_greeting(partner_.id, customer_.id, greeting_.id, texts.next());

    webhook_.url = texts.next();
    webhook_.template_text = texts.next();
    webhook_ = store_->webhooks().update_webhook(webhook_);

    store_->dni().change_pool(partner_.id, pool_id_, [&texts](DniPool& pool, ChangeLookups&) {
      pool.source.name = texts.next();
      pool.source.media = texts.next();
      pool.settings.match_rules.at(0).value = texts.next();
      pool.settings.fallback_number = texts.next();
      pool.settings.numbers_to_replace = {texts.next()};
      pool.settings.allowed_origins = {texts.next()};
      return true;
    });

    add_rows(texts);
  }

  // Kinds of rows that are only ever added; a serial keeps their keys unique.
  void add_rows(Texts& texts) {
    const auto serial = std::to_string(serial_);
    Order order;
    order.customer_id = customer_.id;
    order.timestamp = clock_.now();
    order.cli_id = texts.next();
    order.order_id = texts.next() + serial;
    order.order_value = "1";
    order.extras = texts.next();
    store_->orders().create_order(partner_.id, order);

    Pincode pincode;
    pincode.customer_id = customer_.id;
    pincode.phone_number = "+46701234567";
    pincode.custom_lead_id = texts.next();
    pincode.custom_lead_data = texts.next();
    pincode.expires = clock_.now() + std::chrono::hours(24);
    pincode_id_ = store_->pincodes()
                      .create_pincode(partner_.id, pincode, [&serial] { return "9" + serial; })
                      .id;

    Callback callback;
    callback.customer_id = customer_.id;
    callback.agent_number = "+46890510";
    callback.requester_number = "+46701234567";
    callback.caller_id = "+46812345678";
    callback.scheduled = clock_.now();
    callback.custom_dynamic = texts.next();
    store_->callbacks().create_callback(partner_.id, callback);

    CallRecord call;
    call.partner_id = partner_.id;
    call.customer_id = customer_.id;
    call.source_id = source_.id;
    call.campaign_id = campaign_.id;
    call.switch_call_id = "fuzz-" + serial;
    call.caller = texts.next();
    call.tracking_number = source_.tracking_number;
    call.answering_number = source_.answering_number;
    call.hangup_reason = texts.next();
    call.start = clock_.now();
    cdr_id_ = store_->calls().record_call(call).id;

    RecordingFile file;
    file.file_name = texts.next();
    file.sha256 = texts.next();
    file.bytes = 1;
    recording_id_ = store_->recordings()
                        .add_recording(call.switch_call_id, RecordingKind::call, file, clock_.now())
                        .recording.recording_id;
  }

  // Every GET and PUT route, with the seeded ids in its path. GETs are asked three times: as
  // they are, with customer_id (the routes that need a customer get one), and with pool_id
  // and extended=1 besides (the pools' own spelling, the CDRs in their extended form); a
  // route that refuses a parameter it does not know renders its rows in another of them. A
  // PUT gets nothing more: where it has what it needs, it writes the row back as it is and
  // renders it alone.
  void answer_every_read_route() {
    const std::vector<std::pair<std::string, std::string>> ids = {
        {"customer_id", std::to_string(customer_.id)},
        {"source_id", std::to_string(source_.id)},
        {"user_id", std::to_string(user_.id)},
        {"webhook_id", std::to_string(webhook_.id)},
        {"cdr_id", std::to_string(cdr_id_)},
        {"pincode_id", std::to_string(pincode_id_)},
        {"campaign_id", std::to_string(campaign_.id)},
        {"vm_greeting_id", std::to_string(greeting_.id)},
        {"pool_id", std::to_string(pool_id_)},
        {"recording_id", recording_id_}};
    for (const auto& [method, pattern] : router_.routes()) {
      if (method != "GET" && method != "PUT") continue;
      std::string path = pattern;
      for (const auto& [name, id] : ids) {
        const auto placeholder = "{" + name + "}";
        if (const auto at = path.find(placeholder); at != std::string::npos) {
          path.replace(at, placeholder.size(), id);
        }
      }
      answer(method, path);
      if (method != "GET") continue;
      const auto with_customer = path + "?customer_id=" + std::to_string(customer_.id);
      answer(method, with_customer);
      answer(method, with_customer + "&pool_id=" + std::to_string(pool_id_) + "&extended=1");
    }
  }

  void answer(const std::string& method, const std::string& target) {
    http::Request request;
    request.method = method;
    request.target = target;
    const auto match = router_.match(method, request.path());
    if (!match.handler) __builtin_trap();  // the router's own routes must match
    http::Response response;
    try {
      api::Context ctx{request,  http::Params::from_request(request), partner_, *store_, clock_,
                       settings_};
      for (const auto& value : match.path_values)
        ctx.params.add_path_value(value.name, value.value);
      response = match.handler->handle(ctx);
    } catch (const http::HttpError& error) {
      response = http::error_response(error.status, error.errors);
    } catch (const ConflictError& conflict) {
      response = http::error_response(409, {conflict.code(), conflict.field(), conflict.what()});
    } catch (const NotFoundError& missing) {
      response = http::error_response(404, {"not_found", "", missing.what()});
    }
    check_text(response.body, true);
  }

  // The events the rows caused, as every subscription would get them, in both formats and
  // through the partner's template; plus the payload writers on their own.
  void render_webhooks(Texts& texts) {
    const auto events = store_->webhooks().events_after(partner_.id, last_event_id_, 1000);
    if (!events) __builtin_trap();
    for (const auto& event : *events) {
      last_event_id_ = event.id;
      for (const auto format : {WebhookFormat::json, WebhookFormat::form}) {
        auto webhook = webhook_;
        webhook.format = format;
        check_text(webhooks::build_webhook_request(webhook, event, clock_.now()).body,
                   format == WebhookFormat::json && !webhook.template_text);
        webhook.template_text.reset();
        check_text(webhooks::build_webhook_request(webhook, event, clock_.now()).body,
                   format == WebhookFormat::json);
      }
    }
    CallRecord call;
    call.caller = texts.next();
    call.tracking_number = texts.next();
    call.answering_number = texts.next();
    check_text(call_event_payload(call), true);
    check_text(source_event_payload(source_, SourceStatus::active), true);
    check_text(render_webhook_template(texts.next(), call_event_payload(call), WebhookFormat::form),
               false);
  }

  std::filesystem::path directory_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
  api::ApiRouter router_;
  api::ApiSettings settings_;
  Partner partner_;
  Customer customer_;
  User user_;
  VoicemailGreeting greeting_;
  Campaign campaign_;
  Source source_;
  Webhook webhook_;
  Id pincode_id_ = 0;
  Id cdr_id_ = 0;
  Id pool_id_ = 0;
  std::string recording_id_;
  Id last_event_id_ = 0;
  int serial_ = 0;
};

}  // namespace

CALLSIGHT_FUZZ_TARGET(stored_rows) {
  static std::unique_ptr<World> world;
  static int inputs = 0;
  if (!world || ++inputs % kInputsPerStore == 0) {
    world.reset();
    world = std::make_unique<World>();
  }
  world->run(input);
}
