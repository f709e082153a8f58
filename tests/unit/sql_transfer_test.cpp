#include "store/sql/sql_transfer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/callback.hpp"
#include "core/pincode.hpp"
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
#include "store/sql/migrations.hpp"
#include "store/user_store.hpp"
#include "store/webhook_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using nlohmann::json;

// A fresh schema on the server CALLSIGHT_TEST_PG_URL names, dropped afterwards.
class PgSchema {
 public:
  explicit PgSchema(std::string server_url)
      : server_url_(std::move(server_url)),
        schema_("x_" + random_hex(8)),
        admin_(std::make_unique<PgDatabase>(server_url_, 1)) {
    run("CREATE SCHEMA " + schema_);
  }
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;
  ~PgSchema() { run("DROP SCHEMA " + schema_ + " CASCADE"); }

  std::string location() const {
    const char* separator = server_url_.find('?') == std::string::npos ? "?" : "&";
    return server_url_ + separator + "options=-csearch_path%3D" + schema_ + "%2Cpublic";
  }

 private:
  void run(const std::string& sql) {
    SqlTransaction tx(*admin_, TxMode::write);
    admin_->exec(sql);
    tx.commit();
  }

  std::string server_url_;
  std::string schema_;
  std::unique_ptr<PgDatabase> admin_;
};

class SqlTransferTest : public ::testing::Test {
 protected:
  SqlTransferTest() : clock_(at("2024-01-15 12:00:00")) {}

  std::string path(const char* name) const { return (dir_.path() / name).string(); }

  // One or more rows in every table: partners with CIDRs, customers with custom fields,
  // users, numbers, sources in several states with alt numbers, campaigns, greetings with
  // sound, blacklist, orders, callbacks, pincodes and CDRs.
  void populate(Store& store) {
    Partner p;
    p.name = p.username = "acme";
    p.password_hash = p.digest_ha1_md5 = p.digest_ha1_sha256 = "x";
    p.country = "SE";
    p.timezone = "Europe/Stockholm";
    p.allowed_cidrs = {"127.0.0.1/32", "10.0.0.0/8"};
    partner_ = store.partners().create_partner(p).id;
    p.username = "other";
    p.allowed_cidrs = {"192.0.2.0/24"};
    const Id other = store.partners().create_partner(p).id;
    store.numbers().add_numbers({"+46812345000", "+46812345001", "+46812345002"}, std::nullopt);
    store.numbers().add_numbers({"+46812345003", "+46812345004"}, partner_);
    store.numbers().add_numbers({"+46812345009"}, other);

    Customer c;
    c.partner_id = partner_;
    c.name = "Kund ÅÄÖ \"quoted\"";
    c.custnr = "K-1";
    c.uuid = "uuid-k1";
    c.custom[0] = "Storgatan 1";
    c.custom[19] = "twenty";
    customer_ = store.customers().create_customer(c).id;
    User u;
    u.customer_id = customer_;
    u.email = "Anna@Example.com";
    u.name = "Anna";
    u.token = "token";
    store.users().create_user(partner_, u);

    VoicemailGreeting g;
    g.customer_id = customer_;
    g.name = "Closed";
    g.sounddata_base64 = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";
    const Id greeting = store.greetings().create_greeting(partner_, g, "123456").id;
    Campaign campaign;
    campaign.customer_id = customer_;
    campaign.name = "Spring";
    campaign.pricing_model_id = "ppc";
    campaign.partner_campaign_id = "sp-1";
    campaign.vm_greeting_id = greeting;
    campaign.timestamp = clock_.now();
    const Id campaign_id = store.campaigns().create_campaign(partner_, campaign).id;

    Source active = source(store, "+46812345000");
    active.campaign_id = campaign_id;
    active.vm_greeting_id = greeting;
    active.alt_numbers = {{"", "+46700000001", 0x1f, 480, 1020},
                          {"", "voicemail", 0x60, 0, 1440},
                          {"", "+46700000003", 0x01, 0, 60}};
    active = store.sources().update_source(active);
    active.alt_numbers.pop_back();  // its alt key must stay unused after the import
    active = store.sources().update_source(active);
    source_ = active.id;
    Source upcoming = source(store, "+46812345001");
    upcoming.lifecycle.activation = clock_.now() + std::chrono::hours(24 * 10);
    store.sources().update_source(upcoming);
    Source quarantined = source(store, "+46812345002");
    quarantined.lifecycle.deleted_at = clock_.now();
    store.sources().update_source(quarantined);
    Source archived = source(store, "+46812345003");
    archived.lifecycle.deleted_at = clock_.now() - std::chrono::hours(24 * 400);
    store.sources().update_source(archived);
    store.sources().sweep_sources();

    store.blacklists().replace_blacklist(partner_, customer_, {"+46701111111", "+46702222222"});
    Order o;
    o.customer_id = customer_;
    o.order_id = "o-1";
    o.cli_id = "cli-1";
    o.order_value = "123.45";
    o.timestamp = clock_.now();
    store.orders().create_order(partner_, o);
    const Id callback = store.callbacks()
                            .create_callback(partner_, new_callback(customer_, "+46701234567",
                                                                    "+46709876543", clock_.now()))
                            .id;
    Pincode pin;
    pin.customer_id = customer_;
    pin.phone_number = "+46701234567";
    pin.expires = pincode_expiry(clock_.now(), 1);
    store.pincodes().create_pincode(partner_, pin, [] { return std::string("4711"); });

    Webhook hook;
    hook.partner_id = partner_;
    hook.url = "https://hooks.example/in";
    hook.event_types = {"call.started"};
    hook.secret = "s3cret";
    store.webhooks().create_webhook(hook);

    CallRecord call;
    call.partner_id = partner_;
    call.customer_id = customer_;
    call.source_id = source_;
    call.campaign_id = campaign_id;
    call.switch_call_id = "call-1";
    call.caller = "+46701234567";
    call.tracking_number = "+46812345000";
    call.answering_number = "+46890510";
    call.start = clock_.now();
    store.calls().record_call(call);
    // Missed, to a source that wants a mail: a row in the mail outbox.
    auto notified = *store.sources().find_source(partner_, source_);
    notified.email = "sales@example.com";
    notified.notify_on_missed_call = 1;
    store.sources().update_source(notified);
    CallEvent unanswered;
    unanswered.type = CallEventType::failed;
    unanswered.at = clock_.now() + std::chrono::seconds(20);
    unanswered.sip_status = 480;
    store.calls().apply_event("call-1", unanswered);
    call.direction = CallDirection::outbound;
    call.source_id.reset();
    call.callback_id = callback;
    call.switch_call_id = "call-2";
    store.calls().record_call(call);
    store.recordings().add_recording(
        "call-1", RecordingKind::call,
        {.file_name = "1/2024-01/a.mp3", .bytes = 10, .duration_ms = 2000, .sha256 = "ab"},
        clock_.now());
    store.shared_secret("digest_nonce");
    populate_dynamic_numbers(store);
    // The events no subscription wants (all but call.started, whose delivery is pending) are
    // settled: deleting them leaves a row in webhook_event_purges, and the rest in the outbox.
    store.webhooks().sequence_events();
    store.webhooks().purge_settled_events(clock_.now() + std::chrono::seconds(1));
  }

  // A pool with one number handed to a consenting visitor, and a remembered signature: a row
  // in each dni table.
  void populate_dynamic_numbers(Store& store) {
    store.numbers().add_numbers({"+46812345010"}, std::nullopt);
    Source s;
    s.partner_id = partner_;
    s.customer_id = customer_;
    s.name = "visitors";
    s.media = "web";
    s.answering_number = "+46890510";
    s.lifecycle.activation = clock_.now();
    DniPoolSettings settings;
    settings.match_rules = {{.kind = dni::RuleKind::referrer_host, .value = "example.com"}};
    settings.fallback_number = "+46890510";
    const Id pool = store.dni().create_pool(s, settings).source.id;
    NumberRequest number;
    number.tracking_number = "+46812345010";
    store.dni().add_pool_numbers(partner_, pool, number, 1);
    DniNumberRequest request;
    request.partner_id = partner_;
    request.pool_id = pool;
    request.consent = true;
    request.visit = dni::read_visit("https://example.com/?gclid=g", "", "");
    store.dni().request_number(request);
    store.dni().remember_signature(partner_, "ab12", clock_.now() + std::chrono::seconds(300));
  }

  Source source(Store& store, const std::string& number) {
    Source s;
    s.partner_id = partner_;
    s.customer_id = customer_;
    s.name = "web " + number;
    s.media = "google";
    s.answering_number = "+46890510";
    s.lifecycle.activation = clock_.now();
    NumberRequest request;
    request.tracking_number = number;
    return store.sources().create_source(s, request);
  }

  // A populated, migrated SQLite database; returns its export.
  std::string populated_export() {
    {
      auto store = open_store(path("source.db"), clock_);
      populate(*store);
    }
    return exported(path("source.db"));
  }

  static std::string exported(const std::string& location) {
    const auto db = open_sql_database(location, 1);
    std::ostringstream out;
    export_database(*db, out);
    return out.str();
  }

  static TransferSummary imported(const std::string& location, const std::string& stream) {
    const auto db = open_sql_database(location, 1);
    std::istringstream in(stream);
    return import_database(*db, in);
  }

  static void migrate(const std::string& location) {
    const auto db = open_sql_database(location, 1);
    apply_migrations(*db, TimePoint{});
  }

  // Every row of every table, one JSON text per row, per table, in a stable order.
  static std::map<std::string, std::vector<std::string>> rows_of(const std::string& stream) {
    std::map<std::string, std::vector<std::string>> rows;
    std::istringstream in(stream);
    for (std::string line; std::getline(in, line);) {
      const auto parsed = json::parse(line);
      if (parsed.contains("row")) rows[parsed["table"]].push_back(parsed["row"].dump());
      if (parsed.contains("columns")) rows[parsed["table"]];
    }
    for (auto& [table, texts] : rows) std::sort(texts.begin(), texts.end());
    return rows;
  }

  void expect_same_rows(const std::string& source, const std::string& copy) {
    const auto before = rows_of(source);
    const auto after = rows_of(copy);
    // Every table of the schema took part, none empty: the comparison covers them all.
    ASSERT_EQ(before.size(), 28u);
    for (const auto& [table, rows] : before) {
      EXPECT_FALSE(rows.empty()) << table;
      ASSERT_TRUE(after.contains(table)) << table;
      EXPECT_EQ(after.at(table), rows) << table;
    }
    EXPECT_EQ(after.size(), before.size());
  }

  // The destination keeps working: new rows get ids above every imported (and deleted) one.
  void expect_new_ids_above_imported(const std::string& location) {
    auto store = open_store(location, clock_);
    Customer c;
    c.partner_id = partner_;
    c.name = c.custnr = "K-2";
    c.uuid = "uuid-k2";
    EXPECT_GT(store->customers().create_customer(c).id, customer_);
    auto s = *store->sources().find_source(partner_, source_);
    s.alt_numbers.push_back({"", "+46700000009", 0x7f, 0, 1440});
    s = store->sources().update_source(s);
    ASSERT_EQ(s.alt_numbers.size(), 3u);
    EXPECT_GT(std::stoll(s.alt_numbers[2].alt_key), std::stoll(s.alt_numbers[1].alt_key) + 1)
        << "the deleted rule's key was handed out again";
    EXPECT_GT(source(*store, "+46812345004").id, source_);
  }

  TempDir dir_;
  ManualClock clock_;
  Id partner_ = 0;
  Id customer_ = 0;
  Id source_ = 0;
};

TEST_F(SqlTransferTest, SqliteToSqliteCopiesEveryRowOfEveryTable) {
  const auto stream = populated_export();
  migrate(path("copy.db"));
  const auto summary = imported(path("copy.db"), stream);
  EXPECT_EQ(summary.schema_version, latest_schema_version());
  EXPECT_EQ(summary.tables, 28);
  expect_same_rows(stream, exported(path("copy.db")));
  expect_new_ids_above_imported(path("copy.db"));
}

TEST_F(SqlTransferTest, ExportWritesTypedValuesAndAHeader) {
  const auto stream = populated_export();
  std::istringstream in(stream);
  std::string line;
  std::getline(in, line);
  const auto header = json::parse(line);
  EXPECT_EQ(header["format"], "callsight-export");
  EXPECT_EQ(header["schema_version"], latest_schema_version());
  bool seen_customer = false;
  while (std::getline(in, line)) {
    const auto parsed = json::parse(line);
    if (parsed.value("table", "") != "customers" || !parsed.contains("row")) continue;
    const auto& row = parsed["row"];
    EXPECT_TRUE(row["id"].is_number_integer());
    EXPECT_EQ(row["custom_1"], "Storgatan 1");
    EXPECT_TRUE(row["custom_2"].is_null());
    EXPECT_EQ(row["name"], "Kund ÅÄÖ \"quoted\"");
    seen_customer = true;
  }
  EXPECT_TRUE(seen_customer);
}

TEST_F(SqlTransferTest, ImportRefusesANonEmptyDatabase) {
  const auto stream = populated_export();
  migrate(path("copy.db"));
  imported(path("copy.db"), stream);
  try {
    imported(path("copy.db"), stream);
    FAIL() << "imported twice";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
  }
}

TEST_F(SqlTransferTest, ImportRefusesAnotherSchemaVersion) {
  auto stream = populated_export();
  const auto version = "\"schema_version\":" + std::to_string(latest_schema_version());
  stream.replace(stream.find(version), version.size(),
                 "\"schema_version\":" + std::to_string(latest_schema_version() - 1));
  migrate(path("copy.db"));
  EXPECT_THROW(imported(path("copy.db"), stream), StoreError);
  EXPECT_THROW(imported(path("unmigrated.db"), populated_export()), StoreError);
}

TEST_F(SqlTransferTest, ImportOfATruncatedStreamWritesNothing) {
  const auto stream = populated_export();
  const auto truncated = stream.substr(0, stream.rfind("{\"end\""));
  migrate(path("copy.db"));
  EXPECT_THROW(imported(path("copy.db"), truncated), StoreError);
  // Still empty but for the seeded greeting: a full import goes through.
  EXPECT_NO_THROW(imported(path("copy.db"), stream));
}

// The kept counts of call records (cdr_counts) are counted again from the imported records,
// whatever the stream says: an edited or partial export must not give wrong totals.
TEST_F(SqlTransferTest, ImportCountsTheRecordsItImportsWhateverTheStreamSays) {
  std::string stream;
  {
    std::istringstream in(populated_export());
    for (std::string line; std::getline(in, line);) {
      auto parsed = json::parse(line);
      if (parsed.value("table", "") == "cdr_counts" && parsed.contains("row")) {
        parsed["row"]["calls"] = 999;
        line = parsed.dump();
      }
      stream += line + "\n";
    }
  }
  ASSERT_NE(stream.find("999"), std::string::npos);
  migrate(path("copy.db"));
  imported(path("copy.db"), stream);
  auto store = open_store(path("copy.db"), clock_);
  EXPECT_EQ(store->calls().list_calls(partner_, {}, {}).total, 1);
  CallRecordFilter outbound;
  outbound.direction = CallDirection::outbound;
  EXPECT_EQ(store->calls().list_calls(partner_, outbound, {}).total, 1);
  // New calls count on from there.
  CallRecord call;
  call.partner_id = partner_;
  call.customer_id = customer_;
  call.switch_call_id = "call-3";
  call.caller = "+46701234567";
  call.tracking_number = "+46812345000";
  call.start = clock_.now();
  store->calls().record_call(call);
  EXPECT_EQ(store->calls().list_calls(partner_, {}, {}).total, 2);
}

TEST_F(SqlTransferTest, SqliteToPostgresCopiesEveryRowOfEveryTable) {
  const char* url = std::getenv("CALLSIGHT_TEST_PG_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "CALLSIGHT_TEST_PG_URL is not set";
  const auto stream = populated_export();
  PgSchema schema(url);
  migrate(schema.location());
  imported(schema.location(), stream);
  expect_same_rows(stream, exported(schema.location()));
  expect_new_ids_above_imported(schema.location());
}

}  // namespace
}  // namespace callsight
