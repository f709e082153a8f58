#include "store/sql/sql_call_record_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/call_record.hpp"
#include "store/blacklist_store.hpp"
#include "store/customer_store.hpp"
#include "store/dni_store.hpp"
#include "store/number_store.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store/webhook_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using std::chrono::days;
using std::chrono::seconds;

class SqlCallRecordStoreTest : public SqlStoreFixture {
 protected:
  SqlCallRecordStoreTest() {
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
  }

  CallRecord inbound(const std::string& switch_call_id, TimePoint start, Id customer_id = 0) {
    CallRecord r;
    r.partner_id = partner_;
    r.customer_id = customer_id ? customer_id : customer_;
    r.switch_call_id = switch_call_id;
    r.caller = "+46701234567";
    r.tracking_number = "+46812345678";
    r.answering_number = "+46890510";
    r.start = start;
    return r;
  }

  CallRecord record(const std::string& switch_call_id, TimePoint start, Id customer_id = 0) {
    return calls().record_call(inbound(switch_call_id, start, customer_id));
  }

  std::vector<Id> listed(const CallRecordFilter& filter, PageRequest page = {}, Id partner_id = 0) {
    std::vector<Id> ids;
    for (const auto& r :
         calls().list_calls(partner_id ? partner_id : partner_, filter, page).items) {
      ids.push_back(r.id);
    }
    return ids;
  }

  Source make_source(Id customer_id, const std::string& number) {
    return SqlStoreFixture::make_source(partner_, customer_id, number);
  }

  CallRecordStore& calls() { return store_->calls(); }

  Id partner_ = 0;
  Id customer_ = 0;
};

CallEvent event(CallEventType type, TimePoint at) {
  CallEvent e;
  e.type = type;
  e.at = at;
  return e;
}

// ---- recording and events ----

TEST_F(SqlCallRecordStoreTest, RecordCallStoresEveryField) {
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  const auto source = make_source(customer_, "+46812345678");
  CallRecord r = inbound("a@edge", clock_.now());
  r.source_id = source.id;
  r.direction = CallDirection::outbound;
  r.action = RouteAction::reject;
  r.reject_sip_status = 403;
  r.reject_reason = "blacklisted";
  r.quarantined = r.recorded = r.voicemail_on_busy = r.voicemail_on_no_answer = true;
  r.ringing_at = clock_.now() + seconds(1);
  r.answered_at = clock_.now() + seconds(2);
  r.voicemail_at = clock_.now() + seconds(3);
  r.ended_at = clock_.now() + seconds(4);
  r.failure_sip_status = 486;
  r.hangup_by = "caller";
  r.hangup_reason = "BYE";
  const auto stored = calls().record_call(r);
  EXPECT_GT(stored.id, 0);
  r.id = stored.id;
  EXPECT_EQ(stored, r);
  reopen();
  EXPECT_EQ(calls().find_call_by_switch_id("a@edge"), r);
  EXPECT_EQ(calls().find_call(partner_, r.id), r);
}

TEST_F(SqlCallRecordStoreTest, ListingWithoutAttributionGivesEveryOtherFieldAsStored) {
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  const auto source = make_source(customer_, "+46812345678");
  CallRecord r = inbound("attr@edge", clock_.now());
  r.source_id = source.id;
  r.answered_at = clock_.now() + seconds(2);
  r.hangup_by = "caller";
  const auto stored = calls().record_call(r);
  record("plain@edge", clock_.now() + seconds(1));
  const auto with = calls().list_calls(partner_, {}, {}).items;
  ASSERT_EQ(with.size(), 2u);
  ASSERT_TRUE(with.front().attribution.has_value());
  EXPECT_EQ(with.front(), stored);
  CallRecordFilter without_attribution;
  without_attribution.with_attribution = false;
  auto expected = with;
  for (auto& call : expected) call.attribution.reset();
  EXPECT_EQ(calls().list_calls(partner_, without_attribution, {}).items, expected);
  EXPECT_EQ(calls().list_calls(partner_, without_attribution, {1, 1}).items,
            std::vector<CallRecord>{expected.back()});
}

TEST_F(SqlCallRecordStoreTest, RecordCallTwiceKeepsTheFirstDecision) {
  const auto first = record("a@edge", clock_.now());
  CallRecord again = inbound("a@edge", clock_.now() + seconds(5));
  again.action = RouteAction::reject;
  const auto second = calls().record_call(again);
  EXPECT_EQ(second, first);
  EXPECT_EQ(second.action, RouteAction::forward);
  EXPECT_EQ(calls().list_calls(partner_, {}, {}).total, 1);
  EXPECT_NE(record("b@edge", clock_.now()).id, first.id);
}

TEST_F(SqlCallRecordStoreTest, RecordCallsStoresABatchAndKeepsAnEarlierDecision) {
  const auto first = record("b@edge", clock_.now());
  CallRecord again = inbound("b@edge", clock_.now() + seconds(5));
  again.action = RouteAction::reject;
  const std::vector<CallRecord> batch{inbound("c@edge", clock_.now()), again,
                                      inbound("a@edge", clock_.now())};
  const auto stored = calls().record_calls(batch);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_TRUE(stored[0].inserted);
  EXPECT_EQ(stored[0].record.switch_call_id, "c@edge");
  EXPECT_FALSE(stored[1].inserted);
  EXPECT_EQ(stored[1].record, first);
  EXPECT_TRUE(stored[2].inserted);
  EXPECT_EQ(stored[2].record.switch_call_id, "a@edge");
  EXPECT_EQ(calls().list_calls(partner_, {}, {}).total, 3);
  EXPECT_EQ(calls().find_call_by_switch_id("a@edge"), stored[2].record);
  // Each new call announced once, as record_call announces it.
  const auto events = store_->webhooks().events_after(partner_, 0, 100).value();
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [](const auto& e) { return e.type == "call.started"; }),
            3);
}

TEST_F(SqlCallRecordStoreTest, ApplyEventPersistsAcrossReopen) {
  const auto start = clock_.now();
  auto expected = record("a@edge", start);
  CallEvent answered = event(CallEventType::answered, start + seconds(4));
  answered.answering_number = "+46701111111";
  CallEvent hangup = event(CallEventType::hangup, start + seconds(64));
  hangup.hangup_by = "callee";
  hangup.reason = "BYE";
  for (const auto& e : {event(CallEventType::ringing, start + seconds(1)), answered, hangup}) {
    EXPECT_EQ(calls().apply_event("a@edge", e).record.switch_call_id, "a@edge");
    apply_call_event(expected, e);
  }
  reopen();
  const auto found = calls().find_call_by_switch_id("a@edge");
  EXPECT_EQ(found, expected);
  EXPECT_EQ(found->answering_number, "+46701111111");
  EXPECT_EQ(call_status(*found), CallStatus::answered);
  EXPECT_EQ(call_duration_seconds(*found), 60);
}

TEST_F(SqlCallRecordStoreTest, ApplyEventIsIdempotentAndKeepsTheEarliestInstant) {
  const auto start = clock_.now();
  record("a@edge", start);
  calls().apply_event("a@edge", event(CallEventType::ringing, start + seconds(3)));
  const auto once =
      calls().apply_event("a@edge", event(CallEventType::ringing, start + seconds(2)));
  const auto twice =
      calls().apply_event("a@edge", event(CallEventType::ringing, start + seconds(2)));
  EXPECT_EQ(once.record, twice.record);
  EXPECT_EQ(calls().find_call_by_switch_id("a@edge")->ringing_at, start + seconds(2));
}

TEST_F(SqlCallRecordStoreTest, ApplyEventGivesTheRecordBeforeSoACallEndsOnce) {
  const auto start = clock_.now();
  record("a@edge", start);
  calls().apply_event("a@edge", event(CallEventType::answered, start + seconds(2)));
  const auto hangup = event(CallEventType::hangup, start + seconds(9));
  const auto ended = calls().apply_event("a@edge", hangup);
  EXPECT_FALSE(ended.previous.ended_at);
  EXPECT_EQ(ended.record.ended_at, start + seconds(9));
  const auto repeated = calls().apply_event("a@edge", hangup);
  EXPECT_EQ(repeated.previous, repeated.record);
}

TEST_F(SqlCallRecordStoreTest, ABatchAppliesEachCallsEventsInOrderAndSkipsUnknownCalls) {
  const auto start = clock_.now();
  auto expected_b = record("b@edge", start);
  auto expected_a = record("a@edge", start);
  CallEvent hangup = event(CallEventType::hangup, start + seconds(30));
  hangup.hangup_by = "caller";
  // Interleaved as an edge's spool would hold them, b's before a's, one for a stranger.
  const std::vector<SwitchCallEvent> batch = {
      {"b@edge", event(CallEventType::ringing, start + seconds(1))},
      {"a@edge", event(CallEventType::answered, start + seconds(2))},
      {"nope@edge", event(CallEventType::answered, start + seconds(2))},
      {"b@edge", event(CallEventType::failed, start + seconds(9))},
      {"a@edge", hangup},
  };
  const auto results = calls().apply_events(batch);
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_FALSE(results[2]);
  for (const auto i : {0, 1, 3, 4}) {
    ASSERT_TRUE(results[i]) << i;
    EXPECT_EQ(results[i]->record.switch_call_id, batch[i].switch_call_id) << i;
  }
  // a's hangup saw its answer applied first: the call ends answered, once.
  EXPECT_FALSE(results[4]->previous.ended_at);
  EXPECT_TRUE(results[4]->previous.answered_at);
  for (const auto& item : batch) {
    if (item.switch_call_id == "a@edge") apply_call_event(expected_a, item.event);
    if (item.switch_call_id == "b@edge") apply_call_event(expected_b, item.event);
  }
  reopen();
  EXPECT_EQ(calls().find_call_by_switch_id("a@edge"), expected_a);
  EXPECT_EQ(call_status(expected_a), CallStatus::answered);
  EXPECT_EQ(calls().find_call_by_switch_id("b@edge"), expected_b);
  EXPECT_FALSE(calls().find_call_by_switch_id("nope@edge"));
  // Delivered again (the edge never heard the answer): nothing changes.
  const auto again = calls().apply_events(batch);
  EXPECT_EQ(again[4]->previous, again[4]->record);
  EXPECT_EQ(calls().find_call_by_switch_id("a@edge"), expected_a);
}

TEST_F(SqlCallRecordStoreTest, ApplyEventToUnknownCallIsNotFound) {
  record("a@edge", clock_.now());
  EXPECT_THROW(calls().apply_event("nope@edge", event(CallEventType::ringing, clock_.now())),
               NotFoundError);
  EXPECT_FALSE(calls().find_call_by_switch_id("nope@edge"));
}

// ---- listing ----

TEST_F(SqlCallRecordStoreTest, ListCallsFiltersByCustomerSourceIdAndStart) {
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  const Id other_customer = make_customer(partner_, "K-2");
  const auto source = make_source(customer_, "+46812345678");
  const auto t0 = clock_.now();
  CallRecord with_source = inbound("a@edge", t0);
  with_source.source_id = source.id;
  const Id a = calls().record_call(with_source).id;
  const Id b = record("b@edge", t0 + seconds(10)).id;
  const Id c = record("c@edge", t0 + seconds(20), other_customer).id;

  EXPECT_EQ(listed({}), (std::vector<Id>{a, b, c}));
  CallRecordFilter filter;
  filter.customer_id = customer_;
  EXPECT_EQ(listed(filter), (std::vector<Id>{a, b}));
  filter = {};
  filter.source_id = source.id;
  EXPECT_EQ(listed(filter), std::vector<Id>{a});
  filter = {};
  filter.cdr_id = b;
  EXPECT_EQ(listed(filter), std::vector<Id>{b});
  filter = {};
  filter.from = t0 + seconds(10);  // inclusive at both ends
  filter.to = t0 + seconds(20);
  EXPECT_EQ(listed(filter), (std::vector<Id>{b, c}));
  filter.to = t0 + seconds(19);
  EXPECT_EQ(listed(filter), std::vector<Id>{b});
  filter.customer_id = other_customer;
  EXPECT_TRUE(listed(filter).empty());
}

// The status filter is call_status() in SQL: every branch of it, on both backends, lists
// exactly the records whose status core derives, with their count, and one status's cached
// total or page boundary never answers another's.
TEST_F(SqlCallRecordStoreTest, ListCallsFiltersByTheStatusCoreDerives) {
  const auto t0 = clock_.now();
  const auto ended = [&](CallRecord r, std::optional<int> failure) {
    r.ended_at = r.start + seconds(20);
    r.failure_sip_status = failure;
    return r;
  };
  std::vector<CallRecord> shapes;
  const auto add = [&](CallRecord r) {
    r.switch_call_id = "s" + std::to_string(shapes.size()) + "@edge";
    r.start = t0 + seconds(static_cast<int>(shapes.size()));
    shapes.push_back(std::move(r));
  };
  CallRecord rejected = inbound("", t0);
  reject_call(rejected, 603, "blacklisted");
  add(rejected);
  CallRecord unknown = ended(inbound("", t0), std::nullopt);
  unknown.end_unknown = true;
  add(unknown);
  CallRecord to_voicemail = inbound("", t0);
  to_voicemail.action = RouteAction::voicemail;
  add(to_voicemail);
  CallRecord diverted = ended(inbound("", t0), std::nullopt);
  diverted.voicemail_at = t0 + seconds(15);
  add(diverted);
  CallRecord answered = ended(inbound("", t0), std::nullopt);
  answered.answered_at = t0 + seconds(5);
  add(answered);
  add(inbound("", t0));  // in progress
  for (const int failure : {486, 600, 480, 408, 487, 503}) add(ended(inbound("", t0), failure));
  add(ended(inbound("", t0), std::nullopt));  // ended without a status: nobody picked up
  CallRecord busy_to_voicemail = ended(inbound("", t0), 486);
  busy_to_voicemail.voicemail_on_busy = true;
  add(busy_to_voicemail);
  CallRecord missed_to_voicemail = ended(inbound("", t0), 487);
  missed_to_voicemail.voicemail_on_no_answer = true;
  add(missed_to_voicemail);

  std::map<CallStatus, std::vector<Id>> expected;
  for (const auto& shape : shapes) {
    const auto stored = calls().record_call(shape);
    expected[call_status(stored)].push_back(stored.id);
  }
  const std::vector<CallStatus> every = {
      CallStatus::in_progress, CallStatus::answered, CallStatus::no_answer, CallStatus::busy,
      CallStatus::failed,      CallStatus::rejected, CallStatus::voicemail, CallStatus::unknown};
  for (const auto status : every) {
    ASSERT_FALSE(expected[status].empty()) << to_string(status) << " has no record to list";
    CallRecordFilter filter;
    filter.statuses = {status};
    const auto page = calls().list_calls(partner_, filter, {});
    std::vector<Id> ids;
    for (const auto& r : page.items) ids.push_back(r.id);
    EXPECT_EQ(ids, expected[status]) << to_string(status);
    EXPECT_EQ(page.total, static_cast<std::int64_t>(expected[status].size())) << to_string(status);
    // The second page after the first: from the boundary the first left, of this status only.
    PageRequest second{.page = 1, .pagesize = 1};
    const auto next = calls().list_calls(partner_, filter, second);
    if (expected[status].size() > 1) {
      ASSERT_EQ(next.items.size(), 1u) << to_string(status);
      EXPECT_EQ(next.items[0].id, expected[status][1]) << to_string(status);
    } else {
      EXPECT_TRUE(next.items.empty()) << to_string(status);
    }
  }
  CallRecordFilter missed;
  missed.statuses = {CallStatus::busy, CallStatus::no_answer};
  auto both = expected[CallStatus::busy];
  both.insert(both.end(), expected[CallStatus::no_answer].begin(),
              expected[CallStatus::no_answer].end());
  std::ranges::sort(both);
  EXPECT_EQ(listed(missed), both);
}

TEST_F(SqlCallRecordStoreTest, ListCallsOrdersByStartThenIdAndCountsAllPages) {
  const auto t0 = clock_.now();
  const Id late = record("late@edge", t0 + seconds(30)).id;
  const Id tie1 = record("tie1@edge", t0).id;
  const Id tie2 = record("tie2@edge", t0).id;
  const Id mid = record("mid@edge", t0 + seconds(10)).id;

  EXPECT_EQ(listed({}), (std::vector<Id>{tie1, tie2, mid, late}));
  CallRecordFilter newest;
  newest.newest_first = true;
  EXPECT_EQ(listed(newest), (std::vector<Id>{late, mid, tie2, tie1}));

  PageRequest page;
  page.pagesize = 3;
  page.page = 1;
  const auto second_page = calls().list_calls(partner_, newest, page);
  EXPECT_EQ(second_page.total, 4);
  ASSERT_EQ(second_page.items.size(), 1u);
  EXPECT_EQ(second_page.items[0].id, tie1);
  page.page = 0;
  EXPECT_EQ(listed(newest, page), (std::vector<Id>{late, mid, tie2}));
}

TEST_F(SqlCallRecordStoreTest, ListAndFindShowOnlyThePartnersCallsOfOneDirection) {
  const Id other_partner = make_partner("other");
  const Id other_customer = make_customer(other_partner, "K-9");
  CallRecord foreign = inbound("x@edge", clock_.now());
  foreign.partner_id = other_partner;
  foreign.customer_id = other_customer;
  const Id theirs = calls().record_call(foreign).id;
  const Id inbound_id = record("a@edge", clock_.now()).id;
  CallRecord out = inbound("b@edge", clock_.now());
  out.direction = CallDirection::outbound;
  const Id outbound_id = calls().record_call(out).id;

  EXPECT_EQ(listed({}), std::vector<Id>{inbound_id});
  CallRecordFilter outbound;
  outbound.direction = CallDirection::outbound;
  EXPECT_EQ(listed(outbound), std::vector<Id>{outbound_id});
  EXPECT_EQ(listed({}, {}, other_partner), std::vector<Id>{theirs});
  CallRecordFilter by_id;
  by_id.cdr_id = theirs;
  EXPECT_TRUE(listed(by_id).empty());
  EXPECT_FALSE(calls().find_call(partner_, theirs));
  EXPECT_TRUE(calls().find_call(other_partner, theirs));
}

TEST_F(SqlCallRecordStoreTest, DeletingACustomerTakesItsCallsAlong) {
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  auto source = make_source(customer_, "+46812345678");
  CallRecord r = inbound("a@edge", clock_.now());
  r.source_id = source.id;
  calls().record_call(r);
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  clock_.advance(days(61));  // past the quarantine: the source is archived
  store_->customers().delete_customer(partner_, customer_);
  EXPECT_FALSE(calls().find_call_by_switch_id("a@edge"));
}

// ---- totals and pages kept by the store (cdr_counts, docs/storage.md "CDR listing") ----

// What a listing must give, computed from the whole unpaged listing: every filter's total and
// every page, in both orders, each asked twice (the second answer may come from what the
// store remembered) and from a second store on the same database (another node).
class SqlCdrTotalsTest : public SqlCallRecordStoreTest {
 protected:
  SqlCdrTotalsTest() {
    store_->numbers().add_numbers({"+46812345678", "+46812345679"}, std::nullopt);
    other_customer_ = make_customer(partner_, "K-2");
    source_ = make_source(customer_, "+46812345678").id;
    other_source_ = make_source(other_customer_, "+46812345679").id;
    t0_ = clock_.now();
  }

  // Calls alternating over two customers and their sources, `step` seconds apart, with ties.
  void record_calls(int count, const std::string& prefix, int step = 10) {
    for (int i = 0; i < count; ++i) {
      const bool first = i % 2 == 0;
      CallRecord r = inbound(prefix + std::to_string(i), t0_ + seconds(step * (i / 3)),
                             first ? customer_ : other_customer_);
      r.source_id = first ? source_ : other_source_;
      r.caller = i % 3 == 0 ? "+46701111111" : "+46702222222";
      calls().record_call(r);
    }
  }

  std::vector<CallRecordFilter> filters() const {
    std::vector<CallRecordFilter> all(6);
    all[1].customer_id = customer_;
    all[2].source_id = other_source_;
    all[3].from = t0_ + seconds(20);
    all[3].to = t0_ + seconds(60);
    all[4].caller = "+46701111111";
    all[5].from = t0_ + seconds(10);
    all[5].customer_id = other_customer_;
    return all;
  }

  // Every page of every filter, in both orders, through `store`, against the whole listing.
  void expect_exact(Store& store, int pagesize = 3) {
    for (auto filter : filters()) {
      for (const bool newest_first : {false, true}) {
        filter.newest_first = newest_first;
        const auto whole = store.calls().list_calls(partner_, filter, {0, 1000});
        std::vector<Id> all;
        for (const auto& r : whole.items) all.push_back(r.id);
        ASSERT_EQ(whole.total, static_cast<std::int64_t>(all.size()));
        // Last page first, so each page is asked before the one in front of it (whose end a
        // store remembers) has been read again since the last write; then in order.
        const int pages = static_cast<int>(all.size()) / pagesize + 1;
        for (int round = 0; round < 2; ++round) {
          for (int i = 0; i < pages; ++i) {
            const int page = round == 0 ? pages - 1 - i : i;
            const auto got = store.calls().list_calls(partner_, filter, {page, pagesize});
            EXPECT_EQ(got.total, whole.total) << "page " << page;
            std::vector<Id> ids;
            for (const auto& r : got.items) ids.push_back(r.id);
            const auto from = std::min<std::size_t>(all.size(), page * pagesize);
            const auto to = std::min<std::size_t>(all.size(), from + pagesize);
            EXPECT_EQ(ids, std::vector<Id>(all.begin() + from, all.begin() + to))
                << "page " << page << (newest_first ? " newest first" : "");
          }
        }
        // A deep page asked first, before any page in front of it.
        const int last = static_cast<int>(all.size()) / pagesize;
        const auto deep = store.calls().list_calls(partner_, filter, {last, pagesize});
        EXPECT_EQ(deep.items.size(), all.size() - static_cast<std::size_t>(last) * pagesize);
      }
    }
  }

  // The unfiltered total as a COUNT over the rows: what the kept count must equal.
  std::int64_t counted(Id partner_id, CallDirection direction = CallDirection::inbound) {
    const auto db = database_.open_raw();
    SqlTransaction tx(*db, TxMode::read);
    auto stmt = db->prepare(
        "SELECT COUNT(*) FROM cdrs WHERE partner_id = :partner_id AND direction = :direction");
    stmt.bind(":partner_id", partner_id).bind(":direction", to_string(direction)).step();
    return stmt.int64(0);
  }

  Id other_customer_ = 0;
  Id source_ = 0;
  Id other_source_ = 0;
  TimePoint t0_;
};

TEST_F(SqlCdrTotalsTest, TotalsAndPagesStayExactAsCallsArriveOnEitherNode) {
  auto second_node = open_store(database_.location(), clock_);
  record_calls(14, "a-");
  expect_exact(*store_);
  expect_exact(*second_node);
  // Calls that land before, between and after the pages already read, on each node in turn.
  t0_ -= seconds(5);
  record_calls(5, "b-", 7);
  expect_exact(*second_node);
  expect_exact(*store_);
  second_node->calls().record_call(inbound("c-1", t0_ + seconds(25)));
  expect_exact(*store_);
  expect_exact(*second_node);
  EXPECT_EQ(calls().list_calls(partner_, {}, {}).total, counted(partner_));
}

TEST_F(SqlCdrTotalsTest, EventsChangeNoTotalAndPagesShowTheRecordsAsTheyAreNow) {
  record_calls(9, "a-");
  expect_exact(*store_);
  calls().apply_event("a-4", event(CallEventType::answered, t0_ + seconds(100)));
  calls().apply_event("a-4", event(CallEventType::hangup, t0_ + seconds(130)));
  expect_exact(*store_);
  CallRecordFilter filter;
  filter.customer_id = customer_;
  bool seen = false;
  for (int page = 0; page < 3; ++page) {
    for (const auto& r : calls().list_calls(partner_, filter, {page, 2}).items) {
      if (r.switch_call_id == "a-4") {
        seen = true;
        EXPECT_EQ(call_status(r), CallStatus::answered);
      }
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(SqlCdrTotalsTest, ErasingACallerIsSeenByTheCallersListingOnEveryNode) {
  auto second_node = open_store(database_.location(), clock_);
  record_calls(9, "a-");
  CallRecordFilter by_caller;
  by_caller.caller = "+46701111111";
  EXPECT_EQ(second_node->calls().list_calls(partner_, by_caller, {1, 2}).total, 3);
  expect_exact(*second_node);
  calls().erase_caller(partner_, "+46701111111");
  EXPECT_EQ(second_node->calls().list_calls(partner_, by_caller, {1, 2}).total, 0);
  EXPECT_TRUE(second_node->calls().list_calls(partner_, by_caller, {1, 2}).items.empty());
  by_caller.caller = "";
  EXPECT_EQ(second_node->calls().list_calls(partner_, by_caller, {0, 2}).total, 3);
  expect_exact(*second_node);
  EXPECT_EQ(calls().list_calls(partner_, {}, {}).total, 9);
}

TEST_F(SqlCdrTotalsTest, DeletingACustomerTakesItsCallsOutOfEveryTotal) {
  auto second_node = open_store(database_.location(), clock_);
  record_calls(10, "a-");
  CallRecord out = inbound("out-1", t0_);
  out.direction = CallDirection::outbound;
  out.customer_id = other_customer_;
  calls().record_call(out);
  expect_exact(*second_node);
  auto source = *store_->sources().find_source(partner_, other_source_);
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  clock_.advance(days(61));  // past the quarantine: the source is archived
  store_->customers().delete_customer(partner_, other_customer_);
  expect_exact(*second_node);
  EXPECT_EQ(second_node->calls().list_calls(partner_, {}, {}).total, 5);
  CallRecordFilter outbound;
  outbound.direction = CallDirection::outbound;
  EXPECT_EQ(second_node->calls().list_calls(partner_, outbound, {}).total, 0);
  EXPECT_EQ(counted(partner_, CallDirection::outbound), 0);
}

TEST_F(SqlCdrTotalsTest, NoPartnerIsServedWhatAnotherPartnersListingLeftBehind) {
  record_calls(7, "a-");
  const Id other_partner = make_partner("other");
  const Id their_customer = make_customer(other_partner, "K-9");
  CallRecord theirs = inbound("x-1", t0_ + seconds(10));
  theirs.partner_id = other_partner;
  theirs.customer_id = their_customer;
  const Id their_call = calls().record_call(theirs).id;
  // The same filters and pages, asked by one partner and then the other.
  for (auto filter : filters()) {
    filter.customer_id.reset();
    filter.source_id.reset();
    const auto ours = calls().list_calls(partner_, filter, {1, 2});
    const auto their_page = calls().list_calls(other_partner, filter, {1, 2});
    EXPECT_TRUE(their_page.items.empty());
    EXPECT_LE(their_page.total, 1);
    EXPECT_EQ(calls().list_calls(partner_, filter, {1, 2}).total, ours.total);
  }
  CallRecordFilter by_id;
  by_id.cdr_id = their_call;
  EXPECT_EQ(calls().list_calls(other_partner, by_id, {}).total, 1);
  EXPECT_EQ(calls().list_calls(partner_, by_id, {}).total, 0);
  EXPECT_EQ(calls().list_calls(other_partner, {}, {}).total, 1);
  EXPECT_EQ(calls().list_calls(partner_, {}, {}).total, 7);
}

TEST_F(SqlCdrTotalsTest, MigrationCountsTheCallsOlderVersionsStored) {
  record_calls(11, "a-");
  CallRecord out = inbound("out-1", t0_);
  out.direction = CallDirection::outbound;
  calls().record_call(out);
  store_.reset();
  {
    // Back to schema version 23, which kept no counts.
    const auto db = database_.open_raw();
    SqlTransaction tx(*db, TxMode::write);
    db->exec("DROP TABLE cdr_counts; DELETE FROM schema_migrations WHERE version = 24;");
    tx.commit();
  }
  reopen();
  EXPECT_EQ(calls().list_calls(partner_, {}, {}).total, 11);
  CallRecordFilter outbound;
  outbound.direction = CallDirection::outbound;
  EXPECT_EQ(calls().list_calls(partner_, outbound, {}).total, 1);
  expect_exact(*store_);
}

// ---- the switch's lookup of a tracking number ----

TEST_F(SqlCallRecordStoreTest, FindSourceHoldingFollowsTheNumbersHolder) {
  store_->numbers().add_numbers({"+46101", "+46102"}, std::nullopt);
  EXPECT_FALSE(store_->sources().find_source_holding("+46101"));  // free
  EXPECT_FALSE(store_->sources().find_source_holding("+46999"));  // not in the inventory

  auto source = make_source(customer_, "+46101");
  auto found = store_->sources().find_source_holding("+46101");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->source.id, source.id);
  EXPECT_EQ(found->source.partner_id, partner_);
  EXPECT_EQ(found->source.tracking_number, "+46101");
  EXPECT_EQ(found->number, "+46101");
  EXPECT_FALSE(found->in_pool);

  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  found = store_->sources().find_source_holding("+46101");  // quarantined still holds it
  ASSERT_TRUE(found);
  EXPECT_EQ(found->source.id, source.id);
  EXPECT_FALSE(found->removed_from_pool);

  clock_.advance(days(61));
  EXPECT_FALSE(store_->sources().find_source_holding("+46101"));  // archived, even before the sweep
  store_->sources().sweep_sources();
  const auto successor = make_source(customer_, "+46101");
  EXPECT_EQ(store_->sources().find_source_holding("+46101")->source.id, successor.id);
  EXPECT_FALSE(store_->sources().find_source_holding("+46102"));
}

TEST_F(SqlCallRecordStoreTest, FindSourceHoldingFindsAnUpcomingSource) {
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  Source s;
  s.partner_id = partner_;
  s.customer_id = customer_;
  s.name = "print";
  s.media = "newspaper";
  s.answering_number = "+46890510";
  s.lifecycle.activation = clock_.now() + days(3);
  const auto upcoming = store_->sources().create_source(s, {});
  EXPECT_EQ(store_->sources().find_source_holding("+46101")->source.id, upcoming.id);
}

TEST_F(SqlCallRecordStoreTest, FindSourceHoldingFindsThePoolANumberIsIn) {
  store_->numbers().add_numbers({"+46101", "+46102"}, std::nullopt);
  Source s;
  s.partner_id = partner_;
  s.customer_id = customer_;
  s.name = "web visitors";
  s.media = "web";
  s.answering_number = "+46890510";
  s.lifecycle.activation = clock_.now();
  const auto pool = store_->dni().create_pool(s, {}, {}, 2);
  auto found = store_->sources().find_source_holding("+46101");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->source.id, pool.source.id);
  EXPECT_EQ(found->source.answering_number, "+46890510");
  EXPECT_EQ(found->number, "+46101");
  EXPECT_TRUE(found->in_pool);
  EXPECT_FALSE(found->removed_from_pool);

  // A removed number stays the pool's through its quarantine, marked as removed.
  store_->dni().remove_pool_number(partner_, pool.source.id, "+46101");
  found = store_->sources().find_source_holding("+46101");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->source.id, pool.source.id);
  EXPECT_TRUE(found->removed_from_pool);
  EXPECT_FALSE(store_->sources().find_source_holding("+46102")->removed_from_pool);

  // A deleted pool holds its numbers through its quarantine; archived, it holds none.
  store_->dni().change_pool(partner_, pool.source.id, [&](DniPool& p, ChangeLookups&) {
    p.source.lifecycle.deleted_at = clock_.now();
    return true;
  });
  EXPECT_EQ(store_->sources().find_source_holding("+46102")->source.id, pool.source.id);
  clock_.advance(days(61));
  EXPECT_FALSE(store_->sources().find_source_holding("+46101"));
  EXPECT_FALSE(store_->sources().find_source_holding("+46102"));
  const auto successor = make_source(customer_, "+46102");
  EXPECT_EQ(store_->sources().find_source_holding("+46102")->source.id, successor.id);
}

TEST_F(SqlCallRecordStoreTest, TheRoutingTableHoldsWhatFindSourceHoldingWouldFind) {
  store_->numbers().add_numbers({"+46101", "+46102", "+46103", "+46104"}, std::nullopt);
  const Id other_customer = make_customer(partner_, "K-2");
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  store_->blacklists().replace_blacklist(partner_, other_customer, {"+46709999999"});
  auto gone = make_source(customer_, "+46101");
  make_source(customer_, "+46102");
  Source s;
  s.partner_id = partner_;
  s.customer_id = customer_;
  s.name = "web visitors";
  s.answering_number = "+46890510";
  s.lifecycle.activation = clock_.now();
  const auto pool = store_->dni().create_pool(s, {}, {}, 2);  // +46103 and +46104
  store_->dni().remove_pool_number(partner_, pool.source.id, "+46104");
  gone.lifecycle.deleted_at = clock_.now() - days(61);  // archived
  store_->sources().update_source(gone);

  const auto table = store_->sources().routing_table();
  std::vector<std::string> numbers;
  for (const auto& routable : table.numbers) {
    numbers.push_back(routable.holder.number);
    const auto found = store_->sources().find_source_holding(routable.holder.number);
    ASSERT_TRUE(found) << routable.holder.number;
    EXPECT_EQ(routable.holder.source.id, found->source.id);
    EXPECT_EQ(routable.holder.source.answering_number, found->source.answering_number);
    EXPECT_EQ(routable.holder.in_pool, found->in_pool);
    EXPECT_EQ(routable.holder.removed_from_pool, found->removed_from_pool);
    EXPECT_EQ(routable.country, "SE");
    EXPECT_EQ(routable.time_zone, "Europe/Stockholm");
  }
  EXPECT_EQ(numbers, (std::vector<std::string>{"+46102", "+46103", "+46104"}));
  EXPECT_TRUE(table.numbers[2].holder.removed_from_pool);
  // Only the blacklists of customers whose calls the table routes.
  ASSERT_EQ(table.blacklisted.size(), 1U);
  EXPECT_EQ(table.blacklisted[0].customer_id, customer_);
  EXPECT_EQ(table.blacklisted[0].number, "+46701234567");
}

// ---- partners' anum salt ----

TEST_F(SqlCallRecordStoreTest, EveryPartnerGetsItsOwnStableAnumSalt) {
  const Id other = make_partner("other");
  const auto a = store_->partners().find_partner(partner_).value();
  const auto b = store_->partners().find_partner_by_username("other").value();
  EXPECT_EQ(b.id, other);
  EXPECT_EQ(a.anum_salt.size(), 32u);
  EXPECT_EQ(a.anum_salt.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a.anum_salt, b.anum_salt);

  Partner changed = a;
  changed.name = "Renamed";
  changed.anum_salt = "attempted";
  store_->partners().update_partner(changed);
  reopen();
  const auto after = store_->partners().find_partner(partner_).value();
  EXPECT_EQ(after.name, "Renamed");
  EXPECT_EQ(after.anum_salt, a.anum_salt);
  EXPECT_EQ(store_->partners().list_partners().front().anum_salt, a.anum_salt);
}

TEST_F(SqlCallRecordStoreTest, CreatePartnerKeepsAGivenSalt) {
  Partner p = store_->partners().find_partner(partner_).value();
  p.id = 0;
  p.username = "imported";
  p.anum_salt = "0011223344556677";
  EXPECT_EQ(store_->partners().find_partner(store_->partners().create_partner(p).id)->anum_salt,
            "0011223344556677");
}

TEST_F(SqlCallRecordStoreTest, MigrationGivesPartnersMadeBeforeItDistinctSalts) {
  make_partner("other");
  store_.reset();
  {
    // Back to schema version 9, as a database written before the salt existed.
    const auto db = database_.open_raw();
    SqlTransaction tx(*db, TxMode::write);
    db->exec(
        "ALTER TABLE partners DROP COLUMN anum_salt;"
        "DELETE FROM schema_migrations WHERE version = 10;");
    tx.commit();
  }
  reopen();
  std::set<std::string> salts;
  for (const auto& p : store_->partners().list_partners()) {
    EXPECT_EQ(p.anum_salt.size(), 32u);
    salts.insert(p.anum_salt);
  }
  EXPECT_EQ(salts.size(), 2u);
}

// ---- every call ends ----

TEST_F(SqlCallRecordStoreTest, OpenCallIdsListsCallsWithoutAnEndOldestFirst) {
  const auto start = clock_.now();
  const auto late = record("late", start + std::chrono::seconds(20));
  const auto early = record("early", start);
  record("ended", start);
  calls().apply_event("ended", event(CallEventType::hangup, start + std::chrono::seconds(5)));
  auto rejected = inbound("rejected", start);
  reject_call(rejected, 403, "Forbidden");
  calls().record_call(rejected);
  EXPECT_EQ(calls().open_call_ids(start + std::chrono::seconds(20), 10),
            (std::vector<Id>{early.id, late.id}));
  EXPECT_EQ(calls().open_call_ids(start + std::chrono::seconds(19), 10),
            (std::vector<Id>{early.id}));
  EXPECT_EQ(calls().open_call_ids(start + std::chrono::seconds(20), 1),
            (std::vector<Id>{early.id}));
}

TEST_F(SqlCallRecordStoreTest, ASweptCallStaysUnknownUntilItsRealEndArrives) {
  const auto start = clock_.now();
  const auto stored = record("swept", start);
  const auto max = std::chrono::hours(4);
  EXPECT_FALSE(calls().close_overdue_call(stored.id, start + max - std::chrono::seconds(1), max));
  const auto closed = calls().close_overdue_call(stored.id, start + max, max);
  ASSERT_TRUE(closed);
  EXPECT_FALSE(closed->previous.ended_at);
  EXPECT_FALSE(calls().close_overdue_call(stored.id, start + max, max));  // once
  reopen();
  auto swept = calls().find_call_by_switch_id("swept").value();
  EXPECT_TRUE(swept.end_unknown);
  EXPECT_EQ(swept.ended_at, start);
  EXPECT_EQ(call_status(swept), CallStatus::unknown);
  calls().apply_event("swept", event(CallEventType::hangup, start + std::chrono::seconds(30)));
  reopen();
  swept = calls().find_call_by_switch_id("swept").value();
  EXPECT_FALSE(swept.end_unknown);
  EXPECT_EQ(swept.ended_at, start + std::chrono::seconds(30));
  EXPECT_EQ(call_status(swept), CallStatus::no_answer);
}

TEST_F(SqlCallRecordStoreTest, MigrationEndsTheRejectedCallsOlderVersionsLeftOpen) {
  auto rejected = inbound("rejected", clock_.now());
  reject_call(rejected, 404, "Not In Use");
  const auto stored = calls().record_call(rejected);
  record("open", clock_.now());
  store_.reset();
  {
    // Back to schema version 14, with the rejected call left open as older versions did.
    const auto db = database_.open_raw();
    SqlTransaction tx(*db, TxMode::write);
    db->exec(
        "UPDATE cdrs SET ended_at = NULL, failure_sip_status = NULL;"
        "DROP INDEX cdrs_open;"
        "ALTER TABLE cdrs DROP COLUMN end_unknown;"
        "DELETE FROM schema_migrations WHERE version = 15;");
    tx.commit();
  }
  reopen();
  const auto migrated = calls().find_call_by_switch_id("rejected").value();
  EXPECT_EQ(migrated.ended_at, stored.start);
  EXPECT_EQ(migrated.failure_sip_status, 404);
  EXPECT_FALSE(migrated.end_unknown);
  EXPECT_FALSE(calls().find_call_by_switch_id("open")->ended_at);
}

}  // namespace
}  // namespace callsight
