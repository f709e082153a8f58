// The fixture the store tests share: a migrated database with nothing in it (SQLite file or
// PostgreSQL schema, see TestDatabase), a ManualClock, and the partner and customer rows every
// sub-store row hangs off.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/call_record.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "store/call_record_store.hpp"
#include "store/customer_store.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"
#include "store/store.hpp"
#include "test_database.hpp"

namespace callsight {

inline TimePoint at(const char* text) { return parse_utc(text).value(); }

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
  Source make_source(Id partner_id, Id customer_id, const std::string& tracking_number,
                     std::vector<AltNumberRule> alt_numbers = {}) {
    Source s;
    s.alt_numbers = std::move(alt_numbers);
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

  // A recorded inbound call of the customer, answered now; the record as stored.
  CallRecord make_answered_call(Id partner_id, Id customer_id, const std::string& switch_call_id,
                                const std::string& caller) {
    CallRecord r;
    r.partner_id = partner_id;
    r.customer_id = customer_id;
    r.switch_call_id = switch_call_id;
    r.caller = caller;
    r.tracking_number = "+46812345678";
    r.recorded = true;
    r.start = clock_.now();
    store_->calls().record_call(r);
    CallEvent answered{.type = CallEventType::answered, .at = clock_.now()};
    answered.answering_number = "+46890510";
    return store_->calls().apply_event(switch_call_id, answered).record;
  }

  // Declared in this order so that the store closes before its clock and its database go.
  TestDatabase database_{Start::migrated};
  ManualClock clock_;
  std::unique_ptr<Store> store_;
};

}  // namespace callsight
