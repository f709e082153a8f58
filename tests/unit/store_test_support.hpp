// The fixture the SqliteStore sub-store tests share: a fresh database in its own temp
// directory, a ManualClock, and the partner and customer rows every sub-store row hangs off.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "store/sqlite/sqlite_store.hpp"

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

class SqliteStoreFixture : public ::testing::Test {
 protected:
  explicit SqliteStoreFixture(const char* start = "2024-01-15 12:00:00") : clock_(at(start)) {
    reopen();
  }

  std::string db_path() const { return (dir_.path() / "callsight.db").string(); }

  // Closes the database first, so that what the test reads next comes from the file.
  void reopen() {
    store_.reset();
    store_ = std::make_unique<SqliteStore>(db_path(), clock_);
  }

  Id make_partner(const std::string& username) {
    Partner p;
    p.name = p.username = username;
    p.password_hash = p.digest_ha1_md5 = p.digest_ha1_sha256 = "x";
    p.country = "SE";
    p.timezone = "Europe/Stockholm";
    return store_->create_partner(p).id;
  }

  Id make_customer(Id partner_id, const std::string& custnr) {
    Customer c;
    c.partner_id = partner_id;
    c.name = c.custnr = custnr;
    c.uuid = "uuid-" + custnr;
    return store_->create_customer(c).id;
  }

  // Declared in this order so that the store closes before its clock and its directory go.
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace callsight
