// callsightd: the Callsight server.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "api/api.hpp"
#include "app/demo.hpp"
#include "app/listen_address.hpp"
#include "app/observability.hpp"
#include "app/sweeper.hpp"
#include "app/switch_endpoint.hpp"
#include "app/webhook_dispatcher.hpp"
#include "core/clock.hpp"
#include "http/server.hpp"
#include "store/store.hpp"
#include "switch/call_router.hpp"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

callsight::http::ServerOptions server_options(const std::string& listen, int threads) {
  const auto address = callsight::app::parse_listen_address(listen);
  callsight::http::ServerOptions options;
  options.host = address.host;
  options.port = address.port;
  options.threads = threads;
  return options;
}

// The switch listener serves on its own threads until the partner listener stops.
class SwitchListener {
 public:
  SwitchListener(const callsight::http::ServerOptions& options, callsight::http::Handler handler)
      : server_(options, std::move(handler)), thread_([this] { server_.run(false); }) {}
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
  int reservation_hours = 24;
  int sweep_seconds = 60;
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
  cli.add_option("--db-pool", store_options.pool_size, "PostgreSQL connections this node keeps")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cli.add_option("--switch-listen", switch_listen,
                 "switch API address HOST:PORT for the SIP edge, or 'off' (env "
                 "CALLSIGHT_SWITCH_LISTEN); the shared secret comes from env "
                 "CALLSIGHT_SWITCH_SECRET, and without one the switch API stays off")
      ->capture_default_str();
  cli.add_option("--threads", threads, "io threads; 0 = one per core")->capture_default_str();
  cli.add_option("--reservation-hours", reservation_hours,
                 "how long a reserved number is held unless its source is activated")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 365));
  cli.add_option("--sweep-seconds", sweep_seconds,
                 "how often expired reservations and quarantines release their numbers")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app::WebhookDispatcherOptions webhooks;
  cli.add_flag("--webhooks-allow-private", webhooks.allow_private,
               "allow webhook URLs on loopback, private and link-local addresses (receivers on "
               "an internal network; give every node the same setting)");
  cli.add_option("--webhook-workers", webhooks.workers,
                 "webhook deliveries this node sends at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  int webhook_timeout_ms = static_cast<int>(webhooks.timeout.count());
  cli.add_option("--webhook-timeout-ms", webhook_timeout_ms,
                 "time a webhook receiver has to connect and answer before the attempt fails")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  int webhook_retry_base = static_cast<int>(webhooks.first_retry_delay.count());
  cli.add_option("--webhook-retry-base-seconds", webhook_retry_base,
                 "delay before a failed webhook delivery's first retry; it doubles per attempt "
                 "up to an hour, for 7 days")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cli.add_flag("--demo", demo,
               "create a demo partner (demo/demo, from 127.0.0.1 and ::1) and 100 Swedish "
               "tracking numbers when absent, and print a curl walk-through");
  app::ObservabilityOptions observability_options;
  app::add_observability_flags(cli, observability_options);
  CLI11_PARSE(cli, argc, argv);
  // Logs go to stderr so stdout carries only what was asked for (the --demo walk-through).
  spdlog::set_default_logger(spdlog::stderr_color_mt("callsightd"));

  try {
    SystemClock clock;
    auto store = open_store(db, clock, store_options);
    spdlog::info("database: {}", store->description());
    app::Observability observability(*store, observability_options, clock.now());
    api::ApiSettings settings;
    settings.reservation_time = std::chrono::hours(reservation_hours);
    settings.allow_private_webhooks = webhooks.allow_private;
    http::Server server(
        server_options(listen, threads),
        observability.serve(api::make_partner_api(*store, clock, settings), "partner"));
    if (demo && switch_secret.empty()) switch_secret = "demo";
    switching::CallRouter call_router(*store, clock, observability.metrics());
    std::optional<SwitchListener> switch_listener;
    if (switch_listen == "off") {
      spdlog::info("switch API off (--switch-listen off)");
    } else if (switch_secret.empty()) {
      spdlog::warn("switch API off: set CALLSIGHT_SWITCH_SECRET to serve the SIP edge");
    } else {
      switch_listener.emplace(
          server_options(switch_listen, threads),
          observability.serve(app::make_switch_handler(call_router, switch_secret), "switch"));
      spdlog::info("switch API listening on http://{}", switch_listener->address());
    }
    app::Sweeper sweeper(*store, std::chrono::seconds(sweep_seconds));
    webhooks.timeout = std::chrono::milliseconds(webhook_timeout_ms);
    webhooks.first_retry_delay = std::chrono::seconds(webhook_retry_base);
    // Declared after the store, so it stops (joining its senders) before the store closes.
    app::WebhookDispatcher webhook_dispatcher(store->webhooks(), clock, webhooks,
                                              observability.metrics());
    spdlog::info("callsightd listening on http://{}", server.address());
    if (demo) {
      const auto switch_address =
          switch_listener ? std::optional<std::string>(switch_listener->address()) : std::nullopt;
      std::cout << app::ensure_demo(*store, server.address(), switch_address) << std::flush;
    }
    server.run(/*handle_signals=*/true);
    spdlog::info("callsightd stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("callsightd: {}", e.what());
    return 1;
  }
}
