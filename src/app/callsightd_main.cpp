// callsightd: the Callsight server.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/api.hpp"
#include "app/demo.hpp"
#include "app/job_rows.hpp"
#include "app/listen_address.hpp"
#include "app/mail_flags.hpp"
#include "app/observability.hpp"
#include "app/sweeper.hpp"
#include "common/cpu_slots.hpp"
#include "common/worker_pool.hpp"
#include "core/cidr.hpp"
#include "core/clock.hpp"
#include "http/server.hpp"
#include "mail/mail_dispatcher.hpp"
#include "media/greeting_prompts.hpp"
#include "media/recording_directory.hpp"
#include "media/recording_pickup.hpp"
#include "media/whisper_prompts.hpp"
#include "store/store.hpp"
#include "switch/call_router.hpp"
#include "switch/call_sweep.hpp"
#include "switch/switch_api.hpp"
#include "webhooks/webhook_dispatcher.hpp"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

callsight::http::ServerOptions server_options(const std::string& listen,
                                              callsight::http::ServerOptions options) {
  const auto address = callsight::app::parse_listen_address(listen);
  options.host = address.host;
  options.port = address.port;
  return options;
}

// Limits each listener applies to its connections, and the partner API's abuse limits.
// Where recordings come from and go (docs/recordings.md).
struct RecordingFlags {
  std::string directory;
  std::string spool;
  std::string public_url;
  std::string prompts_dir;
  int expiry_seconds = 60;
  int link_seconds = 3600;
  int voicemail_link_days = 7;

  void add_to(CLI::App& cli) {
    cli.add_option("--recordings-dir", directory,
                   "where call recordings (MP3) are kept; nodes share it (docs/recordings.md)");
    cli.add_option("--recordings-spool", spool,
                   "rtpengine's recording directory (scripts/rtpengine-run): the calls it "
                   "finished recording are picked up from there; needs --recordings-dir");
    cli.add_option("--prompts-dir", prompts_dir,
                   "the edge's prompts directory (kamailio-run --prompts-dir, as this node "
                   "reaches it): the whisper of each source of a customer with whisper=1 is "
                   "rendered there with espeak-ng, and each uploaded voicemail greeting a "
                   "number uses is written there as greeting-<id>.wav (docs/recordings.md)");
    cli.add_option("--public-url", public_url,
                   "the partner API's address as partners reach it, e.g. "
                   "https://api.example.com: links to recordings' audio start with it");
    cli.add_option("--recordings-expiry-seconds", expiry_seconds,
                   "seconds between checks for recordings past their partner's retention")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    cli.add_option("--recording-link-seconds", link_seconds,
                   "how long a link to a recording's audio in a GET /recordings answer works")
        ->check(CLI::Range(1, 7 * 86400))
        ->capture_default_str();
    cli.add_option("--voicemail-link-days", voicemail_link_days,
                   "how long the link to the message in a new-voicemail mail works")
        ->check(CLI::Range(1, 90))
        ->capture_default_str();
  }
};

struct LimitFlags {
  callsight::http::ServerOptions connections;
  callsight::api::AccessLimits access;
  int read_timeout_seconds = static_cast<int>(connections.read_timeout.count());
  int idle_timeout_seconds = static_cast<int>(connections.idle_timeout.count());
  int login_failure_window_seconds = static_cast<int>(access.login_failure_window.count());
  int digest_nonce_seconds = static_cast<int>(access.digest_nonce_lifetime.count());

  void add_to(CLI::App& cli) {
    cli.add_option("--max-header-bytes", connections.header_limit,
                   "largest request line plus headers a client may send; more gets 431")
        ->capture_default_str()
        ->check(CLI::Range(1024, 1024 * 1024));
    cli.add_option("--max-body-bytes", connections.body_limit,
                   "largest request body a client may send; more gets 413")
        ->capture_default_str()
        ->check(CLI::Range(1024, 1024 * 1024 * 1024));
    cli.add_option("--read-timeout-seconds", read_timeout_seconds,
                   "time a request has to arrive whole, counted from the connection (TLS "
                   "handshake included) or, on a kept-alive one, from its first byte; slower "
                   "clients are disconnected")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    cli.add_option("--idle-timeout-seconds", idle_timeout_seconds,
                   "time a kept-alive connection may wait for its next request")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    cli.add_option("--max-connections", connections.max_connections,
                   "open connections per listener; more are closed at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    cli.add_option("--rate-limit", access.rate_per_second,
                   "partner API requests per second each partner may make on this node, after "
                   "authentication; more get 429 with Retry-After; 0 = no limit")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e6));
    cli.add_option("--rate-limit-burst", access.rate_burst,
                   "requests a partner may make at once before --rate-limit applies")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e7));
    cli.add_option("--dni-ip-limit", access.dni_requests_per_ip_minute,
                   "dynamic-number requests (browser script, JSONP, AMP, heartbeats) one client "
                   "address (IPv6: one /64) may make per minute, and at once; more get 429 "
                   "\"Blocked IP\"; 0 = no limit")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e7));
    cli.add_option("--login-failure-limit", access.login_failures,
                   "wrong passwords (or unknown users) from one client address (IPv6: one /64) "
                   "within --login-failure-window-seconds after which it gets 429 until the "
                   "window ends, even with the right password; 0 = no throttle")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    cli.add_option("--login-failure-window-seconds", login_failure_window_seconds,
                   "window in which --login-failure-limit counts")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    cli.add_option("--digest-nonce-seconds", digest_nonce_seconds,
                   "how long a Digest nonce is accepted before clients are asked to renew it "
                   "(stale=true); give every node the same")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
  }

  // After parsing: the seconds flags into their durations.
  void apply() {
    connections.read_timeout = std::chrono::seconds(read_timeout_seconds);
    connections.idle_timeout = std::chrono::seconds(idle_timeout_seconds);
    access.login_failure_window = std::chrono::seconds(login_failure_window_seconds);
    access.digest_nonce_lifetime = std::chrono::seconds(digest_nonce_seconds);
  }
};

// The switch listener serves on its own threads until the partner listener stops.
class SwitchListener {
 public:
  SwitchListener(const callsight::http::ServerOptions& options, callsight::http::Handler handler)
      : server_(options, std::move(handler)), thread_([this] { server_.run(); }) {}
  ~SwitchListener() {
    server_.stop();
    thread_.join();
  }
  std::string address() const { return server_.address(); }

 private:
  callsight::http::Server server_;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace callsight;
  CLI::App cli{"callsightd - Callsight call-tracking server (Freespee-compatible partner API)"};
  std::string listen = env_or("CALLSIGHT_LISTEN", "127.0.0.1:8080");
  std::string db = env_or("CALLSIGHT_DB", "./callsight.db");
  bool demo = false;
  int threads = 0;
  int waiting_threads = 0;
  std::string cpu_slots = "auto";
  int reservation_hours = 24;
  int sweep_seconds = 60;
  int outbox_retention_days = 30;
  int max_call_seconds = 4 * 3600;
  std::string switch_listen = env_or("CALLSIGHT_SWITCH_LISTEN", "127.0.0.1:8081");
  // From the environment only: a secret on the command line shows in ps.
  std::string switch_secret = env_or("CALLSIGHT_SWITCH_SECRET", "");
  cli.add_option("--listen", listen, "partner API address HOST:PORT (env CALLSIGHT_LISTEN)")
      ->capture_default_str();
  cli.add_option("--db", db,
                 "database: an SQLite file path, or postgresql://USER:PASS@HOST:PORT/DB for "
                 "several nodes on one PostgreSQL (env CALLSIGHT_DB)")
      ->capture_default_str();
  StoreOptions store_options;
  cli.add_option("--db-pool", store_options.pool_size,
                 "database connections this node keeps: the PostgreSQL pool, or SQLite's readers "
                 "beside its one writer")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cli.add_option("--switch-listen", switch_listen,
                 "switch API address HOST:PORT for the SIP edge, or 'off' (env "
                 "CALLSIGHT_SWITCH_LISTEN); the shared secret comes from env "
                 "CALLSIGHT_SWITCH_SECRET, and without one the switch API stays off")
      ->capture_default_str();
  cli.add_option("--threads", threads,
                 "io threads of each listener; 0 = one per core on SQLite (requests that wait "
                 "for a write's commit go to --waiting-threads), else 4 per core, at least 8 "
                 "(handlers wait on the database)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cli.add_option("--waiting-threads", waiting_threads,
                 "threads for the partner and switch API requests that wait for a write's "
                 "commit, on SQLite; 0 = 4 per core, at least 8")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cli.add_option("--cpu-slots", cpu_slots,
                 "requests whose work runs at once, across both listeners: off (every io "
                 "thread), auto (one per core this process may run on) or a number; the others "
                 "wait their turn in order, and a request waiting on the database gives its "
                 "slot back. Keeps tail latency near the median under load: bench/README.md")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "auto"}) | CLI::Range(1, 4096));
  LimitFlags limits;
  limits.add_to(cli);
  std::string tls_cert;
  std::string tls_key;
  auto* tls_cert_option =
      cli.add_option("--tls-cert", tls_cert,
                     "PEM certificate chain (server certificate first): the partner API then "
                     "speaks HTTPS only, TLS 1.2 or later; needs --tls-key")
          ->check(CLI::ExistingFile);
  cli.add_option("--tls-key", tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile)
      ->needs(tls_cert_option);
  tls_cert_option->needs("--tls-key");
  std::vector<std::string> trusted_proxies;
  cli.add_option("--trusted-proxies", trusted_proxies,
                 "CIDR[,CIDR...] of proxies (nginx) whose X-Forwarded-For names the client: "
                 "the IP allow-lists and the login throttle then see the client, not the proxy")
      ->delimiter(',')
      ->check(CLI::Validator(
          [](const std::string& cidr) {
            return callsight::is_valid_cidr(cidr) ? std::string()
                                                  : "'" + cidr + "' is not an IP address or CIDR";
          },
          "CIDR"));
  cli.add_option("--reservation-hours", reservation_hours,
                 "how long a reserved number is held unless its source is activated")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 365));
  cli.add_option("--sweep-seconds", sweep_seconds,
                 "how often expired reservations and quarantines release their numbers")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cli.add_option("--max-call-seconds", max_call_seconds,
                 "a call whose end the switch never reports is closed with status unknown this "
                 "long after its start (checked every --sweep-seconds); longer than any call")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 86400));
  cli.add_option("--outbox-retention-days", outbox_retention_days,
                 "webhook events (with their deliveries) and mails are deleted this many days "
                 "after they were made, once delivered or dead (GET /events replays what is "
                 "kept); 0 keeps them")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
  webhooks::WebhookDispatcherOptions webhook_options;
  cli.add_flag("--webhooks-allow-private", webhook_options.allow_private,
               "allow webhook URLs on loopback, private and link-local addresses (receivers on "
               "an internal network; give every node the same setting)");
  cli.add_option("--webhook-ca-file", webhook_options.ca_file,
                 "PEM file of CA certificates that https webhook receivers may chain to, "
                 "besides the system's (receivers with an internal CA)")
      ->check(CLI::ExistingFile);
  cli.add_option("--webhook-workers", webhook_options.workers,
                 "webhook deliveries this node sends at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  int webhook_timeout_ms = static_cast<int>(webhook_options.timeout.count());
  cli.add_option("--webhook-timeout-ms", webhook_timeout_ms,
                 "time a webhook receiver has to connect and answer before the attempt fails")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  int webhook_retry_base = static_cast<int>(webhook_options.first_retry_delay.count());
  cli.add_option("--webhook-retry-base-seconds", webhook_retry_base,
                 "delay before a failed webhook delivery's first retry; it doubles per attempt "
                 "up to an hour, for 7 days")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app::MailFlags mail_flags;
  app::add_mail_flags(cli, mail_flags);
  RecordingFlags recording_flags;
  recording_flags.add_to(cli);
  cli.add_flag("--demo", demo,
               "create a demo partner (demo/demo, from 127.0.0.1 and ::1) and 100 Swedish "
               "tracking numbers when absent, and print a curl walk-through");
  app::ObservabilityOptions observability_options;
  app::add_observability_flags(cli, observability_options);
  CLI11_PARSE(cli, argc, argv);
  limits.apply();
  limits.connections.threads = threads;
  // Logs go to stderr so stdout carries only what was asked for (the --demo walk-through).
  spdlog::set_default_logger(spdlog::stderr_color_mt("callsightd"));

  try {
    // Checked before anything starts, so a wrong setting stops callsightd at once.
    const auto mail_options = app::mail_dispatcher_options(mail_flags);
    SystemClock clock;
    auto store = open_store(db, clock, store_options);
    spdlog::info("database: {}", store->description());
    app::Observability observability(*store, observability_options, clock.now());
    std::optional<CpuSlots> request_slots;
    if (cpu_slots != "off") {
      request_slots.emplace(cpu_slots == "auto" ? 0 : std::stoul(cpu_slots));
      observability.watch_cpu_slots(*request_slots);
      limits.connections.cpu_slots = &*request_slots;
      spdlog::info("request work runs in {} CPU slot(s) (--cpu-slots)", request_slots->size());
    }
    api::ApiSettings settings;
    // Requests that wait on the disk run on threads of their own, so that the io threads
    // can be one per core (common/worker_pool.hpp). On PostgreSQL every read waits on the
    // server too: there the io threads stay many, and wait themselves.
    std::optional<WorkerPool> waiting_requests;
    if (!store->reads_wait()) {
      waiting_requests.emplace(waiting_threads > 0
                                   ? static_cast<std::size_t>(waiting_threads)
                                   : std::max<std::size_t>(8, 4 * CpuSlots::usable_cores()),
                               request_slots ? &*request_slots : nullptr);
      settings.waiting_requests = &*waiting_requests;
      observability.watch_worker_pool(*waiting_requests);
    }
    settings.reservation_time = std::chrono::hours(reservation_hours);
    settings.allow_private_webhooks = webhook_options.allow_private;
    std::shared_ptr<media::RecordingDirectory> recording_directory;
    if (!recording_flags.directory.empty()) {
      recording_directory = std::make_shared<media::RecordingDirectory>(recording_flags.directory);
      settings.recording_audio = recording_directory;
      spdlog::info("recordings kept in {}", recording_directory->root().string());
    }
    settings.recording_link_secret = store->shared_secret("recording_links");
    settings.public_url = recording_flags.public_url;
    settings.audio_link_lifetime = std::chrono::seconds(recording_flags.link_seconds);
    auto partner_options = server_options(listen, limits.connections);
    if (waiting_requests) {
      if (threads == 0) partner_options.threads = static_cast<int>(CpuSlots::usable_cores());
      spdlog::info(
          "partner API: {} io thread(s), {} for requests that wait for a write "
          "(--threads, --waiting-threads)",
          partner_options.threads, waiting_requests->size());
    }
    partner_options.tls_cert_file = tls_cert;
    partner_options.tls_key_file = tls_key;
    partner_options.trusted_proxies = trusted_proxies;
    // Before the partner API, which tells it of changes to routes.
    switching::CallRouter call_router(*store, clock, observability.metrics(),
                                      switching::CallRouter::kEdgeRoutesRefresh);
    http::Server server(
        partner_options,
        observability.serve(
            switching::noting_routing_changes(
                api::make_partner_api(*store, clock, settings, limits.access), call_router),
            "partner"));
    if (demo && switch_secret.empty()) switch_secret = "demo";
    switching::EdgeMetrics edge_metrics(observability.metrics(), clock);
    std::optional<SwitchListener> switch_listener;
    if (switch_listen == "off") {
      spdlog::info("switch API off (--switch-listen off)");
    } else if (switch_secret.empty()) {
      spdlog::warn("switch API off: set CALLSIGHT_SWITCH_SECRET to serve the SIP edge");
    } else {
      auto switch_options = server_options(switch_listen, limits.connections);
      // As the partner API's: its events wait for their commits on the waiting threads.
      if (waiting_requests && threads == 0) switch_options.threads = partner_options.threads;
      switch_listener.emplace(switch_options,
                              observability.serve(switching::make_switch_handler(
                                                      call_router, edge_metrics, switch_secret,
                                                      settings.waiting_requests),
                                                  "switch"));
      spdlog::info("switch API listening on http://{}, {} io thread(s)", switch_listener->address(),
                   switch_options.threads > 0 ? std::to_string(switch_options.threads)
                                              : std::string("4 per core, at least 8"));
    }
    app::JobRowFailures row_failures(observability.metrics());
    switching::CallSweep call_sweep(call_router, *store, clock,
                                    std::chrono::seconds(max_call_seconds), observability.metrics(),
                                    row_failures.handler("call_sweep", "cdr"));
    app::Sweeper sweeper(*store, clock, call_sweep, std::chrono::seconds(sweep_seconds),
                         {.source = row_failures.handler("sweep", "source"),
                          .visits = row_failures.handler("dni_retention", "partner"),
                          .event = row_failures.handler("outbox_retention", "event"),
                          .mail = row_failures.handler("outbox_retention", "mail")},
                         std::chrono::days(outbox_retention_days));
    webhook_options.timeout = std::chrono::milliseconds(webhook_timeout_ms);
    webhook_options.first_retry_delay = std::chrono::seconds(webhook_retry_base);
    // Declared after the store, so it stops (joining its senders) before the store closes.
    webhooks::WebhookDispatcher webhook_dispatcher(store->webhooks(), clock, webhook_options,
                                                   observability.metrics(),
                                                   row_failures.handler("webhooks", "delivery"));
    spdlog::info("{}", app::describe_mail(mail_options));
    std::optional<mail::MailDispatcher> mail_dispatcher;
    if (mail_options) {
      mail_dispatcher.emplace(store->mail(), clock, *mail_options, observability.metrics(),
                              row_failures.handler("mail", "mail"));
    }
    std::optional<media::RecordingPickup> recording_pickup;
    if (!recording_flags.spool.empty()) {
      if (!recording_directory)
        throw std::invalid_argument("--recordings-spool needs --recordings-dir");
      media::PickupOptions pickup_options{
          .spool = recording_flags.spool,
          .expiry_interval = std::chrono::seconds(recording_flags.expiry_seconds),
          .public_url = settings.public_url,
          .link_secret = settings.recording_link_secret,
          .voicemail_link_lifetime = std::chrono::days(recording_flags.voicemail_link_days)};
      recording_pickup.emplace(*store, clock, *recording_directory, pickup_options,
                               observability.metrics(),
                               row_failures.handler("recording_expiry", "recording"));
      recording_pickup->start();
      spdlog::info("recordings picked up from {}", recording_flags.spool);
    }
    std::optional<media::WhisperPrompts> whisper_prompts;
    if (!recording_flags.prompts_dir.empty()) {
      whisper_prompts.emplace(*store,
                              media::WhisperOptions{.directory = recording_flags.prompts_dir},
                              observability.metrics());
      whisper_prompts->start();
      spdlog::info("whisper prompts rendered into {}", recording_flags.prompts_dir);
    }
    std::optional<media::GreetingPrompts> greeting_prompts;
    if (!recording_flags.prompts_dir.empty()) {
      greeting_prompts.emplace(*store,
                               media::GreetingOptions{.directory = recording_flags.prompts_dir},
                               observability.metrics());
      greeting_prompts->start();
      spdlog::info("voicemail greetings written into {}", recording_flags.prompts_dir);
    }
    server.catch_signals();
    spdlog::info("callsightd listening on {}://{}", server.tls() ? "https" : "http",
                 server.address());
    if (demo) {
      const auto switch_address =
          switch_listener ? std::optional<std::string>(switch_listener->address()) : std::nullopt;
      std::cout << app::ensure_demo(*store, server.address(), switch_address) << std::flush;
    }
    server.run();
    // Before the server goes: a waiting request answers one of its connections.
    if (waiting_requests) waiting_requests->stop();
    spdlog::info("callsightd stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("callsightd: {}", e.what());
    return 1;
  }
}
