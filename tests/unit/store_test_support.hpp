// The fixture the store tests share: a fresh database (SQLite file or PostgreSQL schema, see
// TestDatabase), a ManualClock, and the partner and customer rows every sub-store row hangs off.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/random.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "store/customer_store.hpp"
#include "store/partner_store.hpp"
#include "store/postgres/pg_database.hpp"
#include "store/source_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/store.hpp"

namespace callsight {

inline TimePoint at(const char* text) { return parse_utc(text).value(); }

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "callsight-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The store tests run on SQLite (a file in a temp dir) unless CALLSIGHT_TEST_BACKEND is
// "postgres": then on the PostgreSQL server CALLSIGHT_TEST_PG_URL names, each test in a
// fresh schema of its own, so one contract suite checks both backends.
inline bool testing_postgres() {
  const char* backend = std::getenv("CALLSIGHT_TEST_BACKEND");
  return backend && std::string(backend) == "postgres";
}

class TestDatabase {
 public:
  TestDatabase() {
    if (!testing_postgres()) return;
    const char* url = std::getenv("CALLSIGHT_TEST_PG_URL");
    if (!url || !*url) {
      throw std::runtime_error(
          "CALLSIGHT_TEST_BACKEND=postgres needs CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster)");
    }
    server_url_ = url;
    schema_ = "t_" + random_hex(8);
    admin_ = std::make_unique<PgDatabase>(server_url_, 1);
    run_admin("CREATE SCHEMA " + schema_);
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase() {
    if (admin_) run_admin("DROP SCHEMA " + schema_ + " CASCADE");
  }

  // What open_store takes: the SQLite file, or the server URL with this test's schema first
  // on the search path.
  std::string location() const {
    if (!admin_) return (dir_.path() / "callsight.db").string();
    const char* separator = server_url_.find('?') == std::string::npos ? "?" : "&";
    // synchronous_commit off: these tests never crash the server, and waiting for the WAL's
    // fsync at each of a fresh schema's migrations was most of a test's time.
    return server_url_ + separator + "options=-csearch_path%3D" + schema_ +
           "%2Cpublic%20-csynchronous_commit%3Doff";
  }
  // A second, raw handle on the same database, for what a test checks beneath the Store.
  std::unique_ptr<SqlDatabase> open_raw() const {
    if (!admin_) return std::make_unique<SqliteDatabase>(location());
    return std::make_unique<PgDatabase>(location(), 1);
  }

 private:
  void run_admin(const std::string& sql) {
    SqlTransaction tx(*admin_, TxMode::write);
    admin_->exec(sql);
    tx.commit();
  }

  TempDir dir_;
  std::string server_url_;
  std::string schema_;
  std::unique_ptr<PgDatabase> admin_;
};

class SqlStoreFixture : public ::testing::Test {
 protected:
  explicit SqlStoreFixture(const char* start = "2024-01-15 12:00:00") : clock_(at(start)) {
    reopen();
  }

  // Closes the store first, so that what the test reads next comes from the database.
  void reopen() {
    store_.reset();
    store_ = open_store(database_.location(), clock_);
  }

  Id make_partner(const std::string& username) {
    Partner p;
    p.name = p.username = username;
    p.password_hash = p.digest_ha1_md5 = p.digest_ha1_sha256 = "x";
    p.country = "SE";
    p.timezone = "Europe/Stockholm";
    return store_->partners().create_partner(p).id;
  }

  Id make_customer(Id partner_id, const std::string& custnr) {
    Customer c;
    c.partner_id = partner_id;
    c.name = c.custnr = custnr;
    c.uuid = "uuid-" + custnr;
    return store_->customers().create_customer(c).id;
  }

  // An active source of the customer on this (inventory) tracking number.
  Source make_source(Id partner_id, Id customer_id, const std::string& tracking_number) {
    Source s;
    s.partner_id = partner_id;
    s.customer_id = customer_id;
    s.name = "web";
    s.media = "google";
    s.answering_number = "+46890510";
    s.lifecycle.activation = clock_.now();
    NumberRequest request;
    request.tracking_number = tracking_number;
    return store_->sources().create_source(s, request);
  }

  // Declared in this order so that the store closes before its clock and its database go.
  TestDatabase database_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
};

}  // namespace callsight
