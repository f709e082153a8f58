#include "store/sql/sql_store.hpp"

#include <filesystem>

#include "common/random.hpp"
#include "core/time_format.hpp"
#include "store/sql/migrations.hpp"

namespace callsight {

SqlStore::SqlStore(std::unique_ptr<SqlDatabase> database, const Clock& clock)
    : database_(std::move(database)), db_(*database_), clock_(clock) {
  schema_version_ = apply_migrations(db_, clock_.now());
  partners_ = std::make_unique<SqlPartnerStore>(db_, clock_);
  customers_ = std::make_unique<SqlCustomerStore>(db_, clock_);
  users_ = std::make_unique<SqlUserStore>(db_, clock_);
  numbers_ = std::make_unique<SqlNumberStore>(db_, clock_);
  sources_ = std::make_unique<SqlSourceStore>(db_, clock_);
  campaigns_ = std::make_unique<SqlCampaignStore>(db_, clock_);
  greetings_ = std::make_unique<SqlGreetingStore>(db_, clock_);
  blacklists_ = std::make_unique<SqlBlacklistStore>(db_, clock_);
  orders_ = std::make_unique<SqlOrderStore>(db_, clock_);
  callbacks_ = std::make_unique<SqlCallbackStore>(db_, clock_);
  pincodes_ = std::make_unique<SqlPincodeStore>(db_, clock_);
  calls_ = std::make_unique<SqlCallRecordStore>(db_, clock_);
  webhooks_ = std::make_unique<SqlWebhookStore>(db_, clock_);
  recordings_ = std::make_unique<SqlRecordingStore>(db_, clock_);
  dni_ = std::make_unique<SqlDniStore>(db_, clock_);
  mail_ = std::make_unique<SqlMailStore>(db_, clock_);
}

std::string SqlStore::description() const {
  return db_.description() + " (schema version " + std::to_string(schema_version_) + ")";
}

StoreHealth SqlStore::check_health() {
  int version = 0;
  try {
    SqlTransaction tx(db_, Mode::read);
    version = recorded_schema_version(db_);
    tx.commit();
  } catch (const std::exception& e) {
    return {.ready = false, .reason = "database unavailable", .detail = e.what()};
  }
  if (version != latest_schema_version()) {
    const auto reason = "schema version " + std::to_string(version) + ", this binary expects " +
                        std::to_string(latest_schema_version());
    return {.ready = false, .reason = reason, .detail = reason};
  }
  return {};
}

DatabasePoolStats SqlStore::pool_stats() const { return db_.pool_stats(); }

std::string SqlStore::shared_secret(std::string_view name) {
  // The first node to ask makes it; the write transaction keeps two nodes from both doing so.
  SqlTransaction tx(db_, Mode::write);
  auto existing = db_.prepare("SELECT value FROM shared_secrets WHERE name = :name");
  existing.bind(":name", name);
  if (existing.step()) return existing.text(0);
  const auto value = random_hex(32);
  db_.prepare("INSERT INTO shared_secrets (name, value, created) VALUES (:name, :value, :created)")
      .bind(":name", name)
      .bind(":value", value)
      .bind(":created", format_utc(clock_.now()))
      .run();
  tx.commit();
  return value;
}

}  // namespace callsight
