// callsight: the administration command line (partners, number inventory).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>

#include "api/api.hpp"
#include "api/dni_signed.hpp"
#include "app/partner_admin.hpp"
#include "app/recording_command.hpp"
#include "app/simulate_call.hpp"
#include "app/transfer_commands.hpp"
#include "common/utf8.hpp"
#include "core/clock.hpp"
#include "store/number_store.hpp"
#include "store/partner_store.hpp"
#include "store/store.hpp"

namespace {

using namespace callsight;

Partner partner_named(Store& store, const std::string& username) {
  auto partner = store.partners().find_partner_by_username(username);
  if (!partner) throw std::invalid_argument("--username: no partner has that username");
  return *partner;
}

void print_partners(Store& store) {
  std::cout << "id\tusername\tname\tcountry\ttimezone\tquarantine_days\tallowed_ips\tcreated\n";
  for (const auto& p : store.partners().list_partners()) {
    std::string cidrs;
    for (const auto& c : p.allowed_cidrs) cidrs += (cidrs.empty() ? "" : ",") + c;
    std::cout << p.id << '\t' << p.username << '\t' << p.name << '\t' << p.country << '\t'
              << p.timezone << '\t' << p.quarantine_days << '\t' << cidrs << '\t' << p.created
              << '\n';
  }
}

void print_numbers(Store& store, const std::string& state_text) {
  std::optional<NumberState> state;
  if (!state_text.empty()) {
    state = parse_number_state(state_text);
    if (!state) throw std::invalid_argument("--state: free, allocated or quarantined");
  }
  std::cout << "number\tstate\trestricted_to_partner\tsource_id\tadded\n";
  for (const auto& n : store.numbers().list_numbers(state, std::nullopt)) {
    std::cout << n.number << '\t' << to_string(n.state) << '\t'
              << (n.restricted_to_partner ? std::to_string(*n.restricted_to_partner) : "-") << '\t'
              << (n.source_id ? std::to_string(*n.source_id) : "-") << '\t' << n.added << '\n';
  }
}

// Text that is not UTF-8 could be stored in SQLite but neither in PostgreSQL nor rendered by
// the API. CLI11 prefixes the option's name; the value is not echoed.
const CLI::Validator kUtf8Text(
    [](const std::string& value) {
      return utf8::is_valid(value) ? std::string() : std::string("is not valid UTF-8 text");
    },
    "");

// Every option of every subcommand is text, except files (any bytes name a file on Linux).
void require_utf8_text(CLI::App& app, const std::set<std::string>& file_options) {
  for (auto* option : app.get_options()) {
    if (!file_options.contains(option->get_name())) option->check(kUtf8Text);
  }
  for (auto* subcommand : app.get_subcommands([](CLI::App*) { return true; })) {
    require_utf8_text(*subcommand, file_options);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"callsight - administer a Callsight deployment (partners, number inventory)"};
  cli.require_subcommand(1);
  const char* env_db = std::getenv("CALLSIGHT_DB");
  std::string db = env_db && *env_db ? env_db : "./callsight.db";
  cli.add_option("--db", db, "database: SQLite file path or postgresql:// URL (env CALLSIGHT_DB)")
      ->capture_default_str();

  auto* partner = cli.add_subcommand("partner", "manage partners (API accounts)");
  partner->require_subcommand(1);
  app::PartnerSpec spec;
  std::string allow_ip;
  auto* add = partner->add_subcommand("add", "create a partner; prints its id");
  add->add_option("--name", spec.name, "display name")->required();
  add->add_option("--username", spec.username, "API user name")->required();
  add->add_option("--password", spec.password, "API password (only hashes are stored)")->required();
  add->add_option("--allow-ip", allow_ip, "allowed client addresses: CIDR[,CIDR...]")->required();
  add->add_option("--country", spec.country, "ISO country for national phone numbers, e.g. SE")
      ->required();
  add->add_option("--timezone", spec.timezone, "IANA time zone, e.g. Europe/Stockholm")->required();
  add->add_option("--quarantine-days", spec.quarantine_days, "quarantine period of deleted sources")
      ->capture_default_str();
  auto* list = partner->add_subcommand("list", "list partners");
  std::string username;
  std::string password;
  auto* set_password = partner->add_subcommand("set-password", "change a partner's password");
  set_password->add_option("--username", username)->required();
  set_password->add_option("--password", password)->required();
  auto* allow = partner->add_subcommand("allow-ip", "replace a partner's allowed addresses");
  allow->add_option("--username", username)->required();
  allow->add_option("--cidrs", allow_ip, "CIDR[,CIDR...]")->required();
  auto* remove = partner->add_subcommand("remove", "remove a partner that has no customers");
  remove->add_option("--username", username)->required();
  auto* set = partner->add_subcommand("set", "change a partner's settings");
  set->add_option("--username", username)->required();
  int quarantine_days = -1;
  std::string country;
  std::string timezone;
  set->add_option("--quarantine-days", quarantine_days, "quarantine period of deleted sources");
  std::optional<int> dni_retention_days;
  std::optional<int> dni_number_cap;
  std::optional<int> recording_retention_days;
  set->add_option("--recording-retention-days", recording_retention_days,
                  "days a call recording's audio is kept; then it expires (default 90)");
  set->add_option("--dni-retention-days", dni_retention_days,
                  "days dynamic-number sessions and hand-outs are kept (default 90)");
  set->add_option("--dni-number-cap", dni_number_cap,
                  "pool numbers the partner's visitors may hold leased at once (default 1000)");
  set->add_option("--country", country, "ISO country, e.g. SE");
  set->add_option("--timezone", timezone, "IANA time zone");

  auto* deny_list = partner->add_subcommand(
      "dni-deny-list",
      "replace the partner's deny list of user agents: a visitor whose user agent contains an "
      "entry (ASCII case ignored) is shown the original number and takes none; without "
      "entries (and without --clear) print the list, one entry a line");
  deny_list->add_option("--username", username)->required();
  std::vector<std::string> deny_entries;
  bool clear_deny_list = false;
  deny_list->add_option("entries", deny_entries, "user-agent text to deny, one per argument");
  deny_list->add_flag("--clear", clear_deny_list, "empty the list")->excludes("entries");

  auto* dncs_secret = partner->add_subcommand(
      "dncs-secret",
      "print the partner's DNCS secret, which signs its server-side number requests (made on "
      "first use, the same on every node)");
  dncs_secret->add_option("--username", username)->required();

  auto* numbers = cli.add_subcommand("numbers", "manage the tracking-number inventory");
  numbers->require_subcommand(1);
  std::vector<std::string> number_args;
  std::string restricted_to;
  auto* numbers_add = numbers->add_subcommand("add", "add numbers or ranges (+4681000-+4681099)");
  numbers_add->add_option("--partner", restricted_to, "only this partner (username) may get them");
  numbers_add->add_option("numbers", number_args, "E.164 numbers or FROM-TO ranges")->required();
  std::string state;
  auto* numbers_list = numbers->add_subcommand("list", "list the inventory");
  numbers_list->add_option("--state", state, "free, allocated or quarantined");
  auto* numbers_remove = numbers->add_subcommand("remove", "remove free numbers");
  numbers_remove->add_option("numbers", number_args, "E.164 numbers or ranges")->required();

  app::SimulateCallOptions call;
  int answer_after = 2;
  int talk = 10;
  std::string secret_env = "CALLSIGHT_SWITCH_SECRET";
  auto* simulate = cli.add_subcommand(
      "simulate-call",
      "play one call against callsightd's switch listener as the Kamailio edge would: POST "
      "/switch/route, then the events of the call to /switch/events; prints each step and the "
      "cdr_id (--db is not used)");
  simulate->add_option("--from", call.caller, "caller number (SIP From user), sent as given")
      ->required();
  simulate->add_option("--to", call.dialled, "dialled tracking number (SIP R-URI user)")
      ->required();
  simulate
      ->add_option("--answer-after", answer_after,
                   "seconds of ringing before the callee answers (with --no-answer: before 408)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  simulate
      ->add_option("--talk", talk, "seconds from answer (or voicemail) until the caller hangs up")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  auto* busy = simulate->add_flag("--busy", call.busy,
                                  "the callee is busy: failed 486 (or voicemail if the route "
                                  "answer says voicemail_on_busy)");
  simulate
      ->add_flag("--no-answer", call.no_answer,
                 "nobody answers: failed 408 after --answer-after (or voicemail if the route "
                 "answer says voicemail_on_no_answer)")
      ->excludes(busy);
  simulate->add_flag("--real-time", call.real_time,
                     "wait between events; by default all are sent at once, each with its "
                     "simulated time in `at`");
  simulate->add_option("--switch", call.switch_url, "switch listener URL, http://HOST:PORT")
      ->capture_default_str();
  simulate
      ->add_option("--secret-env", secret_env,
                   "environment variable holding the switch secret (header "
                   "X-Callsight-Switch-Secret)")
      ->capture_default_str();
  simulate->footer(
      "The route request carries the start in `at`. Events sent (sip_status, `at` = start + "
      "offset):\n"
      "  forward:              ringing 180 +0, answered 200 +answer-after,\n"
      "                        hangup 200 (hangup_by caller) +answer-after+talk\n"
      "  forward --busy:       ringing 180 +0, failed 486 +0\n"
      "  forward --no-answer:  ringing 180 +0, failed 408 +answer-after\n"
      "    when the route answer has voicemail_on_busy / voicemail_on_no_answer = \"1\", the\n"
      "    failure is diverted instead: voicemail 486/408 at the failure time, then hangup 200\n"
      "    +talk after it (the voicemail leg's end)\n"
      "  voicemail:            voicemail 200 +0, hangup 200 +talk\n"
      "  reject:               none\n"
      "Exit status 1 on connection errors, non-2xx answers (route: non-200) or a refused "
      "secret.");

  auto* migrate = cli.add_subcommand(
      "migrate", "bring the --db database to this Callsight's schema; prints \"schema version N\"");
  std::string transfer_path;
  auto* export_cmd = cli.add_subcommand(
      "export",
      "write every row of the --db database as JSON lines (a header with the schema version, "
      "then each table, parents first), e.g. to move from SQLite to PostgreSQL");
  export_cmd->add_option("--out", transfer_path, "file to write (default: standard output)");
  auto* import_cmd = cli.add_subcommand(
      "import",
      "load an export into the --db database, every row with its original id, in one "
      "transaction; the database must be migrated to the export's schema version "
      "(`callsight migrate`) and empty");
  import_cmd->add_option("--in", transfer_path, "file to read (default: standard input)");
  import_cmd->footer(
      "Moving from SQLite to PostgreSQL: stop callsightd, then\n"
      "  callsight --db ./callsight.db export --out callsight.jsonl\n"
      "  callsight --db postgresql://... migrate\n"
      "  callsight --db postgresql://... import --in callsight.jsonl");

  auto* routes = cli.add_subcommand(
      "routes",
      "print every route of the partner API, one \"METHOD /path/{param}\" per line; each path "
      "also answers under a version prefix such as /2.4.9 (--db is not used)");

  app::RecordingConvertOptions recording;
  auto* recording_convert = cli.add_subcommand(
      "recording-convert",
      "turn an rtpengine pcap recording into one stereo MP3, left the caller and right the "
      "answering party, on one time line by RTP timestamps; prints its duration, channels and "
      "packet counts (--db is not used)");
  recording_convert->add_option("--pcap", recording.pcap, "rtpengine's pcap file")->required();
  recording_convert->add_option("--out", recording.out, "the MP3 to write (atomically)")
      ->required();
  recording_convert->add_option(
      "--metadata", recording.metadata,
      "rtpengine's metadata file: its answer SDP names the caller's side and payload types");
  recording_convert->add_option(
      "--caller-address", recording.caller_address,
      "IP:PORT ([IPv6]:PORT) the caller's media comes from, port 0 for any port; without it "
      "or --metadata the first to send audio is taken as the caller");
  recording_convert->add_option("--lame", recording.lame, "the lame program")
      ->capture_default_str();
  recording_convert->footer(
      "G.711 (PCMU, PCMA) is decoded; telephone-event and comfort noise are skipped and "
      "counted.\nEncoded with lame as 8 kHz stereo, 32 kbit/s CBR. Exit status 1 when the "
      "pcap cannot be read, holds no G.711 audio, or lame fails.");

  require_utf8_text(cli, {"--db", "--out", "--in", "--pcap", "--metadata", "--lame"});
  CLI11_PARSE(cli, argc, argv);

  if (routes->parsed()) {
    for (const auto& [method, pattern] : api::partner_api_routes()) {
      std::cout << method << ' ' << pattern << '\n';
    }
    return 0;
  }

  if (migrate->parsed() || export_cmd->parsed() || import_cmd->parsed()) {
    try {
      if (migrate->parsed()) app::migrate_command(db, SystemClock{}, std::cout);
      if (export_cmd->parsed()) app::export_command(db, transfer_path, std::cout, std::cerr);
      if (import_cmd->parsed()) app::import_command(db, transfer_path, std::cin, std::cout);
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "callsight " << cli.get_subcommands().front()->get_name() << ": " << e.what()
                << '\n';
      return 1;
    }
  }

  if (recording_convert->parsed()) {
    try {
      app::recording_convert_command(recording, std::cout);
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "callsight recording-convert: " << e.what() << '\n';
      return 1;
    }
  }

  if (simulate->parsed()) {
    try {
      call.answer_after = std::chrono::seconds(answer_after);
      call.talk = std::chrono::seconds(talk);
      call.secret = app::secret_from_env(secret_env);
      app::simulate_call(call, SystemClock{}, std::cout);
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "callsight simulate-call: " << e.what() << '\n';
      return 1;
    }
  }

  try {
    SystemClock clock;
    auto store = open_store(db, clock);
    if (add->parsed()) {
      spec.allowed_cidrs = app::parse_cidr_list(allow_ip);
      std::cout << app::add_partner(*store, spec).id << '\n';
    } else if (list->parsed()) {
      print_partners(*store);
    } else if (set_password->parsed()) {
      auto p = partner_named(*store, username);
      app::set_password(p, password);
      store->partners().update_partner(p);
    } else if (allow->parsed()) {
      auto p = partner_named(*store, username);
      p.allowed_cidrs = app::parse_cidr_list(allow_ip);
      store->partners().update_partner(p);
    } else if (remove->parsed()) {
      store->partners().remove_partner(partner_named(*store, username).id);
    } else if (set->parsed()) {
      auto p = partner_named(*store, username);
      if (quarantine_days >= 0) p.quarantine_days = quarantine_days;
      if (dni_retention_days) p.dni_retention_days = *dni_retention_days;
      if (dni_number_cap) p.dni_number_cap = *dni_number_cap;
      if (recording_retention_days) p.recording_retention_days = *recording_retention_days;
      if (!country.empty()) p.country = country;
      if (!timezone.empty()) p.timezone = timezone;
      app::validate_partner(p);
      store->partners().update_partner(p);
    } else if (deny_list->parsed()) {
      auto p = partner_named(*store, username);
      if (deny_entries.empty() && !clear_deny_list) {
        for (const auto& entry : p.dni_denied_user_agents) std::cout << entry << '\n';
      } else {
        p.dni_denied_user_agents = deny_entries;
        app::validate_partner(p);
        store->partners().update_partner(p);
      }
    } else if (dncs_secret->parsed()) {
      const auto p = partner_named(*store, username);
      std::cout << store->shared_secret(api::dncs_secret_name(p.id)) << '\n';
    } else if (numbers_add->parsed()) {
      std::optional<Id> partner_id;
      if (!restricted_to.empty()) partner_id = partner_named(*store, restricted_to).id;
      const auto result =
          store->numbers().add_numbers(app::expand_number_ranges(number_args), partner_id);
      for (const auto& n : result.duplicates) std::cout << "already present: " << n << '\n';
      std::cout << "added " << result.added.size() << " number(s)\n";
    } else if (numbers_list->parsed()) {
      print_numbers(*store, state);
    } else if (numbers_remove->parsed()) {
      for (const auto& n : app::expand_number_ranges(number_args))
        store->numbers().remove_number(n);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "callsight: " << e.what() << '\n';
    return 1;
  }
}
