#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/worker_pool.hpp"
#include "core/clock.hpp"
#include "core/recording.hpp"
#include "core/types.hpp"
#include "http/deferred_response.hpp"
#include "http/params.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace callsight::api {

// Deployment-wide settings the resources follow.
struct ApiSettings {
  // A source created with reserve_number=1 keeps its number this long unless activated.
  std::chrono::seconds reservation_time = std::chrono::hours(24);
  // Webhook targets on loopback or private addresses are refused unless the operator
  // allows them (--webhooks-allow-private; the tests do).
  bool allow_private_webhooks = false;
  // Recordings' audio; none when callsightd has no recordings directory (then recordings
  // list, and their audio is not found).
  std::shared_ptr<RecordingAudio> recording_audio;
  // Signs the links to recordings' audio; every node shares it (Store::shared_secret).
  std::string recording_link_secret;
  // How long a link in a GET /recordings answer works.
  std::chrono::seconds audio_link_lifetime = std::chrono::hours(1);
  // The API's address as partners reach it (e.g. https://api.example.com), before links'
  // paths; empty: links are paths.
  std::string public_url;
  // Where requests that wait for a write's commit run, so that the io threads never sleep
  // (null: on the io thread, as under PostgreSQL, whose reads wait too).
  WorkerPool* waiting_requests = nullptr;
};

// Everything a resource handler may use for one authenticated request.
struct Context {
  const http::Request& request;
  http::Params params;
  const Partner& partner;
  Store& store;
  const Clock& clock;
  const ApiSettings& settings;
};

// A resource's handler, and whether it answers later by itself (LaterAnswer): a write it
// makes then never waits on the thread it runs on.
struct ResourceHandler {
  template <class Handle>
  requires std::is_invocable_r_v<http::Response, Handle&, Context&> ResourceHandler(
      Handle handle, bool answers_later = false)  // implicit: a function is one
      : handle(std::move(handle)), answers_later(answers_later) {}

  std::function<http::Response(Context&)> handle;
  bool answers_later;
};
using ApiRouter = http::Router<ResourceHandler>;

// True when `handler` may sleep on its thread for a write's commit (ApiSettings's
// waiting_requests): it writes (any method but GET and HEAD) and does not answer later.
bool waits_for_commit(std::string_view method, const ResourceHandler& handler);

// Runs a handler and renders what it throws as the API's error body: an HttpError with its
// status, a ConflictError as 409, a NotFoundError as 404, an UnavailableError as 503.
http::Response render_errors(const std::function<http::Response()>& handler);

// The answer of the request being handled, given later from any thread, once a write shared
// with other requests is durable (http::defer_response): the handler returns meanwhile, and
// its thread serves other requests instead of sleeping for the disk. Empty outside a server
// (a test calling the handler): answer by returning.
class LaterAnswer {
 public:
  LaterAnswer() : respond_(http::defer_response()) {}
  explicit operator bool() const { return static_cast<bool>(respond_); }
  // Sends what `render` makes; what it throws is rendered as render_errors renders it, and
  // anything else as the server answers what escapes a handler (500, logged).
  void operator()(const std::function<http::Response()>& render) const noexcept;

 private:
  http::Respond respond_;
};

// Runs `handler` on `workers` and answers from there (LaterAnswer), so that this io thread
// goes on with other connections while the handler waits for its write's durable commit;
// here when there is no pool or no server to answer later. Whatever the handler refers to
// must outlive the pool's jobs (WorkerPool::stop).
http::Response answer_from_worker(WorkerPool* workers, std::function<http::Response()> handler);

// Names the route (and the partner, when known) of an answer given later, for the metrics and
// the access log, as the API names the answers it returns. `route` is read when the answer is
// deferred, so it may be set after the hook is made.
class NameLaterAnswer final : public http::DeferralHook {
 public:
  NameLaterAnswer(const std::string_view& route, std::optional<Id> partner_id)
      : route_(route), partner_id_(partner_id) {}
  http::Respond wrap(http::Respond send) override;

 private:
  const std::string_view& route_;
  std::optional<Id> partner_id_;
};

// 404 (field customer_id) unless the customer exists and is the partner's.
Customer require_own_customer(const Context& ctx, Id customer_id);

// Each resource file registers its routes through one of these.
void register_ping(ApiRouter& router);
void register_customers(ApiRouter& router);
void register_users(ApiRouter& router);
void register_sources(ApiRouter& router);
void register_pools(ApiRouter& router);
void register_pool_health(ApiRouter& router);
void register_visitors(ApiRouter& router);
void register_callers(ApiRouter& router);
void register_numbers(ApiRouter& router);
void register_campaigns(ApiRouter& router);
void register_voicemail_greetings(ApiRouter& router);
void register_blacklist(ApiRouter& router);
void register_orders(ApiRouter& router);
void register_callbacks(ApiRouter& router);
void register_pincodes(ApiRouter& router);
void register_statistics_cdrs(ApiRouter& router);
void register_webhooks(ApiRouter& router);
void register_recordings(ApiRouter& router);

}  // namespace callsight::api
